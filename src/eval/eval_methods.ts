/**
 * What an evaluation compares: every search method (src/search/defaults.ts) and three that exist
 * for comparison only:
 * - untrained: the checkpoint's architecture at the weights its training started from (for a
 *   residual on basin hopping, basin hopping's own untuned search): whether learning helped;
 * - fire-bh: basin hopping with FIRE relaxations, on basin hopping's defaults (untuned), the
 *   FIRE-based search of the paper's baselines;
 * - default-bh: basin hopping on its defaults (untuned): the hop-based search where no
 *   checkpoint names training systems to tune bh on (silicon, beside the anneal).
 * "learned" is the checkpoint itself; the hand-designed methods are the rest but "untrained".
 */
import { METHODS } from "../search/defaults.ts";

export const EVAL_METHODS = [...METHODS, "untrained", "fire-bh", "default-bh"] as const;
export type EvalMethod = typeof EVAL_METHODS[number];

/** Methods that need the checkpoint's optimizer. */
export const CHECKPOINT_METHODS: readonly EvalMethod[] = ["learned", "untrained"];

/** Whether `method` is a hand-designed baseline (the best of which the verdict compares with). */
export function isHandDesigned(method: EvalMethod): boolean {
  return !CHECKPOINT_METHODS.includes(method);
}
