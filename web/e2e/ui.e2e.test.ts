// End-to-end tests of the UI against the real server (see harness.mjs).

import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { type Browser, type Page } from "playwright-core";
import { openPage } from "./browser";
import { client, startStack } from "./harness.mjs";
import { tableRuns as rowsIn, waitForRuns as waitForRows } from "./rows";

type Stack = Awaited<ReturnType<typeof startStack>>;

let stack: Stack;
let browser: Browser;
let page: Page;
const P = "e2e/demo";

const steps = (n: number, from = 0) => Array.from({ length: n }, (_, i) => from + i);

async function seed(api: string): Promise<void> {
  const c = client(api, P);
  const runs = [
    { id: "alpha", lr: 0.001, tags: ["baseline"], state: "finished", scale: 1 },
    { id: "beta", lr: 0.0003, tags: ["sweep"], state: "finished", scale: 1.5 },
    { id: "gamma", lr: 0.01, tags: ["sweep"], state: "failed", scale: 2 },
    { id: "live-run", lr: 0.002, tags: [], state: "running", scale: 0.5 },
  ];
  for (const r of runs) {
    await c.createRun({ run_id: r.id, name: r.id });
    const n = r.id === "live-run" ? 50 : 100;
    const values: (number | string)[] = steps(n).map((s) => r.scale * (1 + 3 / (1 + s / 10)));
    if (r.id === "gamma") values[n - 1] = "NaN";
    await c.log(r.id, {
      configs: { "config/lr": r.lr, "config/optimizer": r.id === "beta" ? "sgd" : "adam" },
      series: [
        { path: "train/loss", steps: steps(n), values },
        { path: "train/acc", steps: steps(n), values: steps(n).map((s) => s / n) },
        { path: "logs/stdout", type: "string", steps: [0, 1], values: [`hello from ${r.id}`, "second line"] },
      ],
      add_tags: r.tags,
      ...(r.state === "running" ? {} : { state: r.state }),
    });
  }
}

const tableRuns = (): Promise<string[]> => rowsIn(page);
const waitForRuns = (expected: string[]): Promise<void> => waitForRows(page, expected);

/** Counts canvas pixels close to an RGB colour inside the chart for `path`. */
async function colourPixels(path: string, rgb: [number, number, number]): Promise<number> {
  return page.$eval(`.card[data-path="${path}"] canvas`, (el, rgb) => {
    const c = el as HTMLCanvasElement;
    const d = c.getContext("2d")!.getImageData(0, 0, c.width, c.height).data;
    let n = 0;
    for (let i = 0; i < d.length; i += 4) {
      if (d[i + 3] > 200 && Math.abs(d[i] - rgb[0]) < 40 && Math.abs(d[i + 1] - rgb[1]) < 40 && Math.abs(d[i + 2] - rgb[2]) < 40) n++;
    }
    return n;
  }, rgb);
}

beforeAll(async () => {
  stack = await startStack();
  console.log(`UI served by ${stack.mode} at ${stack.web}`);
  await seed(stack.api);
  ({ browser, page } = await openPage({ viewport: { width: 1280, height: 800 } }));
});

afterAll(async () => {
  await browser?.close();
  await stack?.stop();
});

describe(`UI against the real server`, () => {
  it("lists projects and opens one", async () => {
    await page.goto(`${stack.web}/#/`);
    await page.click(`.project-link >> text=demo`);
    await page.waitForSelector(".tr[data-run]");
    expect(new URL(page.url()).hash).toBe("#/p/e2e/demo");
    expect((await tableRuns()).sort()).toEqual(["alpha", "beta", "gamma", "live-run"]);
  });

  it("shows state badges, tags and attribute columns", async () => {
    await page.goto(`${stack.web}/#/p/e2e/demo`);
    await page.waitForSelector('.tr[data-run="gamma"] .state-failed');
    expect(await page.textContent('.tr[data-run="live-run"] .state')).toContain("running");
    expect(await page.textContent('.tr[data-run="alpha"] .tags')).toContain("baseline");
    await page.waitForSelector('.th[data-path="config/lr"]');
    await page.waitForSelector('.th[data-path="train/loss"]');
    expect(await page.textContent('.tr[data-run="gamma"] .td-value:last-child')).toBeTruthy();
  });

  it("filters with the server's language and shows its errors inline", async () => {
    await page.goto(`${stack.web}/#/p/e2e/demo?sort=sys%2Fname`);
    await waitForRuns(["alpha", "beta", "gamma", "live-run"]);
    await page.fill(".filter-input", "config/lr < 0.005");
    await page.press(".filter-input", "Enter");
    await waitForRuns(["alpha", "beta", "live-run"]);
    expect(decodeURIComponent(page.url())).toContain("q=config/lr+<+0.005");

    await page.fill(".filter-input", 'sys/tags contains "sweep"');
    await page.press(".filter-input", "Enter");
    await waitForRuns(["beta", "gamma"]);

    await page.fill(".filter-input", "config/lr <");
    await page.press(".filter-input", "Enter");
    await page.waitForSelector(".filter-box.has-error");
    expect(await page.textContent(".filter-error")).toContain("expected a value after '<'");
    await waitForRuns(["beta", "gamma"]); // the last good result stays

    await page.fill(".filter-input", "");
    await page.press(".filter-input", "Enter");
    await waitForRuns(["alpha", "beta", "gamma", "live-run"]);
    expect(await page.$(".filter-box.has-error")).toBeNull();
  });

  it("autocompletes attribute names in the filter box", async () => {
    await page.goto(`${stack.web}/#/p/e2e/demo`);
    await page.waitForSelector(".tr[data-run]");
    await page.click(".filter-input");
    await page.type(".filter-input", "config/op");
    await page.waitForSelector(".ac-item >> text=config/optimizer");
    await page.press(".filter-input", "Tab");
    expect(await page.inputValue(".filter-input")).toBe("config/optimizer ");
  });

  it("sorts on the server by clicking a header", async () => {
    await page.goto(`${stack.web}/#/p/e2e/demo`);
    await page.waitForSelector('.th[data-path="config/lr"]');
    await page.click('.th[data-path="config/lr"]');
    await waitForRuns(["beta", "alpha", "live-run", "gamma"]);
    await page.click('.th[data-path="config/lr"]');
    await waitForRuns(["gamma", "live-run", "alpha", "beta"]);
    expect(decodeURIComponent(page.url())).toContain("sort=config/lr&order=desc");
  });

  it("saves a view and restores its filter and columns", async () => {
    await page.goto(`${stack.web}/#/p/e2e/demo?q=sys%2Ftags+contains+%22sweep%22&sort=sys%2Fname&col=sys%2Fname&col=config%2Flr`);
    await waitForRuns(["beta", "gamma"]);
    await page.waitForFunction(() => document.querySelector(".run-count")?.textContent === "2 of 4 runs");
    await page.click(".views-btn");
    await page.fill(".view-name", "sweeps");
    await page.click(".view-save");
    await page.waitForSelector('.view-item[data-view="sweeps"]');
    await page.click(".views-btn"); // close

    // Change the filter and the columns.
    await page.fill(".filter-input", "");
    await page.press(".filter-input", "Enter");
    await waitForRuns(["alpha", "beta", "gamma", "live-run"]);
    await page.hover('.th[data-path="config/lr"]');
    await page.click('.th[data-path="config/lr"] .th-remove');
    await page.waitForSelector('.th[data-path="config/lr"]', { state: "detached" });

    // Restore it.
    await page.click(".views-btn");
    await page.click('.view-item[data-view="sweeps"] .view-open');
    await waitForRuns(["beta", "gamma"]);
    expect(await page.inputValue(".filter-input")).toBe('sys/tags contains "sweep"');
    expect(await page.$$eval(".th[data-path]", (els) => els.map((e) => (e as HTMLElement).dataset.path))).toEqual(["sys/name", "config/lr"]);
    const url = decodeURIComponent(new URL(page.url()).hash);
    expect(url).toContain('q=sys/tags+contains+"sweep"');
    expect(url).toContain("col=sys/name&col=config/lr");

    // Delete it.
    await page.click(".views-btn");
    await page.waitForSelector('.view-item[data-view="sweeps"]');
    await page.click('.view-item[data-view="sweeps"] .view-delete');
    await page.waitForSelector('.view-item[data-view="sweeps"]', { state: "detached" });
    expect(await page.textContent(".views-list")).toContain("No saved views");
  });

  it("moves columns by dragging and resizes them, in the URL", async () => {
    await page.goto(`${stack.web}/#/p/e2e/demo?sort=sys%2Fname&col=sys%2Fname&col=sys%2Fstate&col=config%2Flr`);
    await waitForRuns(["alpha", "beta", "gamma", "live-run"]);
    const order = () => page.$$eval(".th[data-path]", (els) => els.map((e) => (e as HTMLElement).dataset.path));
    await page.dragAndDrop('.th[data-path="config/lr"]', '.th[data-path="sys/name"]', { targetPosition: { x: 5, y: 10 } });
    await page.waitForFunction(() => (document.querySelector(".th[data-path]") as HTMLElement | null)?.dataset.path === "config/lr");
    expect(await order()).toEqual(["config/lr", "sys/name", "sys/state"]);
    expect(decodeURIComponent(page.url())).toContain("col=config/lr&col=sys/name&col=sys/state");

    const handle = await page.$('.th[data-path="sys/state"] .th-resize');
    const box = (await handle!.boundingBox())!;
    const before = (await (await page.$('.th[data-path="sys/state"]'))!.boundingBox())!.width;
    await page.mouse.move(box.x + box.width / 2, box.y + box.height / 2);
    await page.mouse.down();
    await page.mouse.move(box.x + 80, box.y + box.height / 2, { steps: 4 });
    await page.mouse.up();
    await page.waitForFunction(() => decodeURIComponent(location.hash).includes("w=sys/state:"));
    const after = (await (await page.$('.th[data-path="sys/state"]'))!.boundingBox())!.width;
    expect(after).toBeGreaterThan(before + 60);
    const cell = (await (await page.$('.tr[data-run="alpha"] .td-state'))!.boundingBox())!.width;
    expect(Math.abs(cell - after)).toBeLessThan(2);
    expect(new URL(page.url()).hash).not.toContain("order=desc"); // the resize did not click-sort
    await page.reload();
    await page.waitForSelector('.th[data-path="sys/state"]');
    expect((await (await page.$('.th[data-path="sys/state"]'))!.boundingBox())!.width).toBeCloseTo(after, 0);
  });

  it("groups rows by an attribute, with collapsible headers", async () => {
    await page.goto(`${stack.web}/#/p/e2e/demo?sort=sys%2Fname`);
    await waitForRuns(["alpha", "beta", "gamma", "live-run"]);
    await page.waitForSelector('.group-select option[value="config/optimizer"]', { state: "attached" });
    await page.selectOption(".group-select", "config/optimizer");
    await page.waitForSelector('.group-row[data-group="adam"]');
    expect(decodeURIComponent(page.url())).toContain("group=config/optimizer");
    expect(await page.textContent('.group-row[data-group="adam"] .group-count')).toBe("3 runs");
    expect(await page.textContent('.group-row[data-group="sgd"] .group-count')).toBe("1 run");
    await waitForRuns(["alpha", "gamma", "live-run", "beta"]);
    await page.click('.group-row[data-group="adam"]');
    await waitForRuns(["beta"]);
    await page.click('.group-row[data-group="adam"]');
    await waitForRuns(["alpha", "gamma", "live-run", "beta"]);
    await page.selectOption(".group-select", "");
    await page.waitForSelector(".group-row", { state: "detached" });
    await waitForRuns(["alpha", "beta", "gamma", "live-run"]);
  });

  it("draws a chart on the run page, with NaN marked", async () => {
    await page.goto(`${stack.web}/#/p/e2e/demo/r/gamma`);
    await page.waitForSelector('.card[data-path="train/loss"] .card-body[data-points="100"] canvas');
    expect(await colourPixels("train/loss", [37, 99, 235])).toBeGreaterThan(100);
    expect(await page.textContent('.card[data-path="train/loss"] .badge-nan')).toContain("NaN ×1");
    expect(await colourPixels("train/loss", [217, 45, 32])).toBeGreaterThan(5); // the NaN tick
    await page.waitForSelector(".log-line >> text=hello from gamma");
    expect(await page.textContent(".attr-tree")).toContain("optimizer");
  });

  it("draws a histogram series as a heatmap over steps", async () => {
    const c = client(stack.api, "e2e/hist");
    await c.createRun({ run_id: "h1", name: "h1" });
    // A distribution drifting upwards: at step s the mass sits in bin s (of 20).
    const edges = Array.from({ length: 21 }, (_, i) => i / 2);
    await c.log("h1", {
      series: [
        { path: "grad/w", type: "histogram", steps: steps(20), values: steps(20).map((s) => ({ edges, counts: edges.slice(1).map((_, b) => (b === s ? 50 : 1)) })) },
        { path: "train/loss", steps: steps(20), values: steps(20).map((s) => 1 / (1 + s)) },
      ],
    });
    await page.goto(`${stack.web}/#/p/e2e/hist/r/h1`);
    await page.waitForSelector('.card[data-path="grad/w"] .card-body[data-points="20"] canvas.heatmap');
    const px = await page.$eval('.card[data-path="grad/w"] canvas.heatmap', (el) => {
      const cv = el as HTMLCanvasElement;
      const d = cv.getContext("2d")!.getImageData(0, 0, cv.width, cv.height).data;
      // The darkest cells (the 50-count bins) lie on a rising diagonal: compare
      // the mean row of dark pixels in the left and right thirds.
      let n = 0, left = 0, ln = 0, right = 0, rn = 0;
      for (let y = 0; y < cv.height; y++) for (let x = 0; x < cv.width; x++) {
        const i = 4 * (y * cv.width + x);
        if (d[i + 3] > 200 && d[i] < 90 && d[i + 2] > 100) {
          n++;
          if (x < cv.width / 3) { left += y; ln++; } else if (x > (2 * cv.width) / 3) { right += y; rn++; }
        }
      }
      return { n, left: left / ln, right: right / rn };
    });
    expect(px.n).toBeGreaterThan(200);
    expect(px.right).toBeLessThan(px.left); // higher values are drawn higher up
    await page.hover('.card[data-path="grad/w"] canvas.heatmap');
    expect(await page.textContent('.card[data-path="grad/w"] .readout')).toMatch(/step \d+/);
  });

  it("switches the x axis to relative time and back, in the URL", async () => {
    const c = client(stack.api, "e2e/hist");
    await c.createRun({ run_id: "timed", name: "timed" });
    const t0 = 1795300000;
    await c.log("timed", { series: [{ path: "train/loss", steps: steps(30), values: steps(30).map((s) => 1 / (1 + s)), timestamps: steps(30).map((s) => t0 + 60 * s) }] });
    await page.goto(`${stack.web}/#/p/e2e/hist/r/timed`);
    await page.waitForSelector('.card[data-path="train/loss"] .card-body[data-points="30"] canvas');
    await page.selectOption(".x-axis", "relative");
    expect(decodeURIComponent(page.url())).toContain("x=relative");
    const card = '.card[data-path="train/loss"]';
    await page.waitForFunction((sel) => {
      const el = document.querySelector(`${sel} .plot`) as HTMLElement | null;
      if (!el) return false;
      const r = el.getBoundingClientRect();
      el.querySelector(".u-over")?.dispatchEvent(new MouseEvent("mousemove", { clientX: r.left + r.width * 0.75, clientY: r.top + r.height / 2, bubbles: true }));
      return /^\+\d+m/.test(document.querySelector(`${sel} .ro-step`)?.textContent ?? "");
    }, card, { timeout: 10_000 });
    expect(await page.textContent(`${card} .ro-step`)).toMatch(/^\+\d+m.*step \d+/);
    await page.goto(`${stack.web}/#/p/e2e/hist/r/timed?x=wall`);
    expect(await page.inputValue(".x-axis")).toBe("wall");
    await page.selectOption(".x-axis", "step");
    expect(new URL(page.url()).hash).toBe("#/p/e2e/hist/r/timed");
  });

  it("compares two selected runs", async () => {
    await page.goto(`${stack.web}/#/p/e2e/demo?sort=sys%2Fname`);
    await waitForRuns(["alpha", "beta", "gamma", "live-run"]);
    await page.check('.tr[data-run="alpha"] input[type=checkbox]');
    await page.check('.tr[data-run="beta"] input[type=checkbox]');
    await page.click("a.btn.primary >> text=Compare 2");
    await page.waitForSelector('.card[data-path="train/loss"] .card-body[data-points="200"] canvas');
    expect(await page.$$eval(".legend-chip", (e) => e.length)).toBe(2);
    expect(await colourPixels("train/loss", [37, 99, 235])).toBeGreaterThan(50); // run 1
    expect(await colourPixels("train/loss", [232, 89, 12])).toBeGreaterThan(50); // run 2
    const diff = await page.textContent(".diff-table");
    expect(diff).toContain("config/lr");
    expect(diff).toContain("sgd");
  });

  it("zooms by dragging and re-queries that step range", async () => {
    await page.goto(`${stack.web}/#/p/e2e/demo/r/alpha`);
    const sel = '.card[data-path="train/loss"] .card-body[data-points="100"]';
    await page.waitForSelector(`${sel} canvas`);
    const over = await page.$(`.card[data-path="train/loss"] .u-over`);
    const box = (await over!.boundingBox())!;
    await page.mouse.move(box.x + box.width * 0.25, box.y + box.height / 2);
    await page.mouse.down();
    await page.mouse.move(box.x + box.width * 0.5, box.y + box.height / 2, { steps: 5 });
    await page.mouse.up();
    await page.waitForFunction(() => location.hash.includes("from=") && location.hash.includes("to="));
    const pts = await page.waitForFunction(() => {
      const el = document.querySelector<HTMLElement>('.card[data-path="train/loss"] .card-body');
      const n = Number(el?.dataset.points);
      return n > 0 && n < 100 ? n : null;
    });
    expect(await pts.jsonValue()).toBeGreaterThan(10);
    await page.dblclick(`.card[data-path="train/loss"] .u-over`);
    await page.waitForFunction(() => !location.hash.includes("from="));
  });

  it("shows a new point live, without reload", async () => {
    await page.goto(`${stack.web}/#/p/e2e/demo/r/live-run`);
    await page.waitForSelector('.card[data-path="train/loss"] .card-body[data-last-step="49"] canvas');
    const t0 = Date.now();
    await client(stack.api, P).log("live-run", { series: [{ path: "train/loss", steps: [500], values: [0.01] }] });
    await page.waitForSelector('.card[data-path="train/loss"] .card-body[data-last-step="500"]', { timeout: 10_000 });
    console.log(`live point drawn ${Date.now() - t0} ms after it was logged`);
    expect(await page.textContent(".run-meta")).toContain("500");
  });

  it("updates the table live", async () => {
    await page.goto(`${stack.web}/#/p/e2e/demo?sort=sys%2Fname`);
    await page.waitForSelector('.tr[data-run="live-run"] .state-running');
    await client(stack.api, P).finish("live-run", "finished");
    await page.waitForSelector('.tr[data-run="live-run"] .state-finished', { timeout: 10_000 });
  });
});

describe("scale", () => {
  it("virtualizes a large runs table and pages through the server", async () => {
    const c = client(stack.api, "e2e/many");
    const N = 3000;
    for (let i = 0; i < N; i += 100) {
      await Promise.all(steps(100, i).map((k) => c.createRun({ run_id: `m-${String(k).padStart(5, "0")}` })));
    }
    await page.goto(`${stack.web}/#/p/e2e/many?sort=sys%2Fid`);
    await page.waitForSelector('.tr[data-run="m-00000"]');
    expect(await page.textContent(".run-count")).toContain("3,000");
    const rendered = await page.$$eval(".tr", (e) => e.length);
    expect(rendered).toBeLessThan(80);
    await page.$eval(".table-scroll", (el) => { el.scrollTop = el.scrollHeight; });
    await page.waitForSelector(`.tr[data-run="m-0${N - 1}"]`);
    await page.$eval(".table-scroll", (el) => { el.scrollTop = el.scrollHeight / 2; });
    await page.waitForSelector('.tr[data-run="m-01500"]');
    expect(await page.$$eval(".tr", (e) => e.length)).toBeLessThan(80);
  });

  it("opens a run with 5,000 series quickly, mounting only visible charts", async () => {
    const c = client(stack.api, "e2e/wide");
    await c.createRun({ run_id: "wide" });
    const series = Array.from({ length: 5000 }, (_, i) => ({
      path: `layers/l${String(i).padStart(4, "0")}/grad_norm`, steps: steps(20), values: steps(20).map((s) => Math.sin(s + i)),
    }));
    await c.log("wide", { series });
    const t0 = Date.now();
    await page.goto(`${stack.web}/#/p/e2e/wide/r/wide`);
    await page.waitForSelector('.card.mounted .card-body[data-points="20"] canvas');
    const elapsed = Date.now() - t0;
    // Generous: the server's brotli compression of the 670 kB attribute list
    // takes seconds when the browser offers "br" (reported upstream).
    expect(elapsed).toBeLessThan(15_000);
    expect(await page.textContent(".series-count")).toContain("5000 series");
    expect(await page.$$eval(".card", (e) => e.length)).toBeLessThan(100); // windowed
    expect(await page.$$eval(".card.mounted", (e) => e.length)).toBeLessThan(30);
    // Scrolling to the end renders and mounts the last charts.
    await page.$eval("main.page", (el) => { el.scrollTop = el.scrollHeight; });
    await page.waitForSelector('.card[data-path="layers/l4999/grad_norm"].mounted .card-body[data-points="20"] canvas');
    expect(await page.$$eval(".card", (e) => e.length)).toBeLessThan(100);
    await page.fill(".chart-controls .search", "l0042");
    await page.waitForSelector('.card[data-path="layers/l0042/grad_norm"].mounted canvas');
    expect(await page.$$eval(".card", (e) => e.length)).toBe(1);
    console.log(`5,000-series run: first chart after ${elapsed} ms`);
  });
});
