// Bounds how many chart requests are in flight at once, so scrolling a grid
// of thousands of charts never floods the server; newest requests go first,
// since they are for the charts now on screen.

const MAX_IN_FLIGHT = 6;
let running = 0;
const waiting: (() => void)[] = [];

export async function limit<T>(fn: () => Promise<T>): Promise<T> {
  if (running >= MAX_IN_FLIGHT) await new Promise<void>((resolve) => waiting.push(resolve));
  running++;
  try {
    return await fn();
  } finally {
    running--;
    waiting.pop()?.();
  }
}
