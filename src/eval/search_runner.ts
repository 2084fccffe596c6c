/**
 * Where an evaluation's searches run: each search (a system x method shard, or a point of basin
 * hopping's tuning grid) is independent, so the evaluation hands them over in sets and takes the
 * results in order. `localSearches` runs them one after the other on this machine's GPU;
 * src/distributed/ runs them on workers. A search's result is the same either way on the same
 * adapter and layout (but for its wall times).
 */
import type { Gpu } from "../gpu/device.ts";
import {
  checkSearch,
  runSearch,
  type SearchOptions,
  type SearchResult,
} from "../search/run_search.ts";

export interface SearchRunner {
  /** The adapter(s) the searches run on, and the thread layout, in words. */
  readonly adapter: string;
  readonly layout: string;
  /** Runs the searches; results are aligned with them. `onResult` hears of each as it ends, in
   * whatever order they end (progress only: what depends on the results reads the array). A
   * failed search throws what ended it. */
  runAll(
    searches: SearchOptions[],
    onResult?: (k: number, result: SearchResult) => void,
  ): Promise<SearchResult[]>;
  /** Releases what the runner holds (a connection). */
  close?(): void;
}

export function localSearches(gpu: Gpu): SearchRunner {
  return {
    adapter: gpu.adapterName,
    layout: gpu.layout,
    async runAll(searches, onResult) {
      // Every search is checked first: one that cannot run here (Si216's anneal on llvmpipe's
      // loop budget) is refused before hours of the others are spent.
      for (const options of searches) checkSearch(options, gpu);
      const results: SearchResult[] = [];
      for (const [k, options] of searches.entries()) {
        const result = await runSearch(options, { gpu });
        if (result.stopReason === "failed") throw result.error;
        onResult?.(k, result);
        results.push(result);
      }
      return results;
    },
  };
}
