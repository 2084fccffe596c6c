/**
 * A search as a work item and its result on the wire: the options as a saved search state keeps
 * them (JSON, the system by name), the given starts and the learned optimizer's weights as typed
 * arrays. The result comes back whole but for its options, which the host already has.
 */
import { ARCHITECTURES } from "../learned/architectures.ts";
import { LearnedOptimizer } from "../learned/learned_optimizer.ts";
import {
  restoredOptions,
  savedOptions,
  type SearchOptions,
  type SearchResult,
} from "../search/run_search.ts";
import { parseSystem } from "../systems/system.ts";
import type { ThreadLayout } from "../gpu/thread_layout.ts";
import { type SearchItem, WORK_FORMAT } from "./work_items.ts";

export function searchItem(
  options: SearchOptions,
  run: string,
  layout: ThreadLayout | null,
): SearchItem {
  const { learned } = options;
  return {
    format: WORK_FORMAT,
    run,
    layout,
    kind: "search",
    options: savedOptions(options),
    starts: options.starts ?? null,
    learned: learned === undefined ? null : {
      architecture: learned.architecture.description.name,
      weights: learned.weights,
      maxStepBondLengths: learned.maxStepBondLengths,
    },
  };
}

/** The options a (checked) search item stands for. */
export function itemSearchOptions(item: SearchItem): SearchOptions {
  const options = restoredOptions(item.options, parseSystem(item.options.system));
  if (item.starts !== null) options.starts = item.starts;
  if (item.learned !== null) {
    const { architecture, weights, maxStepBondLengths } = item.learned;
    options.learned = new LearnedOptimizer(
      ARCHITECTURES[architecture],
      weights,
      maxStepBondLengths,
    );
  }
  options.checkpoint = item.options.checkpoint ?? undefined;
  return options;
}

/** What a worker sends back: the result without its options (and without an error: a failed
 * search is a failed item). */
export function searchResultValue(result: SearchResult): Omit<SearchResult, "options" | "error"> {
  const { options: _options, error: _error, ...rest } = result;
  return rest;
}

/** The result a worker sent for `options`. */
export function searchResultFrom(value: unknown, options: SearchOptions): SearchResult {
  const result = value as Omit<SearchResult, "options">;
  if (!(result?.replicaBestEnergies instanceof Float32Array) || !Array.isArray(result.minima)) {
    throw new Error("a worker sent a malformed search result");
  }
  return { ...result, options };
}
