// End-to-end: system metrics as the Python SDK logs them (monitoring/* with
// steps that are Unix seconds) read as times on the run page, not as steps.

import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { type Browser, type Page } from "playwright-core";
import { openPage } from "./browser";
import { client, startStack } from "./harness.mjs";

type Stack = Awaited<ReturnType<typeof startStack>>;

let stack: Stack;
let browser: Browser;
let page: Page;
const P = "e2e/monitoring";
const T0 = 1796172807.998612; // a step of monitoring/cpu_percent as the SDK writes it
const range = (n: number) => Array.from({ length: n }, (_, i) => i);
const DATE_TIME = /^\d{4}-\d\d-\d\d \d\d:\d\d:\d\d$/;
const TIME = /^\d\d:\d\d:\d\d$/;

beforeAll(async () => {
  stack = await startStack();
  const c = client(stack.api, P);
  await c.createRun({ run_id: "sys", name: "sys" });
  const t = range(30).map((i) => T0 + 10 * i);
  await c.log("sys", {
    series: [
      { path: "train/loss", steps: range(20), values: range(20).map((s) => 1 / (1 + s)) },
      { path: "monitoring/cpu_percent", steps: t, values: t.map((_, i) => 20 + (i % 7)), timestamps: t },
      { path: "monitoring/stdout", type: "string", steps: t.slice(0, 3), values: ["epoch 1", "epoch 2", "done"], timestamps: t.slice(0, 3) },
    ],
  });
  // More points than a chart reads raw for a time axis: drawn from buckets, still on time.
  await c.createRun({ run_id: "long", name: "long" });
  const tl = range(12_000).map((i) => T0 + i);
  await c.log("long", { series: [{ path: "monitoring/memory_percent", steps: tl, values: tl.map((_, i) => i % 100), timestamps: tl }] });
  ({ browser, page } = await openPage({ viewport: { width: 1280, height: 900 } }));
});

afterAll(async () => {
  await browser?.close();
  await stack?.stop();
});

describe("monitoring series", () => {
  it("the run's last step is the training step, not a Unix time", async () => {
    await page.goto(`${stack.web}/#/p/${P}/r/sys`);
    await page.waitForSelector(".run-meta .meta >> text=last step");
    const meta = await page.textContent(".run-meta");
    expect(meta).toContain("last step19");
    expect(meta).not.toContain("1796");
  });

  it("charts monitoring/ on wall time and the rest on steps", async () => {
    await page.goto(`${stack.web}/#/p/${P}/r/sys?s=%2Fcpu_percent%7Closs%2F`);
    const cpu = '.card[data-path="monitoring/cpu_percent"] .card-body[data-points="30"]';
    await page.waitForSelector(cpu);
    expect(await page.getAttribute(cpu, "data-x")).toBe("wall");
    expect(await page.getAttribute('.card[data-path="train/loss"] .card-body[data-points="20"]', "data-x")).toBe("step");
    // The readout's last point is a date and time, not the raw seconds.
    const readout = (await page.textContent(`${cpu} .readout`)) ?? "";
    expect(readout).toMatch(/@\d{4}-\d\d-\d\d \d\d:\d\d/);
    expect(readout).not.toContain("1796");
  });

  it("zooms monitoring/ charts on their own, apart from the training steps", async () => {
    // A zoom to training steps 5–10 leaves the system metrics whole.
    await page.goto(`${stack.web}/#/p/${P}/r/sys?s=%2Fcpu_percent%7Closs%2F&from=5&to=10`);
    await page.waitForSelector('.card[data-path="train/loss"] .card-body[data-points="6"]');
    await page.waitForSelector('.card[data-path="monitoring/cpu_percent"] .card-body[data-points="30"]');
    // Dragging across the monitoring chart zooms it alone: the page's range stays.
    const over = (await (await page.$('.card[data-path="monitoring/cpu_percent"] .u-over'))!.boundingBox())!;
    await page.mouse.move(over.x + over.width * 0.25, over.y + over.height / 2);
    await page.mouse.down();
    await page.mouse.move(over.x + over.width * 0.6, over.y + over.height / 2, { steps: 5 });
    await page.mouse.up();
    const pts = await page.waitForFunction(() => {
      const n = Number(document.querySelector<HTMLElement>('.card[data-path="monitoring/cpu_percent"] .card-body')?.dataset.points);
      return n > 0 && n < 30 ? n : null;
    });
    expect(await pts.jsonValue()).toBeGreaterThan(3);
    expect(await page.evaluate(() => location.hash)).toContain("from=5&to=10");
    expect(await page.getAttribute('.card[data-path="train/loss"] .card-body', "data-points")).toBe("6");
    await page.dblclick('.card[data-path="monitoring/cpu_percent"] .u-over');
    await page.waitForSelector('.card[data-path="monitoring/cpu_percent"] .card-body[data-points="30"]');
  });

  it("keeps a time axis for a monitoring series too long for raw points", async () => {
    await page.goto(`${stack.web}/#/p/${P}/r/long?s=memory`);
    const body = '.card[data-path="monitoring/memory_percent"] .card-body[data-x]';
    await page.waitForSelector(body);
    expect(await page.getAttribute(body, "data-x")).toBe("wall");
    expect(await page.$(`${body} .x-fallback`)).toBeNull();
    expect(await page.textContent(".run-meta")).not.toContain("last step");
  });

  it("shows each console line's local time instead of its step", async () => {
    await page.goto(`${stack.web}/#/p/${P}/r/sys?s=stdout`);
    await page.waitForSelector('.card[data-path="monitoring/stdout"] .log-line >> text=done');
    const heads = await page.$$eval('.card[data-path="monitoring/stdout"] .log-step', (els) => els.map((e) => e.textContent ?? ""));
    expect(heads).toHaveLength(3);
    expect(heads[0]).toMatch(DATE_TIME);
    expect(heads[1]).toMatch(TIME);
    expect(heads[2]).toMatch(TIME);
    expect(heads.join(" ")).not.toContain("1796");
    // The same local time the browser gives for the line's timestamp.
    const expected = await page.evaluate((t) => new Date(t * 1000).toTimeString().slice(0, 8), T0 + 10);
    expect(heads[1]).toBe(expected);
  });
});
