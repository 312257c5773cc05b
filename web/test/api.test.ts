import { afterEach, describe, expect, it, vi } from "vitest";
import { api, ApiError, LIST_PAGE_LIMIT, listAll } from "../src/lib/api";

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
