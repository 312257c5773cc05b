import { describe, expect, it } from "vitest";
import { purgeRuns } from "../src/lib/purge";

/** A project's trash: runs and their parents; purging a parent of a present run is refused, as the server does. */
function trash(parents: Record<string, string | null>) {
  const present = new Set(Object.keys(parents));
  const calls: string[] = [];
  const purgeOne = async (id: string) => {
    calls.push(id);
    if (!present.has(id)) throw new Error(`${id} is not in the trash`);
    const forks = [...present].filter((r) => parents[r] === id);
    if (forks.length) throw new Error(`runs fork from ${id}: ${forks.join(", ")}`);
    present.delete(id);
  };
  return { present, calls, purgeOne };
}
const msg = (e: unknown) => (e as Error).message;

describe("purgeRuns", () => {
  it("purges a parent selected before its fork", async () => {
    const t = trash({ parent: null, child: "parent" });
    const r = await purgeRuns(["parent", "child"], t.purgeOne, msg);
    expect(r).toEqual({ purged: ["child", "parent"], failed: [] });
    expect(t.calls).toEqual(["parent", "child", "parent"]);
  });

  it("reports each refused run with its message and purges the others", async () => {
    const t = trash({ parent: null, child: "parent", lone: null });
    const r = await purgeRuns(["parent", "lone", "ghost"], t.purgeOne, msg);
    expect(r.purged).toEqual(["lone"]);
    expect(r.failed).toEqual([
      { runId: "parent", message: "runs fork from parent: child" },
      { runId: "ghost", message: "ghost is not in the trash" },
    ]);
    expect([...t.present].sort()).toEqual(["child", "parent"]);
    // One retry round after "lone" went, then no progress: it stops.
    expect(t.calls).toEqual(["parent", "lone", "ghost", "parent", "ghost"]);
  });

  it("stops after one round when nothing can go", async () => {
    const t = trash({ a: null, b: "a" });
    const r = await purgeRuns(["a"], t.purgeOne, msg);
    expect(r.failed.map((f) => f.runId)).toEqual(["a"]);
    expect(t.calls).toEqual(["a"]);
  });
});
