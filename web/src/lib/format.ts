// Formatting values for dense tables and chart readouts.

import { toNumber } from "./api";

/** A number in at most ~6 significant characters: 0.0003, 1.234, 12.35k, 1.2e-7. */
export function formatNumber(v: number, digits = 4): string {
  if (Number.isNaN(v)) return "NaN";
  if (v === Infinity) return "+Inf";
  if (v === -Infinity) return "-Inf";
  if (Number.isInteger(v) && Math.abs(v) < 1e6) return String(v);
  const a = Math.abs(v);
  if (a !== 0 && (a < 1e-3 || a >= 1e6)) return v.toExponential(Math.max(digits - 2, 1)).replace(/\.?0+e/, "e");
  const s = v.toPrecision(digits);
  return s.includes(".") ? s.replace(/\.?0+$/, "") : s;
}

/** A duration in seconds, compact: 45s, 12m, 12m30s, 3h20m, 2d4h. */
export function formatDuration(sec: number): string {
  const neg = sec < 0;
  let s = Math.round(Math.abs(sec));
  const d = Math.floor(s / 86400);
  s -= d * 86400;
  const h = Math.floor(s / 3600);
  s -= h * 3600;
  const m = Math.floor(s / 60);
  s -= m * 60;
  let out: string;
  if (d) out = `${d}d${h ? `${h}h` : ""}`;
  else if (h) out = `${h}h${m ? `${m}m` : ""}`;
  else if (m) out = `${m}m${s ? `${s}s` : ""}`;
  else out = `${s}s`;
  return neg ? "-" + out : out;
}

/** A step: integers as is, fractional steps with up to 6 digits. */
export function formatStep(v: number): string {
  if (Number.isInteger(v)) return String(v);
  return String(Number(v.toFixed(6)));
}

/** Any attribute value as the table shows it. */
export function formatValue(v: unknown): string {
  if (v === null || v === undefined) return "";
  if (typeof v === "number") return formatNumber(v);
  if (v === "NaN" || v === "Infinity" || v === "-Infinity") return formatNumber(toNumber(v));
  if (typeof v === "boolean") return v ? "true" : "false";
  if (Array.isArray(v)) return v.map(String).join(", ");
  if (typeof v === "object") return JSON.stringify(v);
  return String(v);
}

const pad = (n: number) => String(n).padStart(2, "0");

/** Unix seconds as local "YYYY-MM-DD HH:MM". */
export function formatTime(sec: number): string {
  if (!Number.isFinite(sec)) return "";
  const d = new Date(sec * 1000);
  return `${d.getFullYear()}-${pad(d.getMonth() + 1)}-${pad(d.getDate())} ${pad(d.getHours())}:${pad(d.getMinutes())}`;
}

/** Unix seconds as the local time of day, "HH:MM:SS". */
export function formatClock(sec: number): string {
  if (!Number.isFinite(sec)) return "";
  const d = new Date(sec * 1000);
  return `${pad(d.getHours())}:${pad(d.getMinutes())}:${pad(d.getSeconds())}`;
}

/** "3m ago", "2h ago", "5d ago" relative to `now` (Unix seconds). */
export function formatAgo(sec: number, now = Date.now() / 1000): string {
  const d = Math.max(0, now - sec);
  if (d < 60) return "just now";
  if (d < 3600) return `${Math.floor(d / 60)}m ago`;
  if (d < 86400) return `${Math.floor(d / 3600)}h ago`;
  if (d < 86400 * 30) return `${Math.floor(d / 86400)}d ago`;
  return formatTime(sec).slice(0, 10);
}
