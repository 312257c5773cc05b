// Writing CSV (RFC 4180) for the UI's downloads: the runs table and chart data.
//
// - Comma separator, CRLF line ends, a header row.
// - A field is quoted when it holds `"`, `,`, CR or LF; quotes inside are doubled.
// - Numbers are printed in the shortest form that reads back as the same
//   double (`0.1`, `1e-7`, `1e+21`); non-finite values are the words `NaN`,
//   `Infinity` and `-Infinity` (as the API spells them); `-0` keeps its sign.
// - Formula injection: a field starting with `=`, `+`, `-`, `@`, tab or CR
//   that is not a number gets a leading `'`, so a spreadsheet shows it as
//   text instead of running it (OWASP's advice for CSV files).
// - Lists (string sets such as tags) are joined with `;`.
// - Times are ISO 8601 in UTC with microseconds: `2026-11-22T10:00:00.123456Z`.

export const CSV_EOL = "\r\n";

/** The separator between the items of a list value (a string set). */
export const LIST_SEPARATOR = ";";

const NUMBER_RE = /^[+-]?(?:\d+(?:\.\d*)?|\.\d+)(?:[eE][+-]?\d+)?$/;
const NON_FINITE = new Set(["NaN", "Infinity", "-Infinity"]);
const FORMULA_START = /^[=+\-@\t\r]/;
const NEEDS_QUOTES = /[",\r\n]/;

/** A double, printed so that it parses back to the same value. */
export function formatCsvNumber(v: number): string {
  if (Number.isNaN(v)) return "NaN";
  if (v === Infinity) return "Infinity";
  if (v === -Infinity) return "-Infinity";
  if (v === 0 && 1 / v < 0) return "-0";
  return String(v);
}

/** Whether a field's text is a number (decimal, exponent, or NaN/Infinity/-Infinity). */
export function isNumberText(s: string): boolean {
  return NUMBER_RE.test(s) || NON_FINITE.has(s);
}

/** One field: defused against formula injection, then quoted if needed. */
export function csvField(text: string): string {
  let s = text;
  if (FORMULA_START.test(s) && !isNumberText(s)) s = "'" + s;
  return NEEDS_QUOTES.test(s) ? `"${s.replace(/"/g, '""')}"` : s;
}

/** One record, CRLF-terminated. */
export function csvLine(fields: readonly string[]): string {
  let out = "";
  for (let i = 0; i < fields.length; i++) {
    if (i) out += ",";
    out += csvField(fields[i]);
  }
  return out + CSV_EOL;
}

/**
 * A value as the text of a field: numbers round-trip, booleans are
 * `true`/`false`, lists are joined with `;`, other objects are JSON, and a
 * missing value is an empty field. Strings are kept as they are (the API's
 * `"NaN"`, `"Infinity"`, `"-Infinity"` for non-finite floats included).
 */
export function csvText(v: unknown): string {
  if (v === null || v === undefined) return "";
  if (typeof v === "number") return formatCsvNumber(v);
  if (typeof v === "string") return v;
  if (typeof v === "boolean") return v ? "true" : "false";
  if (typeof v === "bigint") return v.toString();
  if (Array.isArray(v)) return v.map(csvText).join(LIST_SEPARATOR);
  return JSON.stringify(v);
}

const pad = (n: number, w: number) => String(n).padStart(w, "0");

/** Unix seconds as ISO 8601 UTC with microseconds; empty for a non-finite time. */
export function isoMicros(sec: number): string {
  if (!Number.isFinite(sec)) return "";
  let whole = Math.floor(sec);
  let us = Math.round((sec - whole) * 1e6);
  if (us >= 1_000_000) {
    whole += 1;
    us -= 1_000_000;
  }
  const d = new Date(whole * 1000);
  if (Number.isNaN(d.getTime())) return "";
  const y = d.getUTCFullYear();
  const year = y >= 0 && y <= 9999 ? pad(y, 4) : (y < 0 ? "-" : "+") + pad(Math.abs(y), 6);
  return `${year}-${pad(d.getUTCMonth() + 1, 2)}-${pad(d.getUTCDate(), 2)}T${pad(d.getUTCHours(), 2)}:` +
    `${pad(d.getUTCMinutes(), 2)}:${pad(d.getUTCSeconds(), 2)}.${pad(us, 6)}Z`;
}

const ISO_UTC = /^(\d{4}-\d{2}-\d{2}T\d{2}:\d{2}:\d{2})(?:\.(\d{1,6}))?Z$/;

/** A datetime the API sends (`2026-11-22T10:00:00Z`, `…:00.5Z`) with all six fractional digits; other text as is. */
export function isoMicrosText(s: string): string {
  const m = ISO_UTC.exec(s);
  return m ? `${m[1]}.${(m[2] ?? "").padEnd(6, "0")}Z` : s;
}

/**
 * An integer count of 1/`scale` units (scale 1 or 1,000,000) as the exact
 * decimal the API prints: `12`, `12.5`, `-0.000001`.
 */
export function scaledDecimal(n: bigint, scale: number): string {
  if (scale === 1) return n.toString();
  const digits = Math.round(Math.log10(scale));
  if (10 ** digits !== scale) throw new Error(`step_scale ${scale} is not a power of ten`);
  const neg = n < 0n;
  const abs = neg ? -n : n;
  const s = abs.toString().padStart(digits + 1, "0");
  const int = s.slice(0, s.length - digits);
  const frac = s.slice(s.length - digits).replace(/0+$/, "");
  return (neg ? "-" : "") + int + (frac ? "." + frac : "");
}

function base64Bytes(b64: string): Uint8Array {
  const bin = atob(b64);
  const out = new Uint8Array(bin.length);
  for (let i = 0; i < bin.length; i++) out[i] = bin.charCodeAt(i);
  return out;
}

/** Little-endian int64s from standard base64. */
export function decodeInt64(b64: string): bigint[] {
  const bytes = base64Bytes(b64);
  if (bytes.length % 8) throw new Error("int64 column: length is not a multiple of 8");
  const dv = new DataView(bytes.buffer, bytes.byteOffset, bytes.byteLength);
  const out = new Array<bigint>(bytes.length / 8);
  for (let i = 0; i < out.length; i++) out[i] = dv.getBigInt64(i * 8, true);
  return out;
}

/** Little-endian float64s from standard base64. */
export function decodeFloat64(b64: string): number[] {
  const bytes = base64Bytes(b64);
  if (bytes.length % 8) throw new Error("float64 column: length is not a multiple of 8");
  const dv = new DataView(bytes.buffer, bytes.byteOffset, bytes.byteLength);
  const out = new Array<number>(bytes.length / 8);
  for (let i = 0; i < out.length; i++) out[i] = dv.getFloat64(i * 8, true);
  return out;
}

/**
 * A download name: letters, digits, `.`, `_` and `-` are kept; every other
 * run of characters (`/`, spaces, quotes, control characters) becomes one `_`.
 */
export function safeFileName(name: string, ext = ".csv"): string {
  let base = name.replace(/[^\p{L}\p{N}._-]+/gu, "_").replace(/^[._]+/, "").replace(/_+$/, "");
  if (!base) base = "export";
  if (base.length > 180) base = base.slice(0, 180);
  return base + ext;
}
