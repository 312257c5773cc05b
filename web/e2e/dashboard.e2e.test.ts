// End-to-end: the project dashboard against the real server: the default
// layout, a panel of several metrics against another series (epoch), drag to
// arrange and resize, pinning, saving by name (kept apart from the runs
// table's views) and sharing by link.

import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { type Browser, type Page } from "playwright-core";
import { openPage } from "./browser";
import { client, startStack } from "./harness.mjs";

type Stack = Awaited<ReturnType<typeof startStack>>;

let stack: Stack;
let browser: Browser;
let page: Page;
const P = "e2e/dash";
const STEPS = Array.from({ length: 20 }, (_, i) => i * 10); // 0 … 190
const RUNS = ["d1", "d2", "d3"];

const sectionNames = () => page.$$eval(".dash-section", (els) => els.map((e) => (e as HTMLElement).dataset.section));
const panelsOf = (section: string) => page.$$eval(`.dash-section[data-section="${section}"] .dash-card`, (els) => els.map((e) => (e as HTMLElement).dataset.metrics));
const layoutParam = () => new URLSearchParams(new URL(page.url()).hash.split("?")[1] ?? "").get("layout");

beforeAll(async () => {
  stack = await startStack();
  const c = client(stack.api, P);
  for (const [k, id] of RUNS.entries()) {
    await c.createRun({ run_id: id, name: `run ${id}` });
    await c.log(id, {
      configs: { "config/lr": 0.001 * (k + 1) },
      series: [
        { path: "train/loss", steps: STEPS, values: STEPS.map((s) => 3 - s / 100 - k * 0.1) },
        { path: "val/loss", steps: STEPS, values: STEPS.map((s) => 3.2 - s / 100 - k * 0.1) },
        // an epoch every 100 steps, logged every 50
        { path: "train/epoch", steps: STEPS.filter((s) => s % 50 === 0), values: STEPS.filter((s) => s % 50 === 0).map((s) => s / 100) },
        { path: "eval/acc", steps: [100, 190], values: [0.5 + k * 0.1, 0.6 + k * 0.1] },
        { path: "perf/tps", steps: STEPS, values: STEPS.map(() => 1000) },
        ...[0, 1, 2, 3, 4, 5].map((l) => ({ path: `grad_norm/layer_${l}`, steps: STEPS, values: STEPS.map((s) => l + s / 1000) })),
      ],
      state: "finished",
    });
  }
  ({ browser, page } = await openPage({ viewport: { width: 1400, height: 1000 } }));
});

afterAll(async () => {
  await browser?.close();
  await stack?.stop();
});

describe("dashboard", () => {
  it("opens from the runs table with its filter, in the default layout", async () => {
    await page.goto(`${stack.web}/#/p/${P}?q=${encodeURIComponent("config/lr > 0.0015")}`);
    await page.waitForSelector(".tr[data-run]");
    await page.click(".dashboard-link");
    await page.waitForSelector(".dash-section");
    expect(new URL(page.url()).hash).toContain("/dashboard?q=");
    expect(await page.textContent(".dash-runs-note")).toBe("2 runs matching config/lr > 0.0015");
    expect((await page.$$eval(".dash-legend .legend-chip", (els) => els.map((e) => (e as HTMLElement).dataset.run!))).sort()).toEqual(["d2", "d3"]);
    // train, val, eval first; the per-layer group last, collapsed, on one regex panel.
    expect(await sectionNames()).toEqual(["train", "val", "eval", "perf", "grad_norm"]);
    expect(await panelsOf("train")).toEqual(["train/epoch", "train/loss"]);
    expect(await panelsOf("grad_norm")).toEqual([]);
    await page.click('.dash-section[data-section="grad_norm"] .section-head');
    await page.waitForSelector('.dash-section[data-section="grad_norm"] .dash-card .card-body[data-lines="12"] canvas');
    expect(await panelsOf("grad_norm")).toEqual(["/^grad_norm\\/layer_\\d+$/"]);
    // A chart per panel, one line per run.
    await page.waitForSelector('.dash-card[data-metrics="train/loss"] .card-body[data-lines="2"][data-points="40"] canvas');
    // The change (expanding a section) is in the URL now.
    expect(layoutParam()).toBeTruthy();
  });

  it("creates a panel of several metrics against another series (epoch), joined on step", async () => {
    await page.goto(`${stack.web}/#/p/${P}/dashboard?sel=d1`);
    await page.waitForSelector(".dash-section");
    expect(await page.textContent(".dash-runs-note")).toBe("1 selected run");
    await page.fill(".dash-new-section", "mine");
    await page.press(".dash-new-section", "Enter");
    await page.waitForSelector('.dash-section[data-section="mine"]');
    expect((await sectionNames())[0]).toBe("mine");
    await page.click('.dash-section[data-section="mine"] .dash-add-panel');
    await page.fill(".dash-editor .dash-metrics", "/^(train|val)\\/loss$/");
    expect(await page.textContent(".dash-editor .dash-preview")).toBe("2 series: train/loss, val/loss");
    await page.fill(".dash-editor .dash-x", "train/epoch");
    await page.click(".dash-editor .dash-apply");
    const sel = '.dash-section[data-section="mine"] .dash-card .card-body[data-x="series"]';
    await page.waitForSelector(`${sel}[data-lines="2"] canvas`);
    // Epoch is logged at steps 0, 50, 100, 150: step 190 takes the epoch of step 150 (1.5).
    expect(await page.getAttribute(sel, "data-xmin")).toBe("0");
    expect(await page.getAttribute(sel, "data-xmax")).toBe("1.5");
    expect(await page.getAttribute(sel, "data-points")).toBe("40");
    expect(await page.textContent('.dash-section[data-section="mine"] .dash-xnote')).toBe("x: train/epoch");
    // Edited: the same metrics on a relative-time axis, smoothed, on a log scale.
    await page.click('.dash-section[data-section="mine"] .dash-edit');
    expect(await page.inputValue(".dash-editor .dash-metrics")).toBe("/^(train|val)\\/loss$/");
    await page.fill(".dash-editor .dash-x", "relative");
    await page.fill(".dash-editor .dash-smooth", "0.5");
    await page.check(".dash-editor .dash-log");
    await page.click(".dash-editor .dash-apply");
    await page.waitForSelector('.dash-section[data-section="mine"] .card-body[data-x="relative"][data-lines="2"][data-points="40"] canvas');
    // A bad regex is refused in the editor, with the reason.
    await page.click('.dash-section[data-section="mine"] .dash-edit');
    await page.fill(".dash-editor .dash-metrics", "/([/");
    await page.click(".dash-editor .dash-apply");
    expect(await page.textContent(".dash-editor .dash-editor-error")).toBe("not a valid regex: /([/");
    await page.click(".dash-editor .dash-cancel");
    await page.waitForSelector('.dash-section[data-section="mine"] .card-body[data-x="relative"] canvas');
  });

  it("arranges panels by dragging, resizes them, and pins a section to the top", async () => {
    await page.goto(`${stack.web}/#/p/${P}/dashboard`);
    await page.waitForSelector('.dash-section[data-section="train"] .dash-card');
    expect(await panelsOf("train")).toEqual(["train/epoch", "train/loss"]);
    await page.dragAndDrop('.dash-card[data-metrics="train/loss"] .dash-handle', '.dash-card[data-metrics="train/epoch"]');
    await page.waitForFunction(() => document.querySelector('.dash-section[data-section="train"] .dash-card')?.getAttribute("data-metrics") === "train/loss");
    expect(await panelsOf("train")).toEqual(["train/loss", "train/epoch"]);
    // Across sections: val/loss into train, dropped on the section's head (appended).
    await page.dragAndDrop('.dash-card[data-metrics="val/loss"] .dash-handle', '.dash-section[data-section="train"] .dash-section-head');
    await page.waitForFunction(() => document.querySelectorAll('.dash-section[data-section="train"] .dash-card').length === 3);
    expect(await panelsOf("train")).toEqual(["train/loss", "train/epoch", "val/loss"]);
    expect(await panelsOf("val")).toEqual([]);
    // Size: L spans the whole row.
    const card = '.dash-card[data-metrics="train/loss"]';
    const before = (await page.$eval(card, (e) => e.getBoundingClientRect().width));
    await page.click(`${card} .dash-size[data-size="L"]`);
    await page.waitForSelector(`${card}.size-L`);
    const after = await page.$eval(card, (e) => e.getBoundingClientRect().width);
    expect(after).toBeGreaterThan(before * 1.8);
    // Pin eval: drawn first.
    await page.click('.dash-section[data-section="eval"] .dash-pin');
    await page.waitForSelector('.dash-section.pinned[data-section="eval"]');
    expect((await sectionNames())[0]).toBe("eval");
    // All of it survives a reload (it is in the URL).
    await page.reload();
    await page.waitForSelector('.dash-section.pinned[data-section="eval"]');
    expect(await panelsOf("train")).toEqual(["train/loss", "train/epoch", "val/loss"]);
    expect(await page.$eval(card, (e) => e.classList.contains("size-L"))).toBe(true);
  });

  it("saves by name apart from the runs table's views, and shares by link", async () => {
    const layout = layoutParam();
    expect(layout).toBeTruthy();
    await page.fill(".dash-name", "my board");
    await page.click(".dash-save");
    await page.waitForFunction(() => document.querySelector(".dash-message")?.textContent === 'Saved as "my board".');
    // Opened by name alone (no layout in the URL): the saved layout.
    const fresh = await browser.newPage({ viewport: { width: 1400, height: 1000 } });
    await fresh.goto(`${stack.web}/#/p/${P}/dashboard?d=${encodeURIComponent("my board")}`);
    await fresh.waitForSelector('.dash-section.pinned[data-section="eval"]');
    expect(await fresh.$$eval('.dash-section[data-section="train"] .dash-card', (els) => els.map((e) => (e as HTMLElement).dataset.metrics)))
      .toEqual(["train/loss", "train/epoch", "val/loss"]);
    expect(await fresh.$eval(".dash-open", (e) => (e as HTMLSelectElement).value)).toBe("my board");
    // Shared by link: the layout alone reproduces it, on any page.
    await fresh.goto(`${stack.web}/#/p/${P}/dashboard?layout=${layout}`);
    await fresh.waitForSelector('.dash-section.pinned[data-section="eval"]');
    expect(await fresh.$$eval(".dash-section", (els) => els.map((e) => (e as HTMLElement).dataset.section))).toEqual(["eval", "train", "val", "perf", "grad_norm"]);
    // The runs table's views menu does not list the dashboard; a view cannot take its name.
    await fresh.goto(`${stack.web}/#/p/${P}`);
    await fresh.click(".views-btn");
    await fresh.waitForSelector(".views-empty");
    await fresh.fill(".view-name", "my board");
    await fresh.click(".view-save");
    await fresh.waitForFunction(() => /A dashboard is saved as "my board"/.test(document.querySelector(".views-error")?.textContent ?? ""));
    await fresh.close();
    // A damaged link says so and falls back to the default layout.
    await page.goto(`${stack.web}/#/p/${P}/dashboard?layout=%25%25`);
    await page.waitForSelector(".dash-message.error");
    expect(await page.textContent(".dash-message")).toMatch(/damaged/);
    expect(await sectionNames()).toEqual(["train", "val", "eval", "perf", "grad_norm"]);
  });
});
