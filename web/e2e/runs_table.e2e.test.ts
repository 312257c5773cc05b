// End-to-end: the runs table for a project logged the way the SDK logs it
// (configs at the top level: `lr`, not `config/lr`), against the real server:
// unknown paths explained under the filter, an example filter built from the
// project's paths, series aggregates as columns, and the default columns.

import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { type Browser, type Page } from "playwright-core";
import { openPage } from "./browser";
import { client, startStack } from "./harness.mjs";
import { waitForRuns as waitForRows } from "./rows";

type Stack = Awaited<ReturnType<typeof startStack>>;

let stack: Stack;
let browser: Browser;
let page: Page;
const P = "e2e/table";
const steps = (n: number) => Array.from({ length: n }, (_, i) => i);

// val/loss dips lowest in r2, but r3 ends lowest: min and last disagree.
const RUNS = [
  { id: "r1", lr: 0.001, layers: 12, val: [0.9, 0.5, 0.6] },
  { id: "r2", lr: 0.003, layers: 24, val: [0.8, 0.2, 0.7] },
  { id: "r3", lr: 0.01, layers: 12, val: [0.7, 0.4, 0.3] },
];

const waitForRuns = (expected: string[]): Promise<void> => waitForRows(page, expected);
const headers = () => page.$$eval(".th[data-path]", (els) => els.map((e) => (e as HTMLElement).dataset.path));
const hash = () => decodeURIComponent(new URL(page.url()).hash);

beforeAll(async () => {
  stack = await startStack();
  const c = client(stack.api, P);
  for (const r of RUNS) {
    await c.createRun({ run_id: r.id, name: r.id });
    await c.log(r.id, {
      configs: { lr: r.lr, layers: r.layers, optimizer: "adam" },
      series: [
        { path: "train/loss", steps: steps(3), values: r.val.map((v) => v + 0.1) },
        { path: "val/loss", steps: steps(3), values: r.val },
        { path: "eval/acc", steps: steps(3), values: r.val.map((v) => 1 - v) },
        { path: "grads/l0", type: "histogram", steps: [0], values: [{ edges: [0, 1, 2], counts: [3, 4] }] },
      ],
      state: "finished",
    });
    const res = await fetch(`${stack.api}/api/v1/projects/${P}/runs/${r.id}/files/model.bin`, { method: "PUT", body: `weights of ${r.id}` });
    expect(res.status).toBe(200);
  }
  ({ browser, page } = await openPage({ viewport: { width: 1400, height: 800 } }));
});

afterAll(async () => {
  await browser?.close();
  await stack?.stop();
});

describe("runs table", () => {
  it("explains a filter path no run has and offers the one it meant", async () => {
    await page.goto(`${stack.web}/#/p/${P}?sort=sys%2Fname&q=${encodeURIComponent("config/lr < 0.005")}`);
    await page.waitForSelector('.unknown-path[data-path="config/lr"]');
    expect(await page.textContent('.unknown-path[data-path="config/lr"]')).toBe("No run has config/lr — did you mean lr?");
    expect(await page.$$(".tr[data-run]")).toHaveLength(0);
    await page.click('.unknown-path[data-path="config/lr"] .did-you-mean');
    await waitForRuns(["r1", "r2"]);
    expect(await page.inputValue(".filter-input")).toBe("lr < 0.005");
    expect(hash()).toContain("q=lr+<+0.005");
    await page.waitForSelector(".unknown-paths", { state: "hidden" });
  });

  it("names an unknown sort path and one without a suggestion", async () => {
    await page.goto(`${stack.web}/#/p/${P}?sort=val%2Flos&order=desc&q=${encodeURIComponent("nothing/like/this = 1")}`);
    await page.waitForSelector('.unknown-path[data-path="val/los"]');
    expect(await page.textContent('.unknown-path[data-path="nothing/like/this"]')).toBe("No run has nothing/like/this.");
    await page.click('.unknown-path[data-path="val/los"] .did-you-mean');
    await page.waitForFunction(() => decodeURIComponent(location.hash).includes("sort=val/loss&"));
    await page.fill(".filter-input", "");
    await page.press(".filter-input", "Enter");
    await waitForRuns(["r2", "r1", "r3"]); // the last val/loss, descending: 0.7, 0.6, 0.3
  });

  it("suggests a filter on the project's own paths", async () => {
    await page.goto(`${stack.web}/#/p/${P}`);
    await page.waitForFunction(() => (document.querySelector(".filter-input") as HTMLInputElement).placeholder.includes("min(val/loss)"));
    const ph = await page.getAttribute(".filter-input", "placeholder");
    expect(ph).toMatch(/^Filter: (lr|layers) <= [\d.]+ and min\(val\/loss\) < [\d.]+ {3}\(Enter to apply\)$/);
  });

  it("shows shared configs and loss series by default, never files or histograms", async () => {
    await page.goto(`${stack.web}/#/p/${P}`);
    await page.waitForSelector('.th[data-path="val/loss"]');
    expect(await headers()).toEqual([
      "sys/name", "sys/state", "sys/created_at", "sys/tags", "layers", "lr", "optimizer", "train/loss", "val/loss",
    ]);
    expect(await page.textContent('.tr[data-run="r2"]')).toContain("0.003");
  });

  it("adds best-value columns of a series, sorts by them and keeps them in the URL", async () => {
    await page.goto(`${stack.web}/#/p/${P}?sort=sys%2Fname&col=sys%2Fname&col=val%2Floss`);
    await waitForRuns(["r1", "r2", "r3"]);
    await page.click(".btn >> text=Columns");
    await page.click('.cols-item[data-path="val/loss"] .cols-agg[data-agg="min"]');
    await page.waitForSelector('.th[data-path="min(val/loss)"]');
    await page.click('.cols-item[data-path="val/loss"] .cols-agg[data-agg="max"]');
    await page.waitForSelector('.th[data-path="max(val/loss)"]');
    await page.waitForSelector('.cols-item[data-path="val/loss"] .cols-agg[data-agg="min"].on');
    await page.click(".popover-foot >> text=Done");
    expect(await headers()).toEqual(["sys/name", "val/loss", "min(val/loss)", "max(val/loss)"]);
    expect(await page.textContent('.th[data-path="min(val/loss)"] .th-name')).toBe("min(loss)");
    const cellOf = (run: string, i: number) => page.textContent(`.tr[data-run="${run}"] .td:nth-child(${i + 2})`);
    expect(await cellOf("r2", 2)).toBe("0.2");
    expect(await cellOf("r2", 3)).toBe("0.8");

    await page.click('.th[data-path="min(val/loss)"]');
    await waitForRuns(["r2", "r3", "r1"]); // 0.2, 0.4, 0.5
    await page.click('.th[data-path="min(val/loss)"]');
    await waitForRuns(["r1", "r3", "r2"]);
    expect(hash()).toContain("col=min(val/loss)&col=max(val/loss)");
    expect(hash()).toContain("sort=min(val/loss)&order=desc");

    await page.reload();
    await waitForRuns(["r1", "r3", "r2"]);
    expect(await headers()).toEqual(["sys/name", "val/loss", "min(val/loss)", "max(val/loss)"]);

    // An aggregate goes in a filter too.
    await page.fill(".filter-input", "min(val/loss) < 0.45");
    await page.press(".filter-input", "Enter");
    await waitForRuns(["r3", "r2"]);
  });
});
