// End-to-end: run management in the UI (tags, archive, trash, rename, notes,
// project description), against the real server; and regressions of UI bugs
// met in a first week of use (tag chip filter, unknown run in compare, dates
// on a wall-time axis, a server that goes away).

import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { type Browser, type Page } from "playwright-core";
import { openPage } from "./browser";
import { client, startStack } from "./harness.mjs";
import { waitForRuns as waitForRows } from "./rows";

type Stack = Awaited<ReturnType<typeof startStack>>;

let stack: Stack;
let browser: Browser;
let page: Page;
const P = "e2e/manage";
const steps = (n: number) => Array.from({ length: n }, (_, i) => i);

async function api(method: string, path: string, body?: unknown): Promise<{ status: number; json: any }> {
  const res = await fetch(`${stack.api}/api/v1/projects/${P}${path}`, {
    method, headers: body === undefined ? {} : { "Content-Type": "application/json" }, body: body === undefined ? undefined : JSON.stringify(body),
  });
  const text = await res.text();
  return { status: res.status, json: text ? JSON.parse(text) : null };
}

/** The value of one attribute of a run, as the server has it. */
async function attr(runId: string, path: string): Promise<unknown> {
  const r = await api("GET", `/runs/${runId}/attributes`);
  return (r.json.attributes as { path: string; value?: unknown }[]).find((a) => a.path === path)?.value;
}

const waitForRuns = (expected: string[]): Promise<void> => waitForRows(page, expected);

async function tagsOf(runId: string): Promise<string[]> {
  return page.$$eval(`.tr[data-run="${runId}"] .tag`, (els) => els.map((e) => (e as HTMLElement).dataset.tag!));
}

async function selectRuns(ids: string[]): Promise<void> {
  for (const id of ids) await page.check(`.tr[data-run="${id}"] .td-check input[type=checkbox]`);
  await page.waitForSelector(".bulk-bar:not([hidden])");
}

const TABLE = `#/p/${P}?sort=sys%2Fname&col=sys%2Fname&col=sys%2Ftags`;

beforeAll(async () => {
  stack = await startStack();
  const c = client(stack.api, P);
  for (const [id, tags] of [["r1", ["baseline"]], ["r2", ["sweep"]], ["r3", ["sweep"]], ["r4", []]] as [string, string[]][]) {
    await c.createRun({ run_id: id, name: id });
    await c.log(id, { series: [{ path: "train/loss", steps: steps(20), values: steps(20).map((s) => 1 / (1 + s)) }], add_tags: tags, state: "finished" });
  }
  ({ browser, page } = await openPage({ viewport: { width: 1280, height: 800 } }));
});

afterAll(async () => {
  await browser?.close();
  await stack?.stop();
});

describe("UI bugs", () => {
  it("a tag chip's filter shows in the filter box", async () => {
    await page.goto(`${stack.web}/${TABLE}`);
    await waitForRuns(["r1", "r2", "r3", "r4"]);
    await page.click('.tr[data-run="r2"] .tag[data-tag="sweep"]');
    await waitForRuns(["r2", "r3"]);
    expect(await page.inputValue(".filter-input")).toBe('sys/tags contains "sweep"');
    // Editing from there works on what the box shows.
    await page.press(".filter-input", "End");
    await page.type(".filter-input", " and sys/name = \"r3\"");
    await page.press(".filter-input", "Enter");
    await waitForRuns(["r3"]);
  });

  it("compare says 'not found' for an unknown run and still draws the others", async () => {
    await page.goto(`${stack.web}/#/p/${P}/compare?run=r1&run=no-such-run`);
    await page.waitForSelector('.legend-chip[data-run="no-such-run"].not-found');
    expect(await page.textContent('.legend-chip[data-run="no-such-run"]')).toContain("not found");
    expect(await page.textContent('.legend-chip[data-run="r1"]')).not.toContain("not found");
    await page.waitForSelector('.card[data-path="train/loss"] .card-body[data-points="20"] canvas');
  });

  it("shows the dates of a wall-time axis below the times", async () => {
    const c = client(stack.api, P);
    await c.createRun({ run_id: "timed", name: "timed" });
    const t0 = 1795300000; // 60 s apart: labels with times, the first with its date under it
    await c.log("timed", { series: [{ path: "train/loss", steps: steps(30), values: steps(30).map((s) => 1 / (1 + s)), timestamps: steps(30).map((s) => t0 + 60 * s) }] });
    /** Rows of the chart canvas holding axis-label pixels, in CSS px above its bottom row. */
    const labelRows = () => page.$eval('.card[data-path="train/loss"] canvas', (el) => {
      const cv = el as HTMLCanvasElement;
      const ratio = cv.width / cv.getBoundingClientRect().width;
      const d = cv.getContext("2d")!.getImageData(0, 0, cv.width, cv.height).data;
      const rows = new Set<number>();
      for (let y = 0; y < cv.height; y++) for (let x = Math.round(60 * ratio); x < cv.width; x++) {
        const i = 4 * (y * cv.width + x);
        // the axis text colour (#667085), anti-aliased
        if (d[i + 3] > 120 && Math.abs(d[i] - 102) < 40 && Math.abs(d[i + 1] - 112) < 40 && Math.abs(d[i + 2] - 133) < 40) rows.add(Math.floor((cv.height - 1 - y) / ratio));
      }
      return Array.from(rows).sort((a, b) => a - b);
    });
    await page.goto(`${stack.web}/#/p/${P}/r/timed?x=wall`);
    await page.waitForSelector('.card[data-path="train/loss"] .card-body[data-points="30"] canvas');
    const rows = await labelRows();
    // Two lines of labels under the plot, the dates below the times: the
    // dates' glyphs are drawn whole, ending above the canvas' bottom edge (a
    // one-line axis cuts them off there, under the readout).
    expect(rows.filter((r) => r <= 14).length).toBeGreaterThanOrEqual(6); // a date line
    expect(rows.some((r) => r > 14 && r <= 30)).toBe(true); // the time line
    expect(rows[0]).toBeGreaterThanOrEqual(1); // nothing cut at the bottom edge
  });
});

describe("run management", () => {
  it("adds and removes a tag on the selected runs, and removes one from a chip", async () => {
    await page.goto(`${stack.web}/${TABLE}`);
    await waitForRuns(["r1", "r2", "r3", "r4", "timed"]);
    await selectRuns(["r1", "r2"]);
    expect(await page.textContent(".bulk-count")).toBe("2 runs selected");
    await page.click(".bulk-add-tag");
    await page.fill(".bulk-tag-input", "picked");
    await page.press(".bulk-tag-input", "Enter");
    await page.waitForSelector('.tr[data-run="r2"] .tag[data-tag="picked"]');
    expect(await tagsOf("r1")).toEqual(expect.arrayContaining(["baseline", "picked"]));
    expect(await tagsOf("r3")).not.toContain("picked");
    expect(await attr("r1", "sys/tags")).toEqual(expect.arrayContaining(["picked"]));

    await page.click(".bulk-remove-tag");
    await page.fill(".bulk-tag-input", "picked");
    await page.click(".bulk-tag-apply");
    await page.waitForSelector('.tag[data-tag="picked"]', { state: "detached" });
    expect(await tagsOf("r1")).toEqual(["baseline"]);

    await page.hover('.tr[data-run="r3"] .tag[data-tag="sweep"]');
    await page.click('.tr[data-run="r3"] .tag[data-tag="sweep"] .tag-remove');
    await page.waitForSelector('.tr[data-run="r3"] .tag[data-tag="sweep"]', { state: "detached" });
    expect(await attr("r3", "sys/tags")).toEqual([]);
    expect(await page.inputValue(".filter-input")).toBe(""); // the × did not filter
  });

  it("archives runs and lists them with 'With archived'", async () => {
    await page.goto(`${stack.web}/${TABLE}`);
    await waitForRuns(["r1", "r2", "r3", "r4", "timed"]);
    await selectRuns(["r3"]);
    await page.click(".bulk-archive");
    await waitForRuns(["r1", "r2", "r4", "timed"]);
    expect(await page.isHidden(".bulk-bar")).toBe(true); // the archived run left the selection
    expect(await attr("r3", "sys/archived")).toBe(true);

    await page.selectOption(".runs-show", "archived");
    await waitForRuns(["r1", "r2", "r3", "r4", "timed"]);
    expect(decodeURIComponent(page.url())).toContain("show=archived");
    expect(await page.textContent('.tr[data-run="r3"] .archived-mark')).toBe("archived");
    expect(await page.$('.tr[data-run="r2"] .archived-mark')).toBeNull();

    await selectRuns(["r3"]);
    await page.click(".bulk-unarchive");
    await page.waitForSelector('.tr[data-run="r3"] .archived-mark', { state: "detached" });
    await page.selectOption(".runs-show", "");
    await waitForRuns(["r1", "r2", "r3", "r4", "timed"]);
  });

  it("moves runs to the trash and restores them from the trash view", async () => {
    await page.goto(`${stack.web}/${TABLE}`);
    await waitForRuns(["r1", "r2", "r3", "r4", "timed"]);
    await selectRuns(["r4", "timed"]);
    await page.click(".bulk-trash");
    await waitForRuns(["r1", "r2", "r3"]);
    expect(await attr("r4", "sys/trashed")).toBe(true);

    await page.selectOption(".runs-show", "trash");
    await waitForRuns(["r4", "timed"]);
    expect(decodeURIComponent(page.url())).toContain("show=trash");
    await selectRuns(["r4"]);
    expect(await page.$(".bulk-archive")).toBeNull(); // the trash offers Restore only
    await page.click(".bulk-restore");
    await waitForRuns(["timed"]);
    await selectRuns(["timed"]);
    await page.click(".bulk-restore");
    await page.waitForSelector(".table-empty:not([hidden]) >> text=The trash is empty.");

    await page.selectOption(".runs-show", "");
    await waitForRuns(["r1", "r2", "r3", "r4", "timed"]);
    expect(await attr("r4", "sys/trashed")).toBeUndefined();
  });

  it("deletes runs forever from the trash, after a confirmation, and shows each refusal", async () => {
    const c = client(stack.api, P);
    await c.createRun({ run_id: "doomed", name: "doomed run" });
    await c.log("doomed", { series: [{ path: "train/loss", steps: steps(5), values: steps(5) }] });
    await c.createRun({ run_id: "parent", name: "parent run" });
    await c.log("parent", { series: [{ path: "train/loss", steps: steps(5), values: steps(5) }] });
    await c.createRun({ run_id: "child", name: "child run", fork_run_id: "parent", fork_step: 2 });
    expect((await api("POST", "/runs/edit", { run_ids: ["doomed", "parent"], trashed: true })).status).toBe(200);

    await page.goto(`${stack.web}/${TABLE}&show=trash`);
    await waitForRuns(["doomed", "parent"]);
    await selectRuns(["doomed", "parent"]);
    await page.click(".bulk-purge");
    expect(await page.textContent(".purge-confirm")).toContain("cannot be undone");
    // Cancel deletes nothing.
    await page.click(".bulk-purge-cancel");
    expect(await page.$(".purge-confirm")).toBeNull();
    expect((await api("GET", "/runs/doomed")).status).toBe(200);

    await page.click(".bulk-purge");
    await page.click(".bulk-purge-confirm");
    // "parent" has a fork: the server's 409 message is shown for it, it stays selected; "doomed" is gone.
    await waitForRuns(["parent"]);
    await page.waitForSelector(".bulk-error:not([hidden])");
    const err = (await page.textContent(".bulk-error"))!;
    expect(err).toMatch(/^parent run: /);
    expect(err).toContain("fork");
    expect(err).not.toContain("doomed");
    expect(await page.textContent(".bulk-count")).toBe("1 run selected");
    expect((await api("GET", "/runs/doomed")).status).toBe(404);
    expect((await api("GET", "/runs/parent")).status).toBe(200);

    // Once the fork is in the trash too, both go in one action (the fork first, whatever the order).
    expect((await api("DELETE", "/runs/child")).status).toBe(200);
    await page.reload();
    await waitForRuns(["child", "parent"]);
    await selectRuns(["child"]);
    await page.click(".bulk-purge");
    expect(await page.textContent(".purge-confirm")).toContain("these 2 runs");
    await page.click(".bulk-purge-confirm");
    await page.waitForSelector(".table-empty:not([hidden]) >> text=The trash is empty.");
    expect(await page.isHidden(".bulk-bar")).toBe(true);
    expect((await api("GET", "/runs/parent")).status).toBe(404);
    expect((await api("GET", "/runs/child")).status).toBe(404);
  });

  it("shows the server's refusal of a bulk action and changes nothing", async () => {
    // A selection holding a run the project does not have: the server refuses the whole edit.
    await page.goto(`${stack.web}/${TABLE}&sel=r1&sel=ghost`);
    await waitForRuns(["r1", "r2", "r3", "r4", "timed"]);
    await page.click(".bulk-archive");
    await page.waitForSelector(".bulk-error:not([hidden])");
    expect(await page.textContent(".bulk-error")).toContain("ghost");
    await waitForRuns(["r1", "r2", "r3", "r4", "timed"]);
    expect(await attr("r1", "sys/archived")).toBeUndefined();
  });

  it("moves a run to the trash and back from its page", async () => {
    await page.goto(`${stack.web}/#/p/${P}/r/r2`);
    await page.click(".run-trash");
    await page.waitForSelector(".trashed-badge");
    await page.click(".run-restore");
    await page.waitForSelector(".trashed-badge", { state: "detached" });
    await page.waitForSelector(".run-trash");
  });

  it("renames a run in place", async () => {
    await page.goto(`${stack.web}/#/p/${P}/r/r1`);
    await page.waitForSelector(".run-name h1 >> text=r1");
    await page.click(".rename-btn");
    await page.fill(".rename-input", "baseline, take 2");
    await page.press(".rename-input", "Enter");
    await page.waitForSelector(".run-name h1 >> text=baseline, take 2");
    expect((await api("GET", "/runs/r1")).json.name).toBe("baseline, take 2");
    await page.reload();
    await page.waitForSelector(".run-name h1 >> text=baseline, take 2");
    // A name the server refuses (over 1,024 bytes): its message, and the input stays open.
    await page.click(".rename-btn");
    await page.fill(".rename-input", "é".repeat(600));
    await page.press(".rename-input", "Enter");
    await page.waitForSelector(".rename-error:not([hidden])");
    expect((await page.textContent(".rename-error"))!.length).toBeGreaterThan(5);
    expect(await page.$(".rename-input")).not.toBeNull();
    await page.click(".rename-cancel");
    // Escape leaves the name as it was.
    await page.click(".rename-btn");
    await page.fill(".rename-input", "not this");
    await page.press(".rename-input", "Escape");
    expect(await page.textContent(".run-name h1")).toBe("baseline, take 2");
  });

  it("renders a run's notes as Markdown, with scripts neutralised", async () => {
    await page.goto(`${stack.web}/#/p/${P}/r/r2`);
    await page.click(".run-notes .notes-add");
    const notes = [
      "## Why this run", "", "Lower **lr**, see [the doc](https://example.com/doc).", "",
      '<img src="x" onerror="window.__pwned = 1">', "", "<script>window.__pwned = 2</script>", "",
      "[click me](javascript:window.__pwned=3)",
    ].join("\n");
    await page.fill(".run-notes .notes-input", notes);
    await page.click(".run-notes .notes-save");
    await page.waitForSelector(".run-notes .notes-body h2 >> text=Why this run");
    expect(await attr("r2", "sys/description")).toBe(notes);

    const check = async () => {
      expect(await page.textContent(".run-notes .notes-body strong")).toBe("lr");
      expect(await page.getAttribute('.run-notes .notes-body a[href^="https"]', "rel")).toBe("noopener noreferrer");
      expect(await page.$(".run-notes script")).toBeNull();
      expect(await page.$$eval(".run-notes .notes-body *", (els) => els.flatMap((e) => Array.from(e.attributes).map((a) => `${a.name}=${a.value}`))
        .filter((a) => /^on/i.test(a) || /javascript:/i.test(a)))).toEqual([]);
      await page.click(".run-notes .notes-body >> text=click me").catch(() => {});
      expect(await page.evaluate(() => (window as { __pwned?: number }).__pwned)).toBeUndefined();
    };
    await check();
    await page.reload(); // as stored on the server
    await page.waitForSelector(".run-notes .notes-body h2");
    await check();
    // The description is not repeated in the attribute tree.
    expect(await page.textContent(".attr-tree")).not.toContain("Why this run");
  });

  it("edits the project description and shows the server's refusal", async () => {
    await page.goto(`${stack.web}/${TABLE}`);
    await page.click(".project-notes .notes-add");
    await page.fill(".project-notes .notes-input", "# Goals\n\nBeat the `baseline` run.");
    await page.click(".project-notes .notes-save");
    await page.waitForSelector(".project-notes .notes-body h1 >> text=Goals");
    expect((await api("GET", "")).json.description).toBe("# Goals\n\nBeat the `baseline` run.");
    await page.reload();
    await page.waitForSelector(".project-notes .notes-body code >> text=baseline");

    // Too long (the server takes up to 64 KiB): its message is shown and the text is kept.
    await page.click(".project-notes .notes-edit");
    await page.fill(".project-notes .notes-input", "x".repeat(70_000));
    await page.click(".project-notes .notes-save");
    await page.waitForSelector(".project-notes .action-error:not([hidden])");
    expect((await page.textContent(".project-notes .action-error"))!.length).toBeGreaterThan(5);
    expect((await page.inputValue(".project-notes .notes-input")).length).toBe(70_000);
    await page.click(".project-notes .notes-cancel");
    await page.waitForSelector(".project-notes .notes-body h1 >> text=Goals");
  });
});

describe("server outage", () => {
  it("shows 'disconnected' while the server is down and clears it when it is back", async () => {
    await page.goto(`${stack.web}/${TABLE}`);
    await waitForRuns(["r1", "r2", "r3", "r4", "timed"]);
    expect(await page.isHidden(".conn-banner")).toBe(true);
    await stack.stopServer();
    await page.waitForSelector(".conn-banner:not([hidden])", { timeout: 20_000 });
    expect(await page.textContent(".conn-banner")).toContain("Disconnected");
    await stack.startServer();
    await page.waitForSelector(".conn-banner", { state: "hidden", timeout: 20_000 });
    // The page works again without a reload.
    await page.fill(".filter-input", 'sys/name = "r2"');
    await page.press(".filter-input", "Enter");
    await waitForRuns(["r2"]);
  });
});
