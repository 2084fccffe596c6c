/**
 * The Redis keys of distributed mode, declared once. One work stream serves every run; each run
 * (a training or an evaluation, named by a random id its folder keeps) has its own results
 * stream and the set of its items still wanted.
 */

/** Work items: stream entries with fields `id` (content id) and `item` (wire JSON). */
export const WORK_STREAM = "learn2hop:work";
/** The consumer group every worker reads the work stream in. */
export const WORKER_GROUP = "learn2hop-workers";
/** Sorted set: worker name -> the time of its last heartbeat (ms since the epoch). */
export const WORKER_HEARTBEATS = "learn2hop:workers";

/** A run's results: stream entries with fields `id` and `result` (wire JSON). */
export function resultsKey(run: string): string {
  return `learn2hop:run:${run}:results`;
}

/** A run's items still wanted (a set of content ids); a worker skips an item not in it. */
export function wantedKey(run: string): string {
  return `learn2hop:run:${run}:wanted`;
}

/** How long a run's keys outlive their last use (s): a crashed host resumed within it finds its
 * results. */
export const RUN_KEYS_TTL_SECONDS = 7 * 24 * 3600;
/** Results a run's stream keeps (approximately), the oldest trimmed first. */
export const RESULTS_KEPT = 10_000;
/** A worker counts as live while its heartbeat is younger than this. */
export const WORKER_LIVE_MS = 10_000;
/** How often a worker beats. */
export const HEARTBEAT_MS = 2_000;
