import { describe, expect, it } from "vitest";
import type { Run, RunsPage } from "../src/lib/api";
import {
  csvField, csvLine, csvText, decodeFloat64, decodeInt64, formatCsvNumber, isNumberText, isoMicros, isoMicrosText,
  safeFileName, scaledDecimal,
} from "../src/lib/csv";
import { collectRuns, pagePoints, runCellText, runsCsv, seriesCsv, seriesPageQuery, type RawSeriesPage } from "../src/lib/export";

/** A strict RFC 4180 reader: CRLF records, quoted fields with doubled quotes. */
function parseCsv(text: string): string[][] {
  const rows: string[][] = [];
  let row: string[] = [];
  let i = 0;
  while (i < text.length) {
    let field = "";
    if (text[i] === '"') {
      i++;
      for (;;) {
        if (i >= text.length) throw new Error("unterminated quote");
        if (text[i] === '"') {
          if (text[i + 1] === '"') { field += '"'; i += 2; continue; }
          i++;
          break;
        }
        field += text[i++];
      }
    } else {
      while (i < text.length && text[i] !== "," && text[i] !== "\r" && text[i] !== "\n") {
        if (text[i] === '"') throw new Error(`bare quote at ${i}`);
        field += text[i++];
      }
    }
    row.push(field);
    if (text[i] === ",") { i++; continue; }
    if (text.startsWith("\r\n", i)) { i += 2; rows.push(row); row = []; continue; }
    throw new Error(`expected , or CRLF at ${i}, got ${JSON.stringify(text[i])}`);
  }
  if (row.length) throw new Error("last record without CRLF");
  return rows;
}

const b64 = (bytes: Buffer) => bytes.toString("base64");
function int64s(v: bigint[]): string {
  const b = Buffer.alloc(v.length * 8);
  v.forEach((x, i) => b.writeBigInt64LE(x, i * 8));
  return b64(b);
}
function float64s(v: number[]): string {
  const b = Buffer.alloc(v.length * 8);
  v.forEach((x, i) => b.writeDoubleLE(x, i * 8));
  return b64(b);
}

function run(id: string, attributes: Record<string, unknown> = {}, extra: Partial<Run> = {}): Run {
  return { project: "a/b", run_id: id, name: id, experiment_name: "exp", state: "finished", created_at: 1763812345.123456, updated_at: 1763812346, fork_run_id: null, fork_step: null, attributes, ...extra };
}

describe("csv fields", () => {
  it("quotes only fields with a quote, comma, CR or LF, doubling quotes", () => {
    expect(csvField("plain")).toBe("plain");
    expect(csvField("")).toBe("");
    expect(csvField("a,b")).toBe('"a,b"');
    expect(csvField('say "hi"')).toBe('"say ""hi"""');
    expect(csvField("two\nlines")).toBe('"two\nlines"');
    expect(csvField("cr\rhere")).toBe('"cr\rhere"');
    expect(csvField("semi;colon and space")).toBe("semi;colon and space");
    expect(csvLine(["a", "b,c", ""])).toBe('a,"b,c",\r\n');
  });

  it("defuses formula injection with a leading quote, but not numbers", () => {
    expect(csvField("=1+2")).toBe("'=1+2");
    expect(csvField("=HYPERLINK(\"http://x\",\"y\")")).toBe("\"'=HYPERLINK(\"\"http://x\"\",\"\"y\"\")\"");
    expect(csvField("+cmd")).toBe("'+cmd");
    expect(csvField("-cmd|' /C calc'!A0")).toBe("'-cmd|' /C calc'!A0");
    expect(csvField("@SUM(A1)")).toBe("'@SUM(A1)");
    expect(csvField("\tx")).toBe("'\tx");
    expect(csvField("\r=x")).toBe("\"'\r=x\"");
    // Numbers keep their sign.
    for (const n of ["-1", "+1", "-1.5e-7", "-0", "-Infinity", "-.5", "1e+21"]) expect(csvField(n)).toBe(n);
    // Only the first character matters.
    expect(csvField("a=b")).toBe("a=b");
    expect(csvField("'quoted")).toBe("'quoted");
    expect(isNumberText("-")).toBe(false);
    expect(isNumberText("-1-1")).toBe(false);
    expect(isNumberText("-Inf")).toBe(false);
  });

  it("prints numbers so that they read back exactly", () => {
    expect(formatCsvNumber(0.1)).toBe("0.1");
    expect(formatCsvNumber(1)).toBe("1");
    expect(formatCsvNumber(-0)).toBe("-0");
    expect(formatCsvNumber(1e-7)).toBe("1e-7");
    expect(formatCsvNumber(1e21)).toBe("1e+21");
    expect(formatCsvNumber(0.30000000000000004)).toBe("0.30000000000000004");
    expect(formatCsvNumber(Number.MAX_VALUE)).toBe("1.7976931348623157e+308");
    expect(formatCsvNumber(5e-324)).toBe("5e-324");
    expect(formatCsvNumber(NaN)).toBe("NaN");
    expect(formatCsvNumber(Infinity)).toBe("Infinity");
    expect(formatCsvNumber(-Infinity)).toBe("-Infinity");
    const buf = new DataView(new ArrayBuffer(8));
    let seed = 12345;
    for (let i = 0; i < 2000; i++) {
      seed = (seed * 1103515245 + 12345) >>> 0;
      buf.setUint32(0, seed);
      seed = (seed * 1103515245 + 12345) >>> 0;
      buf.setUint32(4, seed);
      const v = buf.getFloat64(0);
      if (!Number.isFinite(v)) continue;
      const s = formatCsvNumber(v);
      expect(Object.is(Number(s), v)).toBe(true);
      expect(csvField(s)).toBe(s);
    }
  });

  it("writes values: booleans, lists with ';', objects as JSON, missing as empty", () => {
    expect(csvText(undefined)).toBe("");
    expect(csvText(null)).toBe("");
    expect(csvText(true)).toBe("true");
    expect(csvText(false)).toBe("false");
    expect(csvText("NaN")).toBe("NaN");
    expect(csvText(["a", "b c"])).toBe("a;b c");
    expect(csvText([])).toBe("");
    expect(csvText({ edges: [0, 1], counts: [3] })).toBe('{"edges":[0,1],"counts":[3]}');
    expect(csvField(csvText({ edges: [0, 1], counts: [3] }))).toBe('"{""edges"":[0,1],""counts"":[3]}"');
  });

  it("keeps unicode as it is", () => {
    const s = "ünï cødé 文件 🚀, \u200b";
    expect(csvField(s)).toBe(`"${s}"`);
    expect(parseCsv(csvLine(["名前", s, "-ß"]))).toEqual([["名前", s, "'-ß"]]);
    expect(new TextDecoder().decode(new TextEncoder().encode(csvLine([s])))).toBe(`"${s}"\r\n`);
  });

  it("reads back with an RFC 4180 parser", () => {
    const fields = ["a", "", "x,y", 'q"uote', "line\r\nbreak", "=2*3", "-5", " lead", "trail "];
    const rows = parseCsv(csvLine(fields) + csvLine(["1", "2"]));
    expect(rows).toEqual([["a", "", "x,y", 'q"uote', "line\r\nbreak", "'=2*3", "-5", " lead", "trail "], ["1", "2"]]);
  });
});

describe("csv times, steps and binary columns", () => {
  it("writes Unix seconds as ISO 8601 UTC with microseconds", () => {
    expect(isoMicros(0)).toBe("1970-01-01T00:00:00.000000Z");
    expect(isoMicros(1e-6)).toBe("1970-01-01T00:00:00.000001Z");
    expect(isoMicros(1763812345.123456)).toBe("2025-11-22T11:52:25.123456Z");
    expect(isoMicros(1763812345.9999996)).toBe("2025-11-22T11:52:26.000000Z");
    expect(isoMicros(253402300799)).toBe("9999-12-31T23:59:59.000000Z");
    expect(isoMicros(NaN)).toBe("");
    expect(isoMicrosText("2026-11-22T10:00:00Z")).toBe("2026-11-22T10:00:00.000000Z");
    expect(isoMicrosText("1970-01-01T00:00:00.5Z")).toBe("1970-01-01T00:00:00.500000Z");
    expect(isoMicrosText("2026-11-22T10:00:00.123456Z")).toBe("2026-11-22T10:00:00.123456Z");
    expect(isoMicrosText("not a date")).toBe("not a date");
  });

  it("prints scaled steps as exact decimals", () => {
    expect(scaledDecimal(12n, 1)).toBe("12");
    expect(scaledDecimal(-3n, 1)).toBe("-3");
    expect(scaledDecimal(12_500_000n, 1_000_000)).toBe("12.5");
    expect(scaledDecimal(12_000_000n, 1_000_000)).toBe("12");
    expect(scaledDecimal(1n, 1_000_000)).toBe("0.000001");
    expect(scaledDecimal(-1n, 1_000_000)).toBe("-0.000001");
    expect(scaledDecimal(0n, 1_000_000)).toBe("0");
    expect(scaledDecimal(8999999999999999999n, 1_000_000)).toBe("8999999999999.999999");
    expect(scaledDecimal(-1_500_000n, 1_000_000)).toBe("-1.5");
  });

  it("decodes little-endian base64 columns", () => {
    expect(decodeInt64(int64s([0n, -1n, 9007199254740993n]))).toEqual([0n, -1n, 9007199254740993n]);
    expect(decodeFloat64(float64s([0.1, NaN, -Infinity, -0]))).toEqual([0.1, NaN, -Infinity, -0]);
    // A real server answer: steps -3 and 0, values 0.1 and 1.
    expect(decodeInt64("/f////////8AAAAAAAAAAA==")).toEqual([-3n, 0n]);
    expect(decodeFloat64("mpmZmZmZuT8AAAAAAADwPw==")).toEqual([0.1, 1]);
    expect(() => decodeInt64("AAAA")).toThrow();
  });

  it("makes safe file names", () => {
    expect(safeFileName("ws-proj-runs")).toBe("ws-proj-runs.csv");
    expect(safeFileName("run-1-train/loss")).toBe("run-1-train_loss.csv");
    expect(safeFileName("compare-a b/c:d\"e*?<>|\u0000f")).toBe("compare-a_b_c_d_e_f.csv");
    expect(safeFileName("../../etc/passwd")).toBe("etc_passwd.csv");
    expect(safeFileName("r-ünï/文件")).toBe("r-ünï_文件.csv");
    expect(safeFileName("///")).toBe("export.csv");
    expect(safeFileName("x".repeat(500)).length).toBe(184);
  });
});

describe("runs export", () => {
  it("pages through the whole query, not just one page", async () => {
    const all = Array.from({ length: 250 }, (_, i) => run(`r${i}`));
    const calls: [number, number][] = [];
    const fetch = async (offset: number, limit: number): Promise<RunsPage> => {
      calls.push([offset, limit]);
      return { total: all.length, runs: all.slice(offset, offset + limit) };
    };
    const progress: number[] = [];
    const got = await collectRuns(fetch, 100, (done) => progress.push(done));
    expect(got.map((r) => r.run_id)).toEqual(all.map((r) => r.run_id));
    expect(calls).toEqual([[0, 100], [100, 100], [200, 100]]);
    expect(progress).toEqual([100, 200, 250]);
    // An exact multiple ends on the total, without an empty extra request.
    calls.length = 0;
    await collectRuns(async (o, l) => ({ total: 200, runs: all.slice(o, Math.min(o + l, 200)) }), 100);
    expect(calls).toEqual([]);
  });

  it("keeps a run once when a new run shifts the pages", async () => {
    let all = Array.from({ length: 150 }, (_, i) => run(`r${i}`));
    const got = await collectRuns(async (offset, limit) => {
      const page = { total: all.length, runs: all.slice(offset, offset + limit) };
      if (offset === 0) all = [run("new"), ...all]; // created while paging
      return page;
    }, 100);
    expect(got.length).toBe(150);
    expect(new Set(got.map((r) => r.run_id)).size).toBe(150);
  });

  it("writes the visible columns, in order, with times, lists and non-finite values", () => {
    const runs = [
      run("a", { "config/lr": 0.0003, "train/loss": "NaN", "sys/tags": ["x", "y;z"], "config/name": "=cmd", "config/when": "2026-11-22T10:00:00Z", "config/ok": true }),
      run("b", { "config/lr": 1e-7, "train/loss": "-Infinity" }, { name: "" }),
    ];
    const cols = ["sys/name", "sys/id", "sys/state", "sys/created_at", "config/lr", "train/loss", "sys/tags", "config/name", "config/when", "config/ok", "missing"];
    const text = runsCsv(runs, cols, { datetimePaths: new Set(["config/when"]) }).join("");
    expect(text.endsWith("\r\n")).toBe(true);
    expect(parseCsv(text)).toEqual([
      cols,
      ["a", "a", "finished", "2025-11-22T11:52:25.123456Z", "0.0003", "NaN", "x;y;z", "'=cmd", "2026-11-22T10:00:00.000000Z", "true", ""],
      ["b", "b", "finished", "2025-11-22T11:52:25.123456Z", "1e-7", "-Infinity", "", "", "", "", ""],
    ]);
    expect(runCellText(runs[0], "sys/updated_at")).toBe("2025-11-22T11:52:26.000000Z");
    expect(runCellText(runs[0], "config/when")).toBe("2026-11-22T10:00:00Z"); // not known to be a datetime: as sent
  });

  it("writes a header alone for no runs", () => {
    expect(runsCsv([], ["sys/name", "=x"]).join("")).toBe("sys/name,'=x\r\n");
  });
});

describe("chart export", () => {
  it("follows next_after_step with exact steps until the series ends", async () => {
    // Run r1: 5 points in pages of 2, fractional steps (binary columns); r2: JSON, one page.
    const steps = [-1_500_000n, 0n, 1n, 2_000_000n, 8999999999999999999n];
    const values = [0.1, NaN, Infinity, -0, 1e300];
    const times = [0, 1e-6, 1763812345.123456, 1763812346, 1763812347.5];
    const asked: (string | null)[] = [];
    const fetch = async (runId: string, after: string | null, limit: number): Promise<RawSeriesPage | undefined> => {
      if (runId === "r2") {
        return { run_id: "r2", steps: [1, 2], values: ["NaN", 2.5], timestamps: [10, 11], next_after_step: null };
      }
      asked.push(after);
      const exact = steps.map((s) => scaledDecimal(s, 1_000_000));
      const from = after === null ? 0 : exact.indexOf(after) + 1;
      const idx = [from, from + 1].filter((i) => i < Math.min(steps.length, from + limit));
      const more = idx.length > 0 && idx[idx.length - 1] < steps.length - 1;
      return {
        run_id: runId, step_scale: 1_000_000,
        steps_b64: int64s(idx.map((i) => steps[i])), values_b64: float64s(idx.map((i) => values[i])),
        timestamps_b64: float64s(idx.map((i) => times[i])),
        next_after_step: more ? Number(exact[idx[idx.length - 1]]) : null,
      };
    };
    const parts = await seriesCsv(fetch, ["r1", "r2"], 2);
    expect(asked).toEqual([null, "0", "2"]);
    expect(parseCsv(parts.join(""))).toEqual([
      ["run_id", "step", "timestamp_iso", "value"],
      ["r1", "-1.5", "1970-01-01T00:00:00.000000Z", "0.1"],
      ["r1", "0", "1970-01-01T00:00:00.000001Z", "NaN"],
      ["r1", "0.000001", "2025-11-22T11:52:25.123456Z", "Infinity"],
      ["r1", "2", "2025-11-22T11:52:26.000000Z", "-0"],
      ["r1", "8999999999999.999999", "2025-11-22T11:52:27.500000Z", "1e+300"],
      ["r2", "1", "1970-01-01T00:00:10.000000Z", "NaN"],
      ["r2", "2", "1970-01-01T00:00:11.000000Z", "2.5"],
    ]);
  });

  it("keeps string and histogram values from JSON", () => {
    const p = pagePoints({ run_id: "r", step_scale: 1, steps_b64: int64s([3n]), values: [{ edges: [0, 1], counts: [2] }], timestamps_b64: float64s([5]), next_after_step: null });
    expect(p).toEqual({ steps: ["3"], timestamps: [5], values: [{ edges: [0, 1], counts: [2] }] });
    expect(() => pagePoints({ run_id: "r", steps: [1, 2], values: [1], next_after_step: null })).toThrow();
  });

  it("stops on a server that does not advance", async () => {
    const fetch = async (): Promise<RawSeriesPage> => ({ run_id: "r", steps: [], values: [], timestamps: [], next_after_step: 5 });
    await expect(seriesCsv(fetch, ["r"], 10)).rejects.toThrow(/did not advance/);
  });

  it("asks for base64 pages with the exact after_step and the zoom range", () => {
    expect(seriesPageQuery("r", "train/loss", "12.5", 100, [0, 50])).toEqual({
      runs: ["r"], path: "train/loss", limit: 100, encoding: "base64", after_step: "12.5", step_range: [0, 50],
    });
    expect(seriesPageQuery("r", "p", null, 10, null)).toEqual({ runs: ["r"], path: "p", limit: 10, encoding: "base64" });
  });
});
