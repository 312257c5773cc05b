import { afterEach, describe, expect, it, vi } from "vitest";
import { api, ApiError, LIST_PAGE_LIMIT, listAll, parseRetryAfter, setUnauthorizedHandler } from "../src/lib/api";

/** A fake server for one paged list: `pages[i]` is served for the i-th token. */
function pagedServer(key: string, pages: unknown[][]) {
  const urls: string[] = [];
  const fetch = vi.fn(async (url: string) => {
    urls.push(url);
    const m = /[?&]page_token=([^&]*)/.exec(url);
    const i = m ? Number(decodeURIComponent(m[1]).slice("tok/".length)) : 0;
    const next = i + 1 < pages.length ? `tok/${i + 1}` : null;
    return new Response(JSON.stringify({ [key]: pages[i], next_page_token: next }), { status: 200 });
  });
  vi.stubGlobal("fetch", fetch);
  return { urls, fetch };
}

afterEach(() => {
  vi.unstubAllGlobals();
});

describe("paged lists", () => {
  it("follows next_page_token until null, through short and empty pages", async () => {
    const { urls } = pagedServer("attributes", [[{ path: "a" }, { path: "b" }], [], [{ path: "c" }]]);
    const got = await listAll<"attributes", { path: string }>("api/v1/x/attributes?pattern=%5Ea", "attributes");
    expect(got.map((a) => a.path)).toEqual(["a", "b", "c"]);
    expect(urls).toEqual([
      `api/v1/x/attributes?pattern=%5Ea&limit=${LIST_PAGE_LIMIT}`,
      `api/v1/x/attributes?pattern=%5Ea&limit=${LIST_PAGE_LIMIT}&page_token=tok%2F1`,
      `api/v1/x/attributes?pattern=%5Ea&limit=${LIST_PAGE_LIMIT}&page_token=tok%2F2`,
    ]);
  });

  it("reads every list the UI shows in full", async () => {
    const cases: [string, () => Promise<unknown[]>, string][] = [
      ["projects", () => api.projects(), "api/v1/projects?limit="],
      ["attributes", () => api.attributes("t/p", "r 1"), "api/v1/projects/t/p/runs/r%201/attributes?limit="],
      ["attributes", () => api.projectAttributes("t/p"), "api/v1/projects/t/p/attributes?limit="],
      ["views", () => api.views("t/p"), "api/v1/projects/t/p/views?limit="],
    ];
    for (const [key, call, prefix] of cases) {
      const { urls } = pagedServer(key, [[1, 2], [3], [4, 5]]);
      expect(await call()).toEqual([1, 2, 3, 4, 5]);
      expect(urls).toHaveLength(3);
      expect(urls.every((u) => u.startsWith(prefix))).toBe(true);
    }
  });

  it("takes a response without a token as the only page", async () => {
    vi.stubGlobal("fetch", vi.fn(async () => new Response(JSON.stringify({ views: [{ name: "v" }] }))));
    expect(await api.views("t/p")).toEqual([{ name: "v" }]);
  });

  it("gives up on a list that never ends", async () => {
    const fetch = vi.fn(async () => new Response(JSON.stringify({ views: [], next_page_token: "same" })));
    vi.stubGlobal("fetch", fetch);
    await expect(listAll("api/v1/v", "views", undefined, 5)).rejects.toThrow(/did not end after 5 pages/);
    expect(fetch).toHaveBeenCalledTimes(5);
  });

  it("reports a refused page as the server's error", async () => {
    let n = 0;
    vi.stubGlobal("fetch", vi.fn(async () => (n++ === 0
      ? new Response(JSON.stringify({ projects: [1], next_page_token: "t" }))
      : new Response(JSON.stringify({ error: { code: "invalid_argument", message: "page_token: malformed" } }), { status: 400 }))));
    const err = await api.projects().catch((e: unknown) => e);
    expect(err).toBeInstanceOf(ApiError);
    expect(err).toMatchObject({ status: 400, code: "invalid_argument", message: "page_token: malformed" });
  });

  it("passes the abort signal to every page", async () => {
    const { fetch } = pagedServer("views", [[1], [2]]);
    const ctl = new AbortController();
    await api.views("t/p", ctl.signal);
    expect(fetch.mock.calls.every((c) => (c as unknown[])[1] && ((c as unknown[])[1] as RequestInit).signal === ctl.signal)).toBe(true);
  });
});

describe("credentials and CSRF", () => {
  it("sends X-Requested-By on every request, Content-Type with a body, and same-origin cookies", async () => {
    const calls: [string, RequestInit][] = [];
    vi.stubGlobal("fetch", vi.fn(async (url: string, init: RequestInit) => {
      calls.push([url, init]);
      return new Response(JSON.stringify({ views: [], runs: [], total: 0, member: {} }));
    }));
    await api.views("t/p");
    await api.queryRuns("t/p", { limit: 1 });
    await api.putMember("t/p", "ana", "writer");
    const [get, post, put] = calls.map((c) => c[1]);
    expect(get.headers).toEqual({ "X-Requested-By": "sextant" });
    expect(post.headers).toEqual({ "X-Requested-By": "sextant", "Content-Type": "application/json" });
    expect(put).toMatchObject({ method: "PUT", body: '{"role":"writer"}' });
    expect(calls.every((c) => c[1].credentials === "same-origin")).toBe(true);
    expect(calls[2][0]).toBe("api/v1/projects/t/p/members/ana");
  });

  it("takes a 204 as success without a body", async () => {
    vi.stubGlobal("fetch", vi.fn(async () => new Response(null, { status: 204 })));
    await expect(api.revokeToken(7)).resolves.toBeUndefined();
    await expect(api.logout()).resolves.toBeUndefined();
  });
});

describe("401", () => {
  const unauthenticated = () => new Response(JSON.stringify({ error: { code: "unauthenticated", message: "sign in" } }), { status: 401 });

  afterEach(() => setUnauthorizedHandler(null));

  it("calls the handler, then rejects with the server's error", async () => {
    const handler = vi.fn();
    setUnauthorizedHandler(handler);
    vi.stubGlobal("fetch", vi.fn(async () => unauthenticated()));
    await expect(api.projects()).rejects.toMatchObject({ status: 401, code: "unauthenticated", message: "sign in" });
    await expect(api.tokens()).rejects.toBeInstanceOf(ApiError);
    expect(handler).toHaveBeenCalledTimes(2);
  });

  it("leaves a failed sign-in to the login page", async () => {
    const handler = vi.fn();
    setUnauthorizedHandler(handler);
    vi.stubGlobal("fetch", vi.fn(async () => unauthenticated()));
    await expect(api.login("a", "b")).rejects.toMatchObject({ status: 401 });
    expect(handler).not.toHaveBeenCalled();
  });

  it("does not call it for other errors", async () => {
    const handler = vi.fn();
    setUnauthorizedHandler(handler);
    vi.stubGlobal("fetch", vi.fn(async () => new Response(JSON.stringify({ error: { code: "permission_denied", message: "no" } }), { status: 403 })));
    await expect(api.deleteMember("t/p", "ana")).rejects.toMatchObject({ status: 403 });
    expect(handler).not.toHaveBeenCalled();
  });
});

describe("429", () => {
  it("carries Retry-After", async () => {
    vi.stubGlobal("fetch", vi.fn(async () => new Response(
      JSON.stringify({ error: { code: "too_many_requests", message: "too many attempts, retry in 30 s" } }),
      { status: 429, headers: { "Retry-After": "30" } })));
    await expect(api.login("a", "b")).rejects.toMatchObject({ status: 429, retryAfter: 30 });
  });

  it("reads seconds or an HTTP date", () => {
    const now = Date.parse("2030-01-01T00:00:00Z");
    expect(parseRetryAfter("12", now)).toBe(12);
    expect(parseRetryAfter("Tue, 01 Jan 2030 00:00:45 GMT", now)).toBe(45);
    expect(parseRetryAfter(null, now)).toBeUndefined();
    expect(parseRetryAfter("soon", now)).toBeUndefined();
  });
});
