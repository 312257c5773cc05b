// Starts the real sextant binary on a free port with a temporary data folder,
// and serves the built UI (web/dist) next to it. When the server can serve the
// UI itself (`--web-dir`), that is used; otherwise a tiny Node server serves
// dist/ and forwards /api to sextant.

import { spawn, execFileSync } from "node:child_process";
import { createServer, request as httpRequest } from "node:http";
import { mkdtempSync, rmSync, readFileSync, existsSync, statSync } from "node:fs";
import { tmpdir } from "node:os";
import { dirname, extname, join, normalize, resolve } from "node:path";
import { fileURLToPath } from "node:url";

export const WEB_DIR = resolve(dirname(fileURLToPath(import.meta.url)), "..");
export const DIST_DIR = join(WEB_DIR, "dist");
export const SEXTANT_BIN = resolve(WEB_DIR, process.env.SEXTANT_BIN ?? "../build/src/sextant");
export const CHROMIUM = process.env.CHROMIUM_PATH ?? "/usr/bin/chromium";

export const CHROMIUM_ARGS = [
  "--no-sandbox", "--disable-gpu", "--disable-background-networking", "--disable-component-update",
  "--disable-sync", "--no-first-run",
];

function serverSupportsWebDir() {
  try {
    const out = execFileSync(SEXTANT_BIN, ["--help"], { encoding: "utf8", stdio: ["ignore", "pipe", "pipe"] });
    return out.includes("--web-dir");
  } catch (e) {
    // `--help` may exit non-zero after printing usage.
    return String(e.stdout ?? "").includes("--web-dir") || String(e.stderr ?? "").includes("--web-dir");
  }
}

/** Starts sextant; resolves with its base URL once it listens. */
function startSextant(dataDir, extraArgs, port = 0) {
  if (!existsSync(SEXTANT_BIN)) throw new Error(`sextant binary not found at ${SEXTANT_BIN} (set SEXTANT_BIN)`);
  const proc = spawn(SEXTANT_BIN, ["serve", "--data", dataDir, "--port", String(port), "--no-fsync", ...extraArgs], {
    stdio: ["ignore", "pipe", "pipe"],
  });
  let log = "";
  return new Promise((resolveUrl, reject) => {
    const timer = setTimeout(() => reject(new Error(`sextant did not start:\n${log}`)), 15000);
    const onData = (d) => {
      log += d;
      const m = /listening on (http:\/\/[^\s]+)/.exec(log);
      if (m) {
        clearTimeout(timer);
        resolveUrl({ proc, url: m[1].replace(/\/$/, ""), log: () => log });
      }
    };
    proc.stdout.on("data", onData);
    proc.stderr.on("data", onData);
    proc.on("exit", (code) => {
      clearTimeout(timer);
      reject(new Error(`sextant exited with ${code}:\n${log}`));
    });
  });
}

const TYPES = {
  ".html": "text/html; charset=utf-8", ".js": "text/javascript", ".css": "text/css",
  ".svg": "image/svg+xml", ".png": "image/png", ".json": "application/json", ".ico": "image/x-icon",
};

/** Serves dist/ (index.html for unknown paths) and proxies /api to `apiUrl`. */
function startStatic(apiUrl) {
  const api = new URL(apiUrl);
  const server = createServer((req, res) => {
    if (req.url.startsWith("/api/")) {
      // As a reverse proxy would: the server checks Host and Origin against its own address.
      const headers = { ...req.headers, host: api.host };
      if (headers.origin) headers.origin = api.origin;
      const up = httpRequest({ host: api.hostname, port: api.port, path: req.url, method: req.method, headers }, (r) => {
        res.writeHead(r.statusCode ?? 502, r.headers);
        r.pipe(res);
      });
      up.on("error", (e) => {
        res.writeHead(502);
        res.end(String(e));
      });
      req.pipe(up);
      return;
    }
    const path = decodeURIComponent(new URL(req.url, "http://x").pathname);
    let file = normalize(join(DIST_DIR, path));
    if (!file.startsWith(DIST_DIR) || !existsSync(file) || statSync(file).isDirectory()) file = join(DIST_DIR, "index.html");
    res.writeHead(200, { "Content-Type": TYPES[extname(file)] ?? "application/octet-stream" });
    res.end(readFileSync(file));
  });
  return new Promise((ok) => server.listen(0, "127.0.0.1", () => ok({ server, url: `http://127.0.0.1:${server.address().port}` })));
}

/**
 * Runs `sextant ARGS... --data DIR` before the server starts (e.g. `admin init`),
 * writing `input` to its stdin; returns its stdout.
 */
function runSetup(dataDir, { args, input = "" }) {
  try {
    return execFileSync(SEXTANT_BIN, [...args, "--data", dataDir], { input, encoding: "utf8", stdio: ["pipe", "pipe", "pipe"], timeout: 60000 });
  } catch (e) {
    throw new Error(`sextant ${args.join(" ")} failed: ${e.message}\n${e.stdout ?? ""}${e.stderr ?? ""}`);
  }
}

/**
 * Starts everything. Returns { api, web, stop, mode, setupOutput } where
 * `api` is the sextant base URL and `web` the URL of the UI.
 *
 * Options: `setup`, commands run against the data folder before `serve`
 * (`{ args, input }`; their outputs are `setupOutput`), and `serveArgs`,
 * extra `serve` options.
 */
export async function startStack({ setup = [], serveArgs = [] } = {}) {
  if (!existsSync(join(DIST_DIR, "index.html"))) throw new Error("web/dist is missing: run `npm run build` first");
  const dataDir = mkdtempSync(join(tmpdir(), "sextant-e2e-"));
  const setupOutput = setup.map((cmd) => runSetup(dataDir, cmd));
  // E2E_OWN_STATIC=1 forces the Node static server even when sextant can serve the UI.
  const useWebDir = !process.env.E2E_OWN_STATIC && serverSupportsWebDir();
  const args = [...(useWebDir ? ["--web-dir", DIST_DIR] : []), ...serveArgs];
  let sx = await startSextant(dataDir, args);
  let web = sx.url;
  let staticServer = null;
  if (useWebDir) {
    const res = await fetch(sx.url + "/");
    const text = await res.text();
    if (!text.includes('id="app"')) throw new Error("sextant --web-dir did not serve index.html at /");
  } else {
    staticServer = await startStatic(sx.url);
    web = staticServer.url;
  }
  const killServer = async () => {
    const proc = sx.proc;
    proc.removeAllListeners("exit");
    if (proc.exitCode !== null || proc.signalCode !== null) return;
    proc.kill("SIGTERM");
    await new Promise((r) => {
      const t = setTimeout(() => { proc.kill("SIGKILL"); r(); }, 5000);
      proc.on("exit", () => { clearTimeout(t); r(); });
    });
  };
  const stop = async () => {
    staticServer?.server.close();
    await killServer();
    rmSync(dataDir, { recursive: true, force: true });
  };
  // An outage: the server stops (its data stays) and later starts again on the same port.
  const stopServer = killServer;
  const startServer = async () => {
    sx = await startSextant(dataDir, args, Number(new URL(sx.url).port));
  };
  return { api: sx.url, web, stop, stopServer, startServer, mode: useWebDir ? "sextant --web-dir" : "node static server", serverLog: () => sx.log(), setupOutput };
}

/** A small client for filling the server through its HTTP API (`token`: a Bearer secret, when the server asks for one). */
export function client(base, project, token) {
  const p = `${base}/api/v1/projects/${project}`;
  const headers = { "Content-Type": "application/json", ...(token ? { Authorization: `Bearer ${token}` } : {}) };
  const call = async (method, url, body) => {
    const res = await fetch(url, { method, headers, body: body === undefined ? undefined : JSON.stringify(body) });
    const text = await res.text();
    if (!res.ok) throw new Error(`${method} ${url}: ${res.status} ${text}`);
    return JSON.parse(text);
  };
  return {
    createRun: (body) => call("POST", `${p}/runs`, body),
    log: (runId, body) => call("POST", `${p}/runs/${encodeURIComponent(runId)}/log`, body),
    finish: (runId, state = "finished") => call("POST", `${p}/runs/${encodeURIComponent(runId)}/finish`, { state }),
  };
}
