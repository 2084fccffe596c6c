/**
 * An evaluation's searches on the workers of a Redis: each search is one work item (search_work.ts)
 * that one worker runs whole, in one batch; a set of searches is published at once, so as many
 * workers as there are searches work at the same time. `onResult` hears of each search as it
 * ends; the results are returned in the order of the searches, whatever order they came in.
 */
import type { ThreadLayout } from "../gpu/thread_layout.ts";
import type { SearchRunner } from "../eval/search_runner.ts";
import type { SearchOptions, SearchResult } from "../search/run_search.ts";
import { searchItem, searchResultFrom } from "./search_work.ts";
import type { WorkHost } from "./work_host.ts";
import type { WorkResult } from "./work_items.ts";

export class RedisSearchRunner implements SearchRunner {
  #host: WorkHost;
  #layout: ThreadLayout | null;

  constructor(host: WorkHost, layout: ThreadLayout | null) {
    this.#host = host;
    this.#layout = layout;
  }

  get adapter(): string {
    return [...this.#host.adapters].join("; ") || "(no worker yet)";
  }

  get layout(): string {
    return [...this.#host.layouts].join(", ") || (this.#layout ?? "default");
  }

  async runAll(
    searches: SearchOptions[],
    onResult?: (k: number, result: SearchResult) => void,
  ): Promise<SearchResult[]> {
    const items = searches.map((options) => searchItem(options, this.#host.run, this.#layout));
    const result = (k: number, reply: WorkResult) =>
      searchResultFrom(reply.outcome.ok ? reply.outcome.value : null, searches[k]);
    // Progress as the searches end, in whatever order; the results in the searches' order.
    const replies = await this.#host.runAll(items, (k, reply) => onResult?.(k, result(k, reply)));
    return replies.map((reply, k) => result(k, reply));
  }

  close(): void {
    this.#host.close();
  }
}
