// Which runs the runs table lists: the server hides trashed and archived runs
// unless asked (docs/api/native.md, "Run management").

import type { RunsQuery } from "./api";
import type { RunsShow } from "./url";

/** The query fields for a table showing `show` (absent: active runs only, the server's default). */
export function visibilityQuery(show: RunsShow | undefined): Pick<RunsQuery, "trashed" | "archived"> {
  if (show === "trash") return { trashed: "only", archived: "include" };
  if (show === "archived") return { archived: "include" };
  return {};
}

/** Whether a run (as the runs query returns it, with `sys/archived` asked for) is archived. */
export function isArchived(attributes: Record<string, unknown> | undefined): boolean {
  return attributes?.["sys/archived"] === true;
}
