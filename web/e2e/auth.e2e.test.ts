// End-to-end: signing in, API tokens, members and signing out, against a
// server whose owner was created by `sextant admin init` before it started.

import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { chromium, type Browser, type BrowserContext, type Page } from "playwright-core";
import { CHROMIUM, CHROMIUM_ARGS, client, startStack } from "./harness.mjs";

type Stack = Awaited<ReturnType<typeof startStack>>;

const OWNER = "admin";
const PASSWORD = "correct horse battery staple";
const P = "e2e/auth";

let stack: Stack;
let ownerToken: string;
let browser: Browser;
let context: BrowserContext;
let page: Page;

const lastLine = (s: string) => s.trim().split("\n").pop()!.trim();

/** `fetch` against the API from Node, with a Bearer token or a cookie. */
async function call(method: string, path: string, auth: { token?: string; cookie?: string }, body?: unknown, extra: Record<string, string> = {}) {
  const headers: Record<string, string> = { ...extra };
  if (auth.token) headers.Authorization = `Bearer ${auth.token}`;
  if (auth.cookie) headers.Cookie = auth.cookie;
  if (body !== undefined) headers["Content-Type"] = "application/json";
  const res = await fetch(stack.api + path, { method, headers, body: body === undefined ? undefined : JSON.stringify(body) });
  const text = await res.text();
  return { status: res.status, json: text ? JSON.parse(text) : null };
}

/** Status of a same-origin fetch made by the page itself (with its cookies). */
const pageStatus = (p: Page, path: string) => p.evaluate(async (u) => (await fetch(u)).status, path);

async function signIn(p: Page, name: string, password: string): Promise<void> {
  await p.waitForSelector(".login-form");
  await p.fill('.login-form input[name="name"]', name);
  await p.fill('.login-form input[name="password"]', password);
  await p.click(".login-submit");
}

beforeAll(async () => {
  stack = await startStack({ setup: [{ args: ["admin", "init", "--name", OWNER, "--password-stdin"], input: PASSWORD + "\n" }] });
  console.log(`UI served by ${stack.mode} at ${stack.web}`);
  ownerToken = lastLine(stack.setupOutput[0]);
  expect(ownerToken).toMatch(/^sxt_[A-Za-z0-9_-]{43}$/);
  const c = client(stack.api, P, ownerToken);
  await c.createRun({ run_id: "r1", name: "r1" });
  await c.log("r1", { series: [{ path: "train/loss", steps: [0, 1], values: [1, 0.5] }] });
  browser = await chromium.launch({ executablePath: CHROMIUM, headless: true, args: CHROMIUM_ARGS });
  context = await browser.newContext({ viewport: { width: 1280, height: 800 } });
  await context.grantPermissions(["clipboard-read", "clipboard-write"], { origin: stack.web });
  page = await context.newPage();
  page.on("pageerror", (e) => console.error("page error:", e));
});

afterAll(async () => {
  await browser?.close();
  await stack?.stop();
});

describe("accounts", () => {
  it("refuses anonymous API calls", async () => {
    expect((await call("GET", "/api/v1/projects", {})).status).toBe(401);
    const me = await call("GET", "/api/v1/auth/me", {});
    expect(me.status).toBe(200);
    expect(me.json).toMatchObject({ auth_required: true, insecure_no_auth: false, user: null });
  });

  it("sends a signed-out visitor to the login page", async () => {
    await page.goto(`${stack.web}/#/`);
    await page.waitForSelector(".login-form");
    expect(new URL(page.url()).hash).toMatch(/^#\/login/);
    expect(await page.$(".user-name")).toBeNull();
  });

  it("shows the server's error for a wrong password", async () => {
    await signIn(page, OWNER, "wrong password");
    await page.waitForSelector(".login-error:not([hidden])");
    expect((await page.textContent(".login-error"))!.trim()).not.toBe("");
    expect(new URL(page.url()).hash).toMatch(/^#\/login/);
  });

  it("signs in with the right password, to the projects page, with an HttpOnly SameSite=Strict cookie", async () => {
    await signIn(page, OWNER, PASSWORD);
    await page.waitForSelector(`.project-link >> text=auth`);
    expect(new URL(page.url()).hash).toBe("#/");
    expect(await page.textContent(".user-name")).toBe(OWNER);
    const cookie = (await context.cookies()).find((c) => c.name === "sextant_session");
    expect(cookie).toBeDefined();
    expect(cookie!.httpOnly).toBe(true);
    expect(cookie!.sameSite).toBe("Strict");
    expect(cookie!.path).toBe("/");
  });

  it("refuses a cookie-authenticated write without X-Requested-By", async () => {
    const cookie = (await context.cookies()).find((c) => c.name === "sextant_session")!;
    const auth = { cookie: `sextant_session=${cookie.value}` };
    expect((await call("GET", "/api/v1/tokens", auth)).status).toBe(200);
    expect((await call("POST", "/api/v1/tokens", auth, { name: "csrf" })).status).toBe(403);
    const ok = await call("POST", "/api/v1/tokens", auth, { name: "csrf-ok" }, { "X-Requested-By": "sextant" });
    expect(ok.status).toBe(201);
    expect((await call("DELETE", `/api/v1/tokens/${ok.json.token.id}`, auth, undefined, { "X-Requested-By": "sextant" })).status).toBe(204);
  });

  it("creates a token whose secret is shown once and works as a Bearer token", async () => {
    await page.click(".tokens-link");
    await page.waitForSelector(".token-form");
    expect(new URL(page.url()).hash).toBe("#/tokens");
    await page.fill(".token-name", "ci-runner");
    await page.fill(".token-projects", P);
    await page.selectOption(".token-role", "viewer");
    await page.fill(".token-expiry", "7");
    await page.click(".token-create");
    await page.waitForSelector(".token-secret");
    const secret = (await page.textContent(".token-secret"))!.trim();
    expect(secret).toMatch(/^sxt_[A-Za-z0-9_-]{43}$/);
    expect(await page.textContent(".secret-warning")).toContain("will not be shown again");
    await page.click(".copy-secret");
    await page.waitForFunction(() => /Copied|Ctrl\+C/.test(document.querySelector(".copy-secret")?.textContent ?? ""));

    const row = '.token-row:has(.token-name-cell:text-is("ci-runner"))';
    await page.waitForSelector(row);
    expect(await page.textContent(`${row} .token-scope`)).toBe(P);
    expect(await page.textContent(`${row} .token-role-cell`)).toBe("viewer");
    expect(await page.textContent(`${row} .token-expires`)).toBe("in 7 days");

    await page.reload();
    await page.waitForSelector(row);
    expect(await page.$(".token-secret")).toBeNull();
    expect(await page.content()).not.toContain(secret);

    const res = await call("GET", "/api/v1/projects", { token: secret });
    expect(res.status).toBe(200);
    expect(res.json.projects.map((p: { project: string }) => p.project)).toEqual([P]);
    expect((await call("GET", "/api/v1/projects", { token: secret + "x" })).status).toBe(401);

    // Revoking (with a confirmation) ends it.
    await page.click(`${row} .revoke`);
    await page.click(`${row} .revoke-confirm`);
    await page.waitForSelector(`${row} .status-revoked`);
    expect((await call("GET", "/api/v1/projects", { token: secret })).status).toBe(401);
  });

  it("adds, changes and removes a project member; a viewer's change is refused", async () => {
    const bob = await call("POST", "/api/v1/admin/users", { token: ownerToken }, { name: "bob", kind: "user", owner: false, password: "bob-password-123" });
    expect(bob.status).toBe(201);

    await page.goto(`${stack.web}/#/p/e2e/auth`);
    await page.click(".members-link");
    await page.waitForSelector(".member-form");
    expect(new URL(page.url()).hash).toBe("#/p/e2e/auth/members");
    await page.fill(".member-principal", "bob");
    await page.selectOption(".member-role", "writer");
    await page.click(".member-add");
    const bobRow = '.member-row[data-principal="bob"][data-scope="project"]';
    await page.waitForSelector(bobRow);
    expect(await page.inputValue(`${bobRow} .member-role-cell`)).toBe("writer");
    await page.selectOption(`${bobRow} .member-role-cell`, "viewer");
    await expect.poll(async () => (await call("GET", `/api/v1/projects/${P}/members`, { token: ownerToken })).json.members
      .find((m: { principal: string }) => m.principal === "bob")?.role).toBe("viewer");

    // bob (a viewer) sees the members but may not change them.
    const bobCtx = await browser.newContext();
    const bobPage = await bobCtx.newPage();
    await bobPage.goto(`${stack.web}/#/p/e2e/auth/members`);
    await signIn(bobPage, "bob", "bob-password-123");
    await bobPage.waitForSelector(bobRow);
    expect(new URL(bobPage.url()).hash).toBe("#/p/e2e/auth/members");
    await bobPage.fill(".member-principal", "bob");
    await bobPage.selectOption(".member-role", "admin");
    await bobPage.click(".member-add");
    await bobPage.waitForSelector(".member-error:not([hidden])");
    expect(await bobPage.textContent(".member-error")).toContain("admin role");
    await bobCtx.close();

    await page.click(`${bobRow} .member-remove`);
    await page.waitForSelector(bobRow, { state: "detached" });
  });

  it("signs out: back to the login page, and the API answers 401", async () => {
    await page.goto(`${stack.web}/#/`);
    await page.waitForSelector(".user-name");
    const old = (await context.cookies()).find((c) => c.name === "sextant_session")!;
    await page.click(".sign-out");
    await page.waitForSelector(".login-form");
    expect(new URL(page.url()).hash).toMatch(/^#\/login/);
    expect(await page.$(".user-name")).toBeNull();
    expect(await pageStatus(page, "api/v1/projects")).toBe(401);
    // The session ended on the server too, not just in this browser.
    expect((await call("GET", "/api/v1/projects", { cookie: `sextant_session=${old.value}` })).status).toBe(401);
  });

  it("returns to the page asked for after signing in", async () => {
    await page.goto(`${stack.web}/#/tokens`);
    await page.waitForSelector(".login-form");
    expect(decodeURIComponent(new URL(page.url()).hash)).toBe("#/login?next=#/tokens");
    await signIn(page, OWNER, PASSWORD);
    await page.waitForSelector(".token-form");
    expect(new URL(page.url()).hash).toBe("#/tokens");
    expect(await page.textContent(".user-name")).toBe(OWNER);
  });

  // Last: it may lock sign-ins out for a while.
  it("shows the server's 429 after repeated wrong passwords", async () => {
    const ctx = await browser.newContext();
    const p = await ctx.newPage();
    await p.goto(`${stack.web}/#/login`);
    let text = "";
    for (let i = 0; i < 15 && !/too many|try again|retry/i.test(text); i++) {
      await signIn(p, "bob", `wrong ${i}`);
      await p.waitForSelector(".login-submit:not([disabled])");
      text = (await p.textContent(".login-error")) ?? "";
    }
    expect(text).toMatch(/\d+ ?s\b/); // says how long to wait
    expect(new URL(p.url()).hash).toBe("#/login");
    await ctx.close();
  });
});

describe("--insecure-no-auth", () => {
  let insecure: Stack;
  afterAll(async () => {
    await insecure?.stop();
  });

  it("warns on every page and asks for no sign-in", async () => {
    insecure = await startStack({ serveArgs: ["--insecure-no-auth"] });
    await client(insecure.api, "e2e/open").createRun({ run_id: "r1" });
    const p = await browser.newPage();
    await p.goto(`${insecure.web}/#/`);
    await p.waitForSelector(".project-link >> text=open");
    await p.waitForSelector(".insecure-banner:not([hidden])");
    expect(await p.textContent(".insecure-banner")).toBe(
      "This server runs with --insecure-no-auth: anyone who can reach it can read and change everything.");
    expect(await p.$(".user-name")).toBeNull();
    expect(new URL(p.url()).hash).toBe("#/");
    await p.close();
  });
});
