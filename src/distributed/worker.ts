/**
 * A worker of distributed mode (deno task worker): it takes items from the work stream one at a
 * time, runs each on this machine's GPU in one batch, and adds the result to the item's run's
 * results stream.
 *
 * - It reads the stream in the consumer group every worker shares, so each item goes to one
 *   worker. An item stays pending on the worker that took it until the result is out (then it
 *   is acknowledged and deleted); while the worker runs it, the worker renews its claim every
 *   third of the visibility timeout. An item whose worker died or stalled goes idle: after the
 *   visibility timeout another worker takes it over (XAUTOCLAIM) and does it again.
 * - An item that does not parse (work_items.ts) is logged and dropped; one its run no longer
 *   wants (answered already, or the host gave up) is dropped without running; one taken over
 *   MAX_DELIVERIES times is given up, and its run is told (the host stops with the message).
 * - After Redis restarts, the group is made again (a restarted Redis may have lost it).
 * - `stop()` (SIGINT/SIGTERM) releases the item in flight at once: it goes back on the stream
 *   for another worker, and this worker leaves the set of live workers.
 */
import { UserError } from "../core/errors.ts";
import { Gpu } from "../gpu/device.ts";
import type { ThreadLayout } from "../gpu/thread_layout.ts";
import { PopulationEvaluator } from "../learned/population_evaluator.ts";
import type { TrainConfig } from "../learned/train_config.ts";
import { runSearch } from "../search/run_search.ts";
import {
  HEARTBEAT_MS,
  RESULTS_KEPT,
  resultsKey,
  RUN_KEYS_TTL_SECONDS,
  wantedKey,
  WORK_STREAM,
  WORKER_GROUP,
  WORKER_HEARTBEATS,
} from "./keys.ts";
import { RedisConnection } from "./redis_connection.ts";
import type { RedisTarget } from "./redis_url.ts";
import { itemSearchOptions, searchResultValue } from "./search_work.ts";
import { contentId, encodeWire } from "./wire.ts";
import {
  parseWorkItem,
  WORK_FORMAT,
  type WorkItem,
  WorkItemError,
  type WorkResult,
} from "./work_items.ts";

export const DEFAULT_VISIBILITY_SECONDS = 60;
/** Deliveries (the first and each takeover) after which an item is given up: one that kills or
 * stalls every worker that takes it must not go round for ever. */
export const MAX_DELIVERIES = 5;
/** How long one blocking read of the work stream waits before looking for abandoned items. */
const READ_BLOCK_MS = 1000;

type StreamEntry = [string, string[]];

export interface WorkerOptions {
  target: RedisTarget;
  name: string;
  /** An item idle this long on its worker is taken over (ms). */
  visibilityMs: number;
  log?: (line: string) => void;
  /** Called once per finished item (tests, progress). */
  onItem?: (item: WorkItem, result: WorkResult) => void;
}

export interface WorkerSummary {
  items: number;
  dropped: number;
  skipped: number;
}

export class Worker {
  readonly name: string;
  #options: WorkerOptions;
  #log: (line: string) => void;
  #commands: RedisConnection;
  #reader: RedisConnection;
  #gpus = new Map<ThreadLayout | "default", Promise<Gpu>>();
  #evaluator: { key: string; evaluator: PopulationEvaluator } | undefined;
  #stopping = false;
  #inFlight: { entryId: string; fields: string[] } | undefined;
  #heartbeat: ReturnType<typeof setInterval> | undefined;
  #summary: WorkerSummary = { items: 0, dropped: 0, skipped: 0 };

  private constructor(
    options: WorkerOptions,
    commands: RedisConnection,
    reader: RedisConnection,
    gpu: Gpu,
  ) {
    this.name = options.name;
    this.#options = options;
    this.#log = options.log ?? ((line) => console.error(line));
    this.#commands = commands;
    this.#reader = reader;
    this.#gpus.set("default", Promise.resolve(gpu));
    this.#gpus.set(gpu.layout, Promise.resolve(gpu));
    commands.onReconnect(() => {
      this.#ensureGroup().catch(() => {});
    });
  }

  /** Connects to Redis (UserErrors as RedisConnection.open), then takes the GPU (`gpu`, or
   * what it opens: a Redis mistake is reported before any GPU work) and joins the group. */
  static async start(options: WorkerOptions, gpu: Gpu | (() => Promise<Gpu>)): Promise<Worker> {
    if (!/^[\w.@-]{1,64}$/.test(options.name)) {
      throw new UserError(`--name '${options.name}': use 1 to 64 letters, digits, . _ @ or -`);
    }
    const log = options.log ?? ((line: string) => console.error(line));
    const commands = await RedisConnection.open(options.target, {
      name: `learn2hop-worker-${options.name}`,
      log,
    });
    const reader = await RedisConnection.open(options.target, {
      name: `learn2hop-worker-${options.name}-reader`,
      log: () => {},
    }).catch((error) => {
      commands.close();
      throw error;
    });
    const device = typeof gpu === "function" ? await gpu() : gpu;
    const worker = new Worker(options, commands, reader, device);
    await worker.#ensureGroup();
    await worker.#beat();
    return worker;
  }

  /** Items done, dropped as malformed and skipped as no longer wanted, so far. */
  get summary(): WorkerSummary {
    return { ...this.#summary };
  }

  /** Takes and runs items until `stop()`. */
  async run(): Promise<WorkerSummary> {
    this.#heartbeat = setInterval(() => this.#beat().catch(() => {}), HEARTBEAT_MS);
    try {
      while (!this.#stopping) {
        const entry = await this.#next();
        if (entry === undefined || this.#stopping) continue;
        await this.#handle(entry);
      }
    } catch (error) {
      // stop() closes the connections under the commands in flight.
      if (!this.#stopping) throw error;
    } finally {
      clearInterval(this.#heartbeat);
    }
    return this.#summary;
  }

  /** Stops taking work, hands the item in flight back to the stream, leaves the live set and
   * disconnects. */
  async stop(): Promise<void> {
    if (this.#stopping) return;
    this.#stopping = true;
    clearInterval(this.#heartbeat);
    const inFlight = this.#inFlight;
    if (inFlight !== undefined) {
      const [id, item] = [field(inFlight.fields, "id"), field(inFlight.fields, "item")];
      if (id !== undefined && item !== undefined) {
        await this.#commands.call("XADD", WORK_STREAM, "*", "id", id, "item", item);
      }
      await this.#done(inFlight.entryId);
      this.#log(`released item ${id ?? inFlight.entryId} to the other workers`);
    }
    await this.#commands.call("ZREM", WORKER_HEARTBEATS, this.name);
    this.#commands.close();
    this.#reader.close();
    this.#evaluator?.evaluator.destroy();
  }

  /** An item left idle by another worker for the visibility timeout, else a new one. */
  async #next(): Promise<StreamEntry | undefined> {
    try {
      const claimed = await this.#commands.call(
        "XAUTOCLAIM",
        WORK_STREAM,
        WORKER_GROUP,
        this.name,
        this.#options.visibilityMs,
        "0-0",
        "COUNT",
        1,
      ) as [string, StreamEntry[]];
      const abandoned = claimed[1].find((entry) => entry !== null && entry[1] !== null);
      if (abandoned !== undefined) {
        const id = field(abandoned[1], "id") ?? abandoned[0];
        if (await this.#deliveries(abandoned[0]) > MAX_DELIVERIES) {
          await this.#giveUp(abandoned);
          return undefined;
        }
        this.#log(`took over item ${id} from a stalled worker`);
        return abandoned;
      }
      const reply = await this.#reader.call(
        "XREADGROUP",
        "GROUP",
        WORKER_GROUP,
        this.name,
        "COUNT",
        1,
        "BLOCK",
        READ_BLOCK_MS,
        "STREAMS",
        WORK_STREAM,
        ">",
      ) as [string, StreamEntry[]][] | null;
      return reply?.[0]?.[1]?.[0];
    } catch (error) {
      if (/NOGROUP/.test((error as Error).message)) {
        await this.#ensureGroup();
        return undefined;
      }
      throw error;
    }
  }

  async #handle([entryId, fields]: StreamEntry): Promise<void> {
    // Only as much of a foreign id as a log line needs.
    const id = (field(fields, "id") ?? entryId).slice(0, 64);
    let item: WorkItem;
    try {
      const text = field(fields, "item");
      if (text === undefined) throw new WorkItemError("no item field");
      item = parseWorkItem(text);
      if (await contentId(text) !== id) throw new WorkItemError("its id is not its content's");
    } catch (error) {
      if (!(error instanceof WorkItemError)) throw error;
      this.#log(`dropped malformed work item ${id}: ${error.message}`);
      this.#summary.dropped++;
      await this.#done(entryId);
      return;
    }
    if (!await this.#commands.call("SISMEMBER", wantedKey(item.run), id)) {
      this.#summary.skipped++;
      await this.#done(entryId);
      return;
    }
    this.#inFlight = { entryId, fields };
    const renew = setInterval(() => {
      this.#commands.call("XCLAIM", WORK_STREAM, WORKER_GROUP, this.name, 0, entryId, "JUSTID")
        .catch(() => {});
    }, this.#options.visibilityMs / 3);
    const started = performance.now();
    let outcome: WorkResult["outcome"];
    let gpu: Gpu | undefined;
    try {
      gpu = await this.#gpu(item.layout);
      outcome = { ok: true, value: await this.#perform(item, gpu) };
    } catch (error) {
      const message = (error as Error)?.message ?? String(error);
      outcome = { ok: false, user: error instanceof UserError, message: message.split("\n")[0] };
      this.#log(`item ${id} (${item.kind}) failed: ${message}`);
    } finally {
      clearInterval(renew);
    }
    if (this.#stopping) return; // stop() released it
    const result: WorkResult = {
      format: WORK_FORMAT,
      id,
      worker: this.name,
      adapter: gpu?.adapterName ?? "none",
      layout: gpu?.layout ?? "lane",
      seconds: (performance.now() - started) / 1000,
      outcome,
    };
    await this.#send(item.run, result);
    this.#inFlight = undefined;
    await this.#done(entryId);
    this.#summary.items++;
    this.#options.onItem?.(item, result);
  }

  /** Runs one checked item. */
  async #perform(item: WorkItem, gpu: Gpu): Promise<unknown> {
    switch (item.kind) {
      case "train-slice":
        return await this.#populationEvaluator(item.config, gpu).slice(item);
      case "train-validation":
        return {
          loss: await this.#populationEvaluator(item.config, gpu).validation(
            item.theta,
            item.seed,
            item.system,
          ),
        };
      case "train-baseline":
        return {
          loss: await this.#populationEvaluator(item.config, gpu).baseline(item.seed, item.system),
        };
      case "search": {
        const result = await runSearch(itemSearchOptions(item), { gpu });
        if (result.stopReason === "failed") throw result.error;
        return searchResultValue(result);
      }
    }
  }

  /** The evaluator of the config (its batches are kept while the same run's items come). */
  #populationEvaluator(config: TrainConfig, gpu: Gpu): PopulationEvaluator {
    const key = `${gpu.layout}\u0000${JSON.stringify(config)}`;
    if (this.#evaluator?.key !== key) {
      this.#evaluator?.evaluator.destroy();
      this.#evaluator = { key, evaluator: new PopulationEvaluator(gpu, config) };
    }
    return this.#evaluator.evaluator;
  }

  /** The device in `layout` (null: the worker's own), opened on first use. */
  #gpu(layout: ThreadLayout | null): Promise<Gpu> {
    if (layout === null) return this.#gpus.get("default")!;
    let gpu = this.#gpus.get(layout);
    if (gpu === undefined) {
      gpu = Gpu.open({ log: null, layout });
      this.#gpus.set(layout, gpu);
    }
    return gpu;
  }

  /** How often the entry was delivered: once, plus once per takeover (renewals do not count). */
  async #deliveries(entryId: string): Promise<number> {
    const pending = await this.#commands.call(
      "XPENDING",
      WORK_STREAM,
      WORKER_GROUP,
      entryId,
      entryId,
      1,
    ) as [string, string, number, number][];
    return pending[0]?.[3] ?? 1;
  }

  /** An item every worker that took it lost: its run is told, and the item dropped. */
  async #giveUp([entryId, fields]: StreamEntry): Promise<void> {
    const id = field(fields, "id") ?? entryId;
    const message = `item ${id} was taken over ${MAX_DELIVERIES} times: every worker that had ` +
      "it died or stalled past the visibility timeout (raise --visibility-timeout if kernels " +
      "compile slowly here)";
    this.#log(message);
    try {
      const item = parseWorkItem(field(fields, "item") ?? "");
      await this.#send(item.run, {
        format: WORK_FORMAT,
        id,
        worker: this.name,
        adapter: "none",
        layout: "lane",
        seconds: 0,
        outcome: { ok: false, user: false, message },
      });
    } catch (error) {
      if (!(error instanceof WorkItemError)) throw error;
    }
    await this.#done(entryId);
  }

  async #send(run: string, result: WorkResult): Promise<void> {
    const results = resultsKey(run);
    await this.#commands.call(
      "XADD",
      results,
      "MAXLEN",
      "~",
      RESULTS_KEPT,
      "*",
      "id",
      result.id,
      "result",
      encodeWire(result),
    );
    await this.#commands.call("EXPIRE", results, RUN_KEYS_TTL_SECONDS);
  }

  async #done(entryId: string): Promise<void> {
    await this.#commands.call("XACK", WORK_STREAM, WORKER_GROUP, entryId);
    await this.#commands.call("XDEL", WORK_STREAM, entryId);
  }

  async #ensureGroup(): Promise<void> {
    try {
      await this.#commands.call("XGROUP", "CREATE", WORK_STREAM, WORKER_GROUP, "0", "MKSTREAM");
    } catch (error) {
      if (!/BUSYGROUP/.test((error as Error).message)) throw error;
    }
  }

  async #beat(): Promise<void> {
    await this.#commands.call("ZADD", WORKER_HEARTBEATS, Date.now(), this.name);
  }
}

function field(fields: string[], name: string): string | undefined {
  for (let k = 0; k + 1 < fields.length; k += 2) if (fields[k] === name) return fields[k + 1];
  return undefined;
}
