import { describe, expect, it } from "vitest";
import { ApiError, type ApiToken } from "../src/lib/api";
import {
  afterLoginHash, formatExpiry, formatLastUsed, formatScope, formatSpan, loginErrorText, loginRouteFor,
  memberErrorText, parseExpiryDays, parseProjectList, tokenStatus,
} from "../src/lib/auth";
import { formatRoute, parseRoute } from "../src/lib/url";

const DAY = 86400e6;

describe("the 401 redirect", () => {
  it("goes to the login page remembering the page, with its query", () => {
    const hash = "#/p/team/llm?q=config%2Flr+%3C+1&sort=train%2Floss";
    const r = loginRouteFor(hash)!;
    expect(r).toEqual({ page: "login", next: hash });
    expect(formatRoute(r)).toBe("#/login?next=" + encodeURIComponent(hash).replace(/%20/g, "+"));
    expect(parseRoute(formatRoute(r))).toEqual(r);
  });

  it("needs no `next` for the projects page", () => {
    expect(loginRouteFor("")).toEqual({ page: "login" });
    expect(loginRouteFor("#/")).toEqual({ page: "login" });
  });

  it("does nothing on the login page itself (keeps its next)", () => {
    expect(loginRouteFor("#/login?next=%23%2Ftokens")).toBeNull();
    expect(loginRouteFor("#/login")).toBeNull();
  });

  it("normalizes the remembered page", () => {
    expect(loginRouteFor("#/p/a/b/r/run%201")).toEqual({ page: "login", next: "#/p/a/b/r/run%201" });
    expect(loginRouteFor("#/tokens")).toEqual({ page: "login", next: "#/tokens" });
  });
});

describe("after signing in", () => {
  it("returns to a UI page", () => {
    expect(afterLoginHash("#/p/a/b?q=x")).toBe("#/p/a/b?q=x");
    expect(afterLoginHash("#/tokens")).toBe("#/tokens");
    expect(afterLoginHash("#/p/a/b/members")).toBe("#/p/a/b/members");
  });

  it("goes to the projects page otherwise (never off-site, never back to login)", () => {
    for (const bad of [undefined, "", "https://evil.example/", "//evil.example", "javascript:alert(1)", "#/login?next=%23%2F", "#/nope/x"]) {
      expect(afterLoginHash(bad)).toBe("#/");
    }
  });
});

describe("token display", () => {
  const now = 1_800_000_000e6;
  const tok = (o: Partial<ApiToken>): ApiToken => ({
    id: 1, principal: "ana", name: "t", created_us: now - DAY, expires_us: null, projects: [], role: null,
    last_used_us: null, revoked: false, ...o,
  });

  it("formats spans coarsely", () => {
    expect(formatSpan(45)).toBe("45 s");
    expect(formatSpan(600)).toBe("10 min");
    expect(formatSpan(5 * 3600)).toBe("5 h");
    expect(formatSpan(30 * 86400 - 5)).toBe("30 days");
  });

  it("formats expiry", () => {
    expect(formatExpiry(null, now)).toBe("never");
    expect(formatExpiry(now + 7 * DAY, now)).toBe("in 7 days");
    expect(formatExpiry(now + 3600e6, now)).toBe("in 60 min");
    expect(formatExpiry(now - 2 * 3600e6, now)).toBe("expired 2 h ago");
    expect(formatExpiry(now, now)).toBe("expired 0 s ago");
  });

  it("formats last use", () => {
    expect(formatLastUsed(null, now)).toBe("never");
    expect(formatLastUsed(now - 180e6, now)).toBe("3m ago");
  });

  it("tells the status", () => {
    expect(tokenStatus(tok({}), now)).toBe("active");
    expect(tokenStatus(tok({ expires_us: now + 1 }), now)).toBe("active");
    expect(tokenStatus(tok({ expires_us: now }), now)).toBe("expired");
    expect(tokenStatus(tok({ expires_us: now - DAY, revoked: true }), now)).toBe("revoked");
  });

  it("formats the project scope", () => {
    expect(formatScope([])).toBe("all projects");
    expect(formatScope(["a/b", "c/*"])).toBe("a/b, c/*");
  });
});

describe("the create-token form", () => {
  it("parses the project list", () => {
    expect(parseProjectList("")).toEqual({});
    expect(parseProjectList("  ")).toEqual({});
    expect(parseProjectList("a/b, c/*  d/e,a/b")).toEqual({ projects: ["a/b", "c/*", "d/e"] });
    expect(parseProjectList("a/b, nope").error).toMatch(/"nope" is not a project/);
    expect(parseProjectList("a/b/c").error).toMatch(/not a project/);
  });

  it("parses the expiry days", () => {
    expect(parseExpiryDays("")).toEqual({});
    expect(parseExpiryDays(" 30 ")).toEqual({ days: 30 });
    for (const bad of ["0", "-1", "1.5", "x"]) expect(parseExpiryDays(bad).error).toBeTruthy();
  });
});

describe("error texts", () => {
  it("shows the server's login errors, with the wait on 429", () => {
    expect(loginErrorText(new ApiError(401, "unauthenticated", "wrong name or password"))).toBe("wrong name or password");
    expect(loginErrorText(new ApiError(401, "unauthenticated", ""))).toBe("Wrong name or password.");
    expect(loginErrorText(new ApiError(429, "too_many_requests", "too many attempts, retry in 30 s", 30)))
      .toBe("too many attempts, retry in 30 s");
    expect(loginErrorText(new ApiError(429, "too_many_requests", "too many attempts", 12))).toBe("too many attempts (retry in 12 s)");
    // The server's own wording: the wait is already there.
    expect(loginErrorText(new ApiError(429, "too_many_requests", "too many failed sign-ins; try again in 59 s", 59)))
      .toBe("too many failed sign-ins; try again in 59 s");
    expect(loginErrorText(new ApiError(429, "too_many_requests", "slow down", undefined))).toBe("slow down");
    expect(loginErrorText(new ApiError(0, "unavailable", "cannot reach the server: x"))).toBe("cannot reach the server: x");
  });

  it("explains a refused member change", () => {
    expect(memberErrorText(new ApiError(403, "permission_denied", "needs admin"))).toMatch(/admin role on the project.*needs admin/);
    expect(memberErrorText(new ApiError(404, "not_found", "no such user"))).toBe("no such user");
  });
});
