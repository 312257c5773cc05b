// Performance measurements of the web UI in the real browser against the real
// server, filled through the HTTP API. Run: `node web/e2e/perf.mjs` (needs
// web/dist: `cd web && npm run build`). Writes web/perf-results.md (results are recorded in docs/benchmarks.md).
//
// Env knobs: PERF_RUNS (target runs, default 100000), PERF_FILL_S (time budget
// for creating them, default 240), PERF_POINTS_S (time budget for the compare
// points, default 240), PERF_REPS (default 3), PERF_OUT (results file).

import { spawn } from "node:child_process";
import { mkdtempSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir, loadavg, cpus, totalmem } from "node:os";
import { join } from "node:path";
import { chromium } from "playwright-core";
import { CHROMIUM, CHROMIUM_ARGS, SEXTANT_BIN, WEB_DIR } from "./harness.mjs";

const RUNS_TARGET = Number(process.env.PERF_RUNS ?? 100_000);
const FILL_S = Number(process.env.PERF_FILL_S ?? 240);
const POINTS_S = Number(process.env.PERF_POINTS_S ?? 240);
const REPS = Number(process.env.PERF_REPS ?? 3);
const OUT = process.env.PERF_OUT ?? join(WEB_DIR, "perf-results.md");
const log = (...a) => console.log(`[${new Date().toISOString().slice(11, 19)}]`, ...a);

// ---------- server ----------
function startServer(dataDir) {
  const proc = spawn(SEXTANT_BIN, ["serve", "--data", dataDir, "--host", "127.0.0.1", "--port", "0", "--no-fsync"], { stdio: ["ignore", "pipe", "pipe"] });
  let out = "";
  return new Promise((ok, bad) => {
    const t = setTimeout(() => bad(new Error(`no start:\n${out}`)), 15000);
    const on = (d) => {
      out += d;
      const m = /listening on (http:\/\/[^\s]+)/.exec(out);
      if (m) { clearTimeout(t); ok({ proc, url: m[1].replace(/\/$/, "") }); }
    };
    proc.stdout.on("data", on);
    proc.stderr.on("data", on);
    proc.on("exit", (c) => { clearTimeout(t); bad(new Error(`exited ${c}:\n${out}`)); });
  });
}

async function call(method, url, body) {
  for (let attempt = 0; ; attempt++) {
    try {
      const res = await fetch(url, { method, headers: { "Content-Type": "application/json" }, body: body === undefined ? undefined : JSON.stringify(body) });
      const text = await res.text();
      if (!res.ok) throw new Error(`${method} ${url}: ${res.status} ${text.slice(0, 200)}`);
      return JSON.parse(text);
    } catch (e) {
      if (attempt >= 3 || /: 4\d\d /.test(String(e.message))) throw e;
      await new Promise((r) => setTimeout(r, 200));
    }
  }
}
const api = (base, proj) => {
  const p = `${base}/api/v1/projects/${proj}`;
  return {
    createRun: (b) => call("POST", `${p}/runs`, b),
    log: (id, b) => call("POST", `${p}/runs/${encodeURIComponent(id)}/log`, b),
  };
};

/** Runs `fn(i)` for i in [0, n) with `conc` workers until done or `deadline` (ms). Returns how many completed. */
async function pool(n, conc, deadline, fn) {
  let next = 0, done = 0;
  const worker = async () => {
    while (next < n && Date.now() < deadline) {
      const i = next++;
      await fn(i);
      done++;
    }
  };
  await Promise.all(Array.from({ length: conc }, worker));
  return done;
}

// ---------- stats ----------
const median = (a) => { const s = [...a].sort((x, y) => x - y); const m = s.length >> 1; return s.length % 2 ? s[m] : (s[m - 1] + s[m]) / 2; };
const stat = (a) => ({ med: median(a), min: Math.min(...a), max: Math.max(...a), all: a });
const f0 = (x) => Math.round(x).toLocaleString("en");
const fmt = (s, unit = "ms") => `${f0(s.med)} ${unit} (min ${f0(s.min)}, max ${f0(s.max)})`;

// In-page: true when the canvas has coloured (series) pixels, not only grey axes/grid.
const COLOURED = `(c) => {
  if (!c || !c.width || !c.height) return false;
  const d = c.getContext("2d").getImageData(0, 0, c.width, c.height).data;
  let n = 0;
  for (let i = 0; i < d.length; i += 16) {
    if (d[i + 3] > 100 && Math.abs(d[i] - d[i + 1]) + Math.abs(d[i + 1] - d[i + 2]) + Math.abs(d[i] - d[i + 2]) > 80) { if (++n > 20) return true; }
  }
  return false;
}`;

async function main() {
  const load0 = loadavg();
  const dataDir = mkdtempSync(join(tmpdir(), "sextant-perf-"));
  const sx = await startServer(dataDir);
  log(`server at ${sx.url}, data ${dataDir}`);
  const notes = [];
  const results = {};
  let browser;
  try {
    // ---------- fill ----------
    // 1. many runs, 5 configs + 2 one-point series each, 2 requests per run.
    const many = api(sx.url, "perf/many");
    let t = Date.now();
    const nRuns = await pool(RUNS_TARGET, 64, t + FILL_S * 1000, async (i) => {
      const id = `r-${String(i).padStart(6, "0")}`;
      await many.createRun({ run_id: id, name: id, experiment_name: `exp-${i % 20}` });
      await many.log(id, {
        configs: { "config/lr": 1e-4 * (1 + (i % 7)), "config/layers": 12 + (i % 4) * 6, "config/optimizer": i % 2 ? "adamw" : "sgd", "config/seed": i, "config/bf16": i % 3 === 0 },
        series: [{ path: "train/loss", steps: [0], values: [1 + (i % 101) / 100] }, { path: "eval/acc", steps: [0], values: [(i % 97) / 97] }],
        state: "finished",
      });
    });
    const fillRunsS = (Date.now() - t) / 1000;
    log(`runs: ${nRuns} in ${fillRunsS.toFixed(0)} s (${(nRuns / fillRunsS).toFixed(0)} runs/s)`);
    results.nRuns = nRuns;
    results.fillRunsS = fillRunsS;

    // 2. a run with 5,000 float series of 10 points.
    const wide = api(sx.url, "perf/wide");
    await wide.createRun({ run_id: "wide" });
    const st10 = Array.from({ length: 10 }, (_, i) => i);
    await wide.log("wide", { series: Array.from({ length: 5000 }, (_, k) => ({ path: `layers/l${String(k).padStart(4, "0")}/grad_norm`, steps: st10, values: st10.map((s) => Math.sin(s + k)) })), state: "finished" });

    // 3. compare sets: 100 runs x P points, then 10 runs x 1M (time permitting).
    const CHUNK = 100_000;
    const logPoints = async (c, id, total) => {
      for (let from = 0; from < total; from += CHUNK) {
        const n = Math.min(CHUNK, total - from);
        const steps = new Array(n), values = new Array(n);
        for (let j = 0; j < n; j++) { const s = from + j; steps[j] = s; values[j] = 2 + Math.sin(s / 5000 + id.length) + 1 / (1 + s / 1e4); }
        await c.log(id, { series: [{ path: "train/loss", steps, values }] });
      }
    };
    const pointsDeadline = Date.now() + POINTS_S * 1000;
    const cmpSets = [];
    for (const [proj, runs, pts] of [["perf/cmp100x100k", 100, 100_000], ["perf/cmp10x1m", 10, 1_000_000], ["perf/cmp100x1m", 100, 1_000_000]]) {
      if (Date.now() > pointsDeadline) { notes.push(`${proj} skipped: the ${POINTS_S} s budget for logging points was spent.`); continue; }
      const c = api(sx.url, proj);
      t = Date.now();
      const ids = Array.from({ length: runs }, (_, i) => `c-${String(i).padStart(3, "0")}`);
      let full = 0;
      await pool(runs, 4, Infinity, async (i) => {
        await c.createRun({ run_id: ids[i] });
        if (Date.now() < pointsDeadline) { await logPoints(c, ids[i], pts); full++; }
      });
      const s = (Date.now() - t) / 1000;
      log(`${proj}: ${full}/${runs} runs with ${pts} points in ${s.toFixed(0)} s (${f0((full * pts) / s)} points/s)`);
      if (full < runs) { notes.push(`${proj}: only ${full} of ${runs} runs got their points within the budget; not measured.`); continue; }
      cmpSets.push({ proj, runs, pts, ids, fillS: s });
    }
    // the live run
    const live = api(sx.url, "perf/live");
    await live.createRun({ run_id: "live" });
    await live.log("live", { series: [{ path: "train/loss", steps: st10, values: st10.map((s) => 1 / (1 + s)) }] });

    // ---------- browser ----------
    browser = await chromium.launch({ executablePath: CHROMIUM, headless: true, args: [...CHROMIUM_ARGS, "--disable-background-timer-throttling", "--disable-renderer-backgrounding"] });
    results.chromium = browser.version();
    const newPage = async () => {
      const ctx = await browser.newContext({ viewport: { width: 1280, height: 800 } });
      const page = await ctx.newPage();
      page.on("pageerror", (e) => console.error("page error:", e));
      return { ctx, page };
    };
    // Time from navigation start (performance.timeOrigin) until `pred` holds, polled every frame.
    const timeTo = async (page, url, pred, arg) => {
      await page.goto("about:blank");
      await page.goto(url, { waitUntil: "commit" });
      const h = await page.waitForFunction(pred, arg, { polling: "raf", timeout: 60_000 });
      return h.jsonValue();
    };

    // 1. runs table
    const firstRows = [], gaps = [], frameMed = [], frameMax = [];
    for (let r = 0; r < REPS; r++) {
      const { ctx, page } = await newPage();
      firstRows.push(await timeTo(page, `${sx.url}/#/p/perf/many`, () => {
        const row = document.querySelector(".tr[data-run]");
        if (!row) return null;
        const b = row.getBoundingClientRect();
        return b.height > 0 && b.top < innerHeight ? performance.now() : null;
      }));
      const frames = await page.evaluate(() => new Promise((done) => {
        const el = document.querySelector(".table-scroll");
        const total = el.clientHeight * 50, step = el.clientHeight / 4;
        const times = [];
        let last = performance.now(), y = 0;
        const tick = (now) => {
          times.push(now - last);
          last = now;
          if (y >= total) return done({ times, top: el.scrollTop, max: el.scrollHeight });
          y += step;
          el.scrollTop = y;
          requestAnimationFrame(tick);
        };
        requestAnimationFrame((now) => { last = now; requestAnimationFrame(tick); });
      }));
      gaps.push(frames.times.filter((x) => x > 50).length);
      frameMed.push(median(frames.times));
      frameMax.push(Math.max(...frames.times));
      log(`table rep ${r}: first rows ${f0(firstRows[r])} ms; ${frames.times.length} frames, ${gaps[r]} > 50 ms, median ${frameMed[r].toFixed(1)} ms, worst ${f0(frameMax[r])} ms`);
      await ctx.close();
    }
    results.table = { firstRows: stat(firstRows), gaps: stat(gaps), frameMed: stat(frameMed), frameMax: stat(frameMax) };

    // 2. run page with 5,000 series
    const charts = [];
    for (let r = 0; r < REPS; r++) {
      const { ctx, page } = await newPage();
      charts.push(await timeTo(page, `${sx.url}/#/p/perf/wide/r/wide`, `(() => { const ok = ${COLOURED}; for (const c of document.querySelectorAll(".card.mounted canvas")) if (ok(c)) return performance.now(); return null; })()`));
      log(`wide rep ${r}: first chart ${f0(charts[r])} ms`);
      await ctx.close();
    }
    results.wide = stat(charts);

    // 3. compare
    results.compare = [];
    for (const set of cmpSets) {
      const xs = [];
      const url = `${sx.url}/#/p/${set.proj}/compare?${set.ids.map((id) => `run=${id}`).join("&")}`;
      for (let r = 0; r < REPS; r++) {
        const { ctx, page } = await newPage();
        xs.push(await timeTo(page, url, `(() => { const ok = ${COLOURED}; const card = document.querySelector('.card[data-path="train/loss"]'); if (card && !card.classList.contains("mounted") && !window.__scrolled) { window.__scrolled = performance.now(); card.scrollIntoView(); } const c = card?.querySelector("canvas"); return ok(c) ? performance.now() : null; })()`));
        log(`${set.proj} rep ${r}: first paint ${f0(xs[r])} ms`);
        await ctx.close();
      }
      results.compare.push({ ...set, s: stat(xs) });
    }

    // 4. live latency
    {
      const { ctx, page } = await newPage();
      await page.goto(`${sx.url}/#/p/perf/live/r/live`);
      await page.waitForSelector('.card[data-path="train/loss"] .card-body[data-last-step="9"] canvas', { timeout: 30_000 });
      await page.waitForTimeout(1000);
      const lat = [];
      for (let k = 1; k <= 5; k++) {
        const step = 9 + k * 10;
        const before = await page.textContent('.card[data-path="train/loss"] .readout');
        const t0 = Date.now();
        await live.log("live", { series: [{ path: "train/loss", steps: [step], values: [5 + k] }] });
        await page.waitForFunction(([step, before]) => {
          const b = document.querySelector('.card[data-path="train/loss"] .card-body');
          const ro = document.querySelector('.card[data-path="train/loss"] .readout');
          return b?.dataset.lastStep === String(step) && ro?.textContent !== before;
        }, [step, before], { polling: "raf", timeout: 30_000 });
        lat.push(Date.now() - t0);
        log(`live ${k}: ${lat[k - 1]} ms`);
        await page.waitForTimeout(700 + 300 * k); // not phase-locked to the poll/throttle
      }
      results.live = stat(lat);
      await ctx.close();
    }
  } finally {
    await browser?.close();
    sx.proc.kill("SIGTERM");
    await new Promise((r) => (sx.proc.exitCode !== null ? r() : sx.proc.on("exit", r)));
    rmSync(dataDir, { recursive: true, force: true });
  }
  const load1 = loadavg();
  results.load = { start: load0, end: load1 };
  writeReport(results, notes);
}

function writeReport(R, notes) {
  const ok = (v, target) => (v <= target ? "yes" : "**no**");
  const la = (l) => l.map((x) => x.toFixed(2)).join(", ");
  const rows = [
    [`Runs table, ${f0(R.nRuns)} runs: navigation → first rows visible`, fmt(R.table.firstRows), "≤ 1,000 ms", ok(R.table.firstRows.med, 1000)],
    [`Runs table scroll, 50 viewport heights in steps of ¼ (200 frames): frames > 50 ms`, `${R.table.gaps.med} (min ${R.table.gaps.min}, max ${R.table.gaps.max})`, "—", ""],
    [`Runs table scroll: median frame time`, `${R.table.frameMed.med.toFixed(1)} ms (min ${R.table.frameMed.min.toFixed(1)}, max ${R.table.frameMed.max.toFixed(1)})`, "—", ""],
    [`Runs table scroll: worst frame`, fmt(R.table.frameMax), "—", ""],
    [`Run page, 5,000 float series × 10 points: navigation → first chart drawn`, fmt(R.wide), "≤ 1,000 ms", ok(R.wide.med, 1000)],
    ...R.compare.map((c) => [`Compare ${c.runs} runs × ${f0(c.pts)} points: navigation → chart drawn`, fmt(c.s), "≤ 1,000 ms", ok(c.s.med, 1000)]),
    [`Live: point logged → chart updated (5 points)`, fmt(R.live), "≤ 2,000 ms", ok(R.live.med, 2000)],
  ];
  const md = [
    `## UI performance, 2026-11-22`,
    ``,
    `- Machine: 2 cores AMD EPYC VM (${cpus()[0]?.model?.trim() ?? "?"}), ${(totalmem() / 2 ** 30).toFixed(1)} GiB, shared with other work. Load average (1, 5, 15 min) at start: ${la(R.load.start)}; at end: ${la(R.load.end)}.`,
    `- Browser: ${R.chromium} (Debian's /usr/bin/chromium, headless, --disable-gpu), viewport 1280×800, a fresh browser context per repetition.`,
    `- Server: \`build/src/sextant serve --no-fsync\` serving web/dist, filled through the HTTP API.`,
    `- Command: \`node web/e2e/perf.mjs\` (${REPS} repetitions; median, min and max).`,
    `- Times are from navigation start (performance.timeOrigin) until the condition held, checked every animation frame; "chart drawn" = the chart canvas has coloured (series) pixels.`,
    `- Fill: ${f0(R.nRuns)} runs (5 configs, 2 one-point series each; create + log = 2 requests per run, 64 concurrent) in ${R.fillRunsS.toFixed(0)} s = ${f0(R.nRuns / R.fillRunsS)} runs/s.`,
    ...R.compare.map((c) => `- Fill: ${c.proj}: ${c.runs} runs × ${f0(c.pts)} points in ${c.fillS.toFixed(0)} s (${f0((c.runs * c.pts) / c.fillS)} points/s, 100k-point batches).`),
    `- Compare: with 100 runs the legend and the config-diff table push the chart card below the 800 px viewport, so it is not mounted until scrolled to; the measurement scrolls the card into view (scrollIntoView) as soon as it exists, i.e. it includes no user think time.`,
    ...notes.map((n) => `- ${n}`),
    ``,
    `| measurement | value: median (min, max) | target | met |`,
    `|---|---|---|---|`,
    ...rows.map((r) => `| ${r.join(" | ")} |`),
    ``,
  ].join("\n");
  writeFileSync(OUT, md);
  console.log("\n" + md);
}

main().catch((e) => { console.error(e); process.exit(1); });
