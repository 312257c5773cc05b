// Plotting metric A against float series B ("x axis by another series", e.g.
// epoch or tokens seen): both are read per run by step and joined on step.
//
// Join rule: each point of A at step s takes the value of B at step s, or
// else B's latest value at a step before s. A points before B's first step,
// or whose B value is not finite, are left out. The pairs are drawn in order
// of B (for a B that grows with the step, the order of the steps).

export interface StepPoints {
  /** ascending */
  steps: number[];
  values: (number | null)[];
}

export interface Joined {
  /** B values, ascending */
  x: number[];
  /** A values (null: a gap in A) */
  y: (number | null)[];
  /** the step of each pair */
  steps: number[];
}

export function joinOnStep(a: StepPoints, b: StepPoints): Joined {
  const pairs: [number, number | null, number][] = [];
  let j = -1;
  for (let i = 0; i < a.steps.length; i++) {
    const s = a.steps[i];
    while (j + 1 < b.steps.length && b.steps[j + 1] <= s) j++;
    if (j < 0) continue;
    const bx = b.values[j];
    if (typeof bx !== "number" || !Number.isFinite(bx)) continue;
    pairs.push([bx, a.values[i], s]);
  }
  // Stable: equal B values keep step order.
  pairs.sort((p, q) => p[0] - q[0] || p[2] - q[2]);
  return { x: pairs.map((p) => p[0]), y: pairs.map((p) => p[1]), steps: pairs.map((p) => p[2]) };
}
