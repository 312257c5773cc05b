// Deleting runs forever, one request per run (the server purges one at a
// time). A parent is refused while its forks exist, so when a selection holds
// both, the refused runs are tried again after others went: forks first,
// whatever order they were selected in.

export interface PurgeFailure {
  runId: string;
  message: string;
}

export interface PurgeResult {
  purged: string[];
  failed: PurgeFailure[];
}

/**
 * Purges `ids` with `purgeOne`; a run refused in one round is retried in the
 * next as long as the round before purged something. Errors never stop the
 * others: each failed run keeps its last message.
 */
export async function purgeRuns(ids: string[], purgeOne: (runId: string) => Promise<unknown>, message: (e: unknown) => string): Promise<PurgeResult> {
  const purged: string[] = [];
  let todo = ids.slice();
  let failed: PurgeFailure[] = [];
  for (;;) {
    failed = [];
    const before = purged.length;
    for (const id of todo) {
      try {
        await purgeOne(id);
        purged.push(id);
      } catch (e) {
        failed.push({ runId: id, message: message(e) });
      }
    }
    if (!failed.length || purged.length === before) break;
    todo = failed.map((f) => f.runId);
  }
  return { purged, failed };
}
