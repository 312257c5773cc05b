// CSV downloads of the runs table and of charts, checked against the API.

import { readFileSync } from "node:fs";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { type Browser, type Download, type Page } from "playwright-core";
import { openPage } from "./browser";
import { client, startStack } from "./harness.mjs";

type Stack = Awaited<ReturnType<typeof startStack>>;

let stack: Stack;
let browser: Browser;
let page: Page;
const P = "e2e/csv";
/** More runs than one page of the table (100 rows). */
const RUNS = 230;
/** More points than one page of an export's series read (100,000). */
const LONG_POINTS = 120_001;
const NOTES = ["plain", "=1+2", "a,b", 'say "hi"', "two\nlines", "-rm", "@SUM(A1)", "ünï 文件 🚀", "+3", "\tTab"];
const T0 = 1763812345;

async function seed(api: string): Promise<void> {
  const c = client(api, P);
  for (let i = 0; i < RUNS; i++) {
    const id = `run-${String(i).padStart(3, "0")}`;
    await c.createRun({ run_id: id, name: i % 50 === 7 ? `=name ${i}` : id, created_at: T0 + i * 1.000001 });
    await c.log(id, {
      configs: { "config/i": i, "config/lr": (i % 13) * 1e-4 + i * 1e-9, "config/note": NOTES[i % NOTES.length] },
      series: [{ path: "train/loss", steps: [0, 1], values: [1, i % 17 === 0 ? "NaN" : i % 19 === 0 ? "-Infinity" : 1 / (i + 1)] }],
      add_tags: i % 3 === 0 ? ["sweep", "a;b"] : ["base"],
      state: "finished",
    });
  }
  // Two long runs for the charts: fractional steps, non-finite values, timestamps with microseconds.
  for (const [id, n] of [["long", LONG_POINTS], ["long2", 2_500]] as const) {
    await c.createRun({ run_id: id, name: id });
    const steps: (number | string)[] = [];
    const values: (number | string)[] = [];
    const timestamps: number[] = [];
    for (let k = 0; k < n - 1; k++) {
      steps.push(k * 0.5);
      values.push(k % 1000 === 3 ? "NaN" : k % 777 === 5 ? "Infinity" : Math.sin(k) * 1e-3 + (id === "long" ? 0 : 1));
      timestamps.push(Math.round((T0 + k * 0.000123) * 1e6) / 1e6);
    }
    steps.push("8999999999999.999999"); // not a double: only exact paging keeps it
    values.push(-0.1);
    timestamps.push(T0 + 9999);
    await c.log(id, { series: [{ path: "train/loss", steps, values, timestamps }] });
  }
}

/** A strict RFC 4180 reader: CRLF records, quoted fields with doubled quotes. */
function parseCsv(text: string): string[][] {
  const rows: string[][] = [];
  let row: string[] = [];
  let i = 0;
  while (i < text.length) {
    let field = "";
    if (text[i] === '"') {
      const end = (j: number): number => {
        for (;;) {
          const q = text.indexOf('"', j);
          if (q < 0) throw new Error("unterminated quote");
          if (text[q + 1] === '"') { j = q + 2; continue; }
          return q;
        }
      };
      const q = end(i + 1);
      field = text.slice(i + 1, q).replace(/""/g, '"');
      i = q + 1;
    } else {
      let j = i;
      while (j < text.length && text[j] !== "," && text[j] !== "\r" && text[j] !== "\n") j++;
      field = text.slice(i, j);
      if (field.includes('"')) throw new Error(`bare quote in ${field}`);
      i = j;
    }
    row.push(field);
    if (text[i] === ",") { i++; continue; }
    if (text.startsWith("\r\n", i)) { i += 2; rows.push(row); row = []; continue; }
    throw new Error(`expected , or CRLF at ${i}`);
  }
  if (row.length) throw new Error("last record without CRLF");
  return rows;
}

/** What a text cell must read: formula starts defused with a leading quote. */
function defused(s: string): string {
  return /^[=+\-@\t\r]/.test(s) && !/^[+-]?(\d+(\.\d*)?|\.\d+)([eE][+-]?\d+)?$/.test(s) && s !== "-Infinity" ? "'" + s : s;
}

/** Unix seconds written as decimal text → ISO 8601 UTC with microseconds, computed from the digits. */
function isoFromText(t: string): string {
  const [whole, frac = ""] = t.split(".");
  let sec = Number(whole);
  let us = frac.length <= 6 ? Number(frac.padEnd(6, "0")) : Math.round(Number("0." + frac) * 1e6);
  if (us === 1_000_000) { sec++; us = 0; }
  return new Date(sec * 1000).toISOString().replace(/\.\d{3}Z$/, `.${String(us).padStart(6, "0")}Z`);
}

async function api<T>(path: string, body: unknown): Promise<{ json: T; text: string }> {
  const res = await fetch(`${stack.api}/api/v1/projects/${P}/${path}`, {
    method: "POST", headers: { "Content-Type": "application/json" }, body: JSON.stringify(body),
  });
  const text = await res.text();
  if (!res.ok) throw new Error(`${path}: ${res.status} ${text}`);
  return { json: JSON.parse(text) as T, text };
}

/** A run's raw points as the API prints them (steps and timestamps as written in the JSON). */
async function rawPoints(runId: string): Promise<{ steps: string[]; timestamps: string[]; values: unknown[] }> {
  const { json, text } = await api<{ series: { values: unknown[]; next_after_step: unknown }[] }>("series", { runs: [runId], path: "train/loss", limit: 1_000_000 });
  expect(json.series[0].next_after_step).toBeNull();
  const col = (name: string) => /^\[(.*)\]$/.exec(new RegExp(`"${name}":(\\[[^\\]]*\\])`).exec(text)![1])![1].split(",");
  return { steps: col("steps"), timestamps: col("timestamps"), values: json.series[0].values };
}

async function download(selector: string): Promise<{ name: string; text: string }> {
  const [dl]: [Download, void] = await Promise.all([page.waitForEvent("download", { timeout: 30_000 }), page.click(selector)]);
  const path = await dl.path();
  return { name: dl.suggestedFilename(), text: readFileSync(path!, "utf8") };
}

function checkSeriesRows(rows: string[][], runId: string, pts: { steps: string[]; timestamps: string[]; values: unknown[] }): void {
  expect(rows.length).toBe(pts.steps.length);
  for (let k = 0; k < rows.length; k++) {
    const [id, step, ts, value] = rows[k];
    const v = pts.values[k];
    if (id !== runId || step !== pts.steps[k] || ts !== isoFromText(pts.timestamps[k]) ||
      (typeof v === "string" ? value !== v : !Object.is(Number(value), v))) {
      throw new Error(`row ${k} of ${runId}: ${JSON.stringify(rows[k])}, API: ${pts.steps[k]} ${pts.timestamps[k]} ${JSON.stringify(v)}`);
    }
  }
}

beforeAll(async () => {
  stack = await startStack();
  await seed(stack.api);
  ({ browser, page } = await openPage({ viewport: { width: 1280, height: 800 }, acceptDownloads: true }));
});

afterAll(async () => {
  await browser?.close();
  await stack?.stop();
});

describe("CSV downloads", () => {
  it("downloads every matching run of the table, filtered, sorted, with the visible columns", async () => {
    const filter = "config/i >= 5";
    const cols = ["sys/name", "config/i", "config/lr", "config/note", "sys/tags", "train/loss", "sys/created_at"];
    const q = new URLSearchParams({ q: filter, sort: "config/lr", order: "desc" });
    for (const c of cols) q.append("col", c);
    await page.goto(`${stack.web}/#/p/${P}?${q}`);
    await page.waitForSelector(".tr[data-run]");
    await page.waitForFunction(() => /of/.test(document.querySelector(".run-count")?.textContent ?? ""));

    const { name, text } = await download(".csv-btn");
    expect(name).toBe("e2e-csv-runs.csv");
    expect(text.endsWith("\r\n")).toBe(true);
    expect(text.replace(/\r\n/g, "").includes("\n")).toBe(true); // the one note with a line break, quoted

    const { json } = await api<{ total: number; runs: { run_id: string; name: string; created_at: number; attributes: Record<string, unknown> }[] }>(
      "runs/query", { filter, sort: [{ path: "config/lr", order: "desc" }], columns: cols.filter((c) => !c.startsWith("sys/") || c === "sys/tags"), limit: 10_000 });
    expect(json.total).toBe(RUNS - 5); // long and long2 have no config/i
    expect(json.total).toBeGreaterThan(100); // more than one page of the table

    const rows = parseCsv(text);
    expect(rows[0]).toEqual(cols);
    expect(rows.length - 1).toBe(json.total);
    json.runs.forEach((r, k) => {
      const row = rows[k + 1];
      const a = r.attributes;
      const loss = a["train/loss"];
      const tags = (a["sys/tags"] as string[] | undefined) ?? [];
      expect(row).toEqual([
        defused(r.name),
        String(a["config/i"]),
        row[2], // below: read back as the same double
        defused(String(a["config/note"])),
        tags.join(";"),
        typeof loss === "string" ? loss : row[5],
        isoFromText(r.created_at.toFixed(6)),
      ]);
      expect(Object.is(Number(row[2]), a["config/lr"])).toBe(true);
      if (typeof loss === "number") expect(Object.is(Number(row[5]), loss)).toBe(true);
    });
    // The defences were exercised.
    expect(rows.some((r) => r[3] === "'=1+2")).toBe(true);
    expect(rows.some((r) => r[0].startsWith("'=name"))).toBe(true);
    expect(rows.some((r) => r[3] === "+3")).toBe(true);
    expect(rows.some((r) => r[5] === "-Infinity")).toBe(true);
    expect(rows.some((r) => r[4] === "a;b;sweep")).toBe(true);
  });

  it("downloads every raw point of a run page's chart", async () => {
    await page.goto(`${stack.web}/#/p/${P}/r/long`);
    await page.waitForSelector('.card[data-path="train/loss"] .card-csv');
    const reads: Record<string, unknown>[] = [];
    const onRequest = (r: import("playwright-core").Request) => {
      const body = r.postData();
      if (r.url().endsWith("/series") && body?.includes('"encoding":"base64"')) reads.push(JSON.parse(body));
    };
    page.on("request", onRequest);
    const { name, text } = await download('.card[data-path="train/loss"] .card-csv');
    page.off("request", onRequest);
    expect(name).toBe("long-train_loss.csv");
    // Two pages, the second after the exact last step of the first.
    expect(reads.map((b) => b.after_step)).toEqual([undefined, "49999.5"]);
    const lines = text.split("\r\n");
    expect(lines.pop()).toBe("");
    expect(lines[0]).toBe("run_id,step,timestamp_iso,value");
    const rows = lines.slice(1).map((l) => l.split(","));
    expect(rows.length).toBe(LONG_POINTS);
    checkSeriesRows(rows, "long", await rawPoints("long"));
    expect(rows[rows.length - 1][1]).toBe("8999999999999.999999");
  });

  it("downloads every point of each compared run", async () => {
    await page.goto(`${stack.web}/#/p/${P}/compare?run=long2&run=long`);
    await page.waitForSelector('.card[data-path="train/loss"] .card-csv');
    const { name, text } = await download('.card[data-path="train/loss"] .card-csv');
    expect(name).toBe("compare-train_loss.csv");
    const rows = text.split("\r\n").slice(1, -1).map((l) => l.split(","));
    const a = await rawPoints("long2");
    const b = await rawPoints("long");
    expect(rows.length).toBe(a.steps.length + b.steps.length);
    checkSeriesRows(rows.slice(0, a.steps.length), "long2", a);
    checkSeriesRows(rows.slice(a.steps.length), "long", b);
  });

  it("exports only the zoomed step range of a zoomed chart", async () => {
    await page.goto(`${stack.web}/#/p/${P}/r/long2?from=10&to=20`);
    await page.waitForSelector('.card[data-path="train/loss"] .card-csv');
    const { text } = await download('.card[data-path="train/loss"] .card-csv');
    const steps = text.split("\r\n").slice(1, -1).map((l) => l.split(",")[1]);
    expect(steps).toEqual(Array.from({ length: 21 }, (_, k) => String(10 + k * 0.5)));
  });

  it("downloads the whole project as NDJSON from the projects page", async () => {
    await page.goto(`${stack.web}/#/`);
    const link = `a.export-link[href$="/projects/e2e/csv/export"]`;
    await page.waitForSelector(link);
    const { name, text } = await download(link);
    expect(name).toBe("e2e-csv.ndjson");
    const lines = text.trimEnd().split("\n").map((l) => JSON.parse(l) as Record<string, Record<string, unknown>>);
    expect(Object.keys(lines[0])).toEqual(["export"]);
    expect(lines[0].export.runs).toBe(RUNS + 2);
    const end = lines[lines.length - 1].end;
    expect(end).toBeDefined();
    const points = RUNS * 2 + LONG_POINTS + 2_500;
    expect(end.runs).toBe(RUNS + 2);
    expect(end.points).toBe(points);
    const runs = lines.filter((l) => l.run).map((l) => l.run.run_id as string);
    expect(runs.length).toBe(RUNS + 2);
    let seen = 0;
    const notes = new Set<unknown>();
    for (const l of lines) {
      if (l.series) seen += (l.series.float_value as unknown[]).length;
      if (l.config?.attribute_path === "config/note") notes.add(l.config.string_value);
    }
    expect(seen).toBe(points);
    expect([...notes].sort()).toEqual([...NOTES].sort()); // text exactly as logged, no CSV defusing
  });
});
