// Autocomplete for the runs filter box (language: docs/query.md).
//
// A tolerant lexer reads the text up to the cursor, decides whether the user
// is typing a path, an operator or a value, and ranks candidates. It never
// rejects input: the server's parser is the judge of validity.

export type SuggestionKind = "path" | "operator" | "keyword" | "value";

export interface Suggestion {
  label: string;
  /** text that replaces [from, to) */
  insert: string;
  kind: SuggestionKind;
}

export interface Completion {
  from: number;
  to: number;
  items: Suggestion[];
}

type TokKind = "ws" | "word" | "bq" | "str" | "op" | "other";
interface Tok { kind: TokKind; text: string; start: number; closed: boolean }

const PATH_CHAR = /[A-Za-z0-9_./-]/;
const KEYWORDS = new Set(["and", "or", "not", "contains", "in", "exists", "true", "false", "null", "datetime"]);
const COMPARE = new Set(["=", "==", "!=", "<", "<=", ">", ">=", "~", "!~"]);
const NUMBER = /^-?(\d+\.?\d*|\.\d+)([eE][+-]?\d+)?$/;
const STATES = ["running", "finished", "failed", "stale"];

export function lex(text: string): Tok[] {
  const toks: Tok[] = [];
  let i = 0;
  while (i < text.length) {
    const c = text[i];
    const start = i;
    if (c === " " || c === "\t" || c === "\n" || c === "\r") {
      while (i < text.length && /\s/.test(text[i])) i++;
      toks.push({ kind: "ws", text: text.slice(start, i), start, closed: true });
    } else if (c === '"' || c === "`") {
      i++;
      let closed = false;
      while (i < text.length) {
        if (text[i] === "\\") { i += 2; continue; }
        if (text[i] === c) { i++; closed = true; break; }
        i++;
      }
      i = Math.min(i, text.length);
      toks.push({ kind: c === '"' ? "str" : "bq", text: text.slice(start, i), start, closed });
    } else if (PATH_CHAR.test(c)) {
      while (i < text.length && PATH_CHAR.test(text[i])) i++;
      toks.push({ kind: "word", text: text.slice(start, i), start, closed: true });
    } else {
      const two = text.slice(i, i + 2);
      if (["==", "!=", "<=", ">=", "!~", "&&", "||"].includes(two)) i += 2;
      else i += 1;
      const t = text.slice(start, i);
      toks.push({ kind: "=<>!~()&|".includes(t[0]) ? "op" : "other", text: t, start, closed: true });
    }
  }
  return toks;
}

/** True when `name` must be written in backquotes in a filter. */
export function needsBackquote(name: string): boolean {
  if (name === "" || !/^[A-Za-z0-9_./-]+$/.test(name)) return true;
  return KEYWORDS.has(name.toLowerCase()) || NUMBER.test(name);
}

/** A path as it must be written in a filter. */
export function quotePath(name: string): string {
  return needsBackquote(name) ? "`" + name.replace(/[\\`]/g, (m) => "\\" + m) + "`" : name;
}

function lower(t: Tok | undefined): string {
  return t ? t.text.toLowerCase() : "";
}

/** Ranks `names` against `prefix`: prefix matches, then segment-prefix matches, then substrings. */
export function rankPaths(names: readonly string[], prefix: string, max: number): string[] {
  const p = prefix.toLowerCase();
  const a: string[] = [];
  const b: string[] = [];
  const c: string[] = [];
  for (const n of names) {
    const l = n.toLowerCase();
    if (l === p) continue;
    if (l.startsWith(p)) a.push(n);
    else if (l.includes("/" + p)) b.push(n);
    else if (p && l.includes(p)) c.push(n);
  }
  const byLen = (x: string, y: string) => x.length - y.length || (x < y ? -1 : 1);
  return [...a.sort(byLen), ...b.sort(byLen), ...c.sort(byLen)].slice(0, max);
}

/**
 * Suggestions for the filter `text` with the caret at `cursor`, given the
 * attribute names known to the UI. Returns null when nothing fits.
 */
export function complete(text: string, cursor: number, names: readonly string[], max = 12): Completion | null {
  const toks = lex(text.slice(0, cursor));
  let last = toks[toks.length - 1];
  let from = cursor;
  let prefix = "";
  let typing: Tok | undefined;
  if (last && (last.kind === "word" || (last.kind === "bq" && !last.closed))) {
    typing = last;
    from = last.start;
    prefix = last.kind === "bq" ? last.text.slice(1) : last.text;
  }
  // The word may go on after the caret: replace it whole.
  let to = cursor;
  if (typing?.kind === "word") while (to < text.length && PATH_CHAR.test(text[to])) to++;

  const before = toks.filter((t) => t !== typing && t.kind !== "ws");
  const prev = before[before.length - 1];
  const prev2 = before[before.length - 2];

  // Inside an unterminated string: a value. Offer run states for sys/state.
  if (last && last.kind === "str" && !last.closed) {
    const op = before[before.length - 2];
    const path = op && COMPARE.has(op.text) ? before[before.length - 3] : undefined;
    if (path && unquote(path) === "sys/state") {
      const p = last.text.slice(1).toLowerCase();
      const items = STATES.filter((s) => s.startsWith(p) && s !== p).map((s) => ({ label: s, insert: `"${s}" `, kind: "value" as const }));
      return items.length ? { from: last.start, to: cursor, items } : null;
    }
    return null;
  }
  if (typing === undefined && last && last.kind !== "ws" && last.kind !== "op") {
    // Caret right after a closed string or backquoted path: wait for a space.
    return null;
  }

  const pl = prefix.toLowerCase();
  const ctx = context(prev, prev2);
  let items: Suggestion[] = [];
  if (ctx === "path") {
    items = rankPaths(names, prefix, max).map((n) => ({ label: n, insert: quotePath(n) + " ", kind: "path" as const }));
    if (pl && typing?.kind === "word") {
      for (const k of ["not", "exists("]) if (k.startsWith(pl) && k !== pl) items.push({ label: k, insert: k === "not" ? "not " : k, kind: "keyword" });
    }
  } else if (ctx === "operator") {
    if (typing?.kind === "bq") return null;
    const ops = ["=", "!=", "<", "<=", ">", ">=", "~", "!~", "contains"];
    items = ops.filter((o) => o.startsWith(pl) && o !== pl).map((o) => ({ label: o, insert: o + " ", kind: "operator" as const }));
  } else if (ctx === "in") {
    items = ["in"].filter((o) => o.startsWith(pl) && o !== pl).map((o) => ({ label: o, insert: o + " ", kind: "keyword" as const }));
  } else if (ctx === "logic") {
    if (typing?.kind === "bq") return null;
    items = ["and", "or"].filter((o) => o.startsWith(pl) && o !== pl).map((o) => ({ label: o, insert: o + " ", kind: "keyword" as const }));
  } else if (ctx === "value") {
    const path = prev2 ? unquote(prev2) : "";
    if (path === "sys/state" && prev && (prev.text === "=" || prev.text === "==" || prev.text === "!=")) {
      items = STATES.filter((s) => s.startsWith(pl)).map((s) => ({ label: s, insert: `"${s}" `, kind: "value" as const }));
    } else if (pl && typing?.kind === "word") {
      items = ["true", "false", "datetime("].filter((k) => k.startsWith(pl) && k !== pl)
        .map((k) => ({ label: k, insert: k.endsWith("(") ? k + '"' : k + " ", kind: "keyword" as const }));
    }
  }
  items = items.slice(0, max);
  return items.length ? { from, to, items } : null;
}

type Ctx = "path" | "operator" | "logic" | "value" | "in" | "none";

function context(prev: Tok | undefined, prev2: Tok | undefined): Ctx {
  if (!prev) return "path";
  const p = lower(prev);
  if (p === "(" || isLogic(prev) || p === "in") return "path";
  if (COMPARE.has(prev.text) || p === "contains") return "value";
  if (p === ")") return "logic";
  if (prev.kind === "str") {
    // `"s" in path` when the string starts a condition; otherwise a value.
    return prev2 === undefined || isLogic(prev2) || prev2.text === "(" ? "in" : "logic";
  }
  if (prev.kind === "word" || prev.kind === "bq") {
    if (prev.kind === "word" && KEYWORDS.has(p)) return p === "true" || p === "false" ? "logic" : "none";
    // A word after a comparison is a value; otherwise it is a path.
    if (prev2 && (COMPARE.has(prev2.text) || lower(prev2) === "contains")) return "logic";
    if (prev2 && lower(prev2) === "in") return "logic";
    return "operator";
  }
  return "none";
}

function isLogic(t: Tok): boolean {
  const l = t.text.toLowerCase();
  return l === "and" || l === "or" || l === "not" || l === "&&" || l === "||" || l === "!";
}

function unquote(t: Tok): string {
  if (t.kind === "bq") return t.text.slice(1, t.closed ? -1 : undefined).replace(/\\(.)/g, "$1");
  return t.text;
}
