/**
 * The host's side of the work stream: it publishes a batch of items, then gathers one result per
 * item from its run's results stream, whichever worker sent it and however often.
 *
 * - An item is named by its content (`contentId`), added to the run's wanted set and to the work
 *   stream. The first result for a wanted id is taken and the id leaves the set; any later one
 *   (a worker that was presumed dead and finished after all, an item done twice after Redis came
 *   back) is ignored and counted.
 * - Results are read from the start of the run's stream the first time: a host resumed after a
 *   crash takes the results its previous life published for and never read, and republishing
 *   the same items (same content, same ids) costs nothing where they were done.
 * - When Redis comes back after a loss, everything still outstanding is published again (a
 *   restarted Redis has lost the stream; duplicates are harmless, see above).
 */
import { UserError } from "../core/errors.ts";
import {
  resultsKey,
  RUN_KEYS_TTL_SECONDS,
  wantedKey,
  WORK_STREAM,
  WORKER_HEARTBEATS,
  WORKER_LIVE_MS,
} from "./keys.ts";
import { RedisConnection } from "./redis_connection.ts";
import type { RedisTarget } from "./redis_url.ts";
import { contentId, decodeWire, encodeWire } from "./wire.ts";
import { WORK_FORMAT, type WorkItem, type WorkResult } from "./work_items.ts";

/** Without any result for this long and no live worker, the host says how to start one. */
const NO_WORKER_HINT_MS = 15_000;
/** How long one blocking read of the results waits. */
const READ_BLOCK_MS = 1000;

/** A stream entry as Redis replies: [id, [field, value, ...]]. */
type StreamEntry = [string, string[]];

export class WorkHost {
  readonly run: string;
  #commands: RedisConnection;
  #reader: RedisConnection;
  #log: (line: string) => void;
  #cursor = "0";
  /** Items published and not yet answered: id -> wire text. */
  #outstanding = new Map<string, string>();
  /** Ids this host has taken a result for. */
  #answered = new Set<string>();
  /** Results ignored because their item had already been answered. */
  duplicates = 0;
  /** The adapters and thread layouts of the workers whose results were taken, in order seen. */
  readonly adapters = new Set<string>();
  readonly layouts = new Set<string>();

  private constructor(
    run: string,
    commands: RedisConnection,
    reader: RedisConnection,
    log: (line: string) => void,
  ) {
    this.run = run;
    this.#commands = commands;
    this.#reader = reader;
    this.#log = log;
    commands.onReconnect(() => {
      this.#publish([...this.#outstanding]).catch(() => {}); // retried at the next reconnect
    });
  }

  /** Connects (UserErrors as RedisConnection.open) for the run `run`. */
  static async open(
    target: RedisTarget,
    run: string,
    log: (line: string) => void = (line) => console.error(line),
  ): Promise<WorkHost> {
    const commands = await RedisConnection.open(target, { name: `learn2hop-host-${run}`, log });
    // The blocking reads have their own connection, so publishing never waits behind them; it
    // reports nothing itself (the commands connection already says when Redis goes and comes).
    const reader = await RedisConnection.open(target, {
      name: `learn2hop-host-${run}-reader`,
      log: () => {},
    }).catch((error) => {
      commands.close();
      throw error;
    });
    return new WorkHost(run, commands, reader, log);
  }

  /** Names of the workers whose heartbeat is recent. */
  async liveWorkers(): Promise<string[]> {
    const since = Date.now() - WORKER_LIVE_MS;
    return await this.#commands.call("ZRANGEBYSCORE", WORKER_HEARTBEATS, since, "+inf") as string[];
  }

  /**
   * Publishes `items` and resolves with their results, aligned with them; `onResult` hears of
   * each as it comes (index of its item). A result that reports a failure throws: a UserError
   * when the worker refused the work as a user mistake.
   */
  async runAll(
    items: WorkItem[],
    onResult?: (k: number, result: WorkResult) => void,
  ): Promise<WorkResult[]> {
    const texts = items.map(encodeWire);
    const ids = await Promise.all(texts.map(contentId));
    const fresh = ids.map((id, k) => [id, texts[k]] as [string, string])
      .filter(([id]) => !this.#outstanding.has(id));
    for (const [id, text] of fresh) this.#outstanding.set(id, text);
    const wanted = new Set(ids);
    const results = new Map<string, WorkResult>();
    try {
      await this.#publish(fresh);
      let lastResult = Date.now();
      let hinted = false;
      while (results.size < wanted.size) {
        const reply = await this.#reader.call(
          "XREAD",
          "COUNT",
          100,
          "BLOCK",
          READ_BLOCK_MS,
          "STREAMS",
          resultsKey(this.run),
          this.#cursor,
        ) as [string, StreamEntry[]][] | null;
        for (const [entryId, fields] of reply?.[0]?.[1] ?? []) {
          this.#cursor = entryId;
          const result = parseResult(fields);
          if (result === undefined) continue;
          if (this.#answered.has(result.id)) this.duplicates++;
          if (!wanted.has(result.id) || this.#answered.has(result.id)) continue;
          if (!result.outcome.ok) {
            const { user, message } = result.outcome;
            const text = `worker ${result.worker}: ${message}`;
            throw user ? new UserError(text) : new Error(text);
          }
          results.set(result.id, result);
          this.adapters.add(result.adapter);
          this.layouts.add(result.layout);
          ids.forEach((id, k) => id === result.id && onResult?.(k, result));
          this.#answered.add(result.id);
          this.#outstanding.delete(result.id);
          lastResult = Date.now();
          await this.#commands.call("SREM", wantedKey(this.run), result.id);
        }
        if (!hinted && Date.now() - lastResult > NO_WORKER_HINT_MS) {
          if ((await this.liveWorkers()).length === 0) {
            hinted = true;
            this.#log(
              `no worker is live on ${this.#commands.target.shown}: start one with ` +
                `deno task worker --redis URL (waiting)`,
            );
          }
        }
      }
    } catch (error) {
      // Nobody will read these results: workers skip what is no longer wanted.
      await this.#forget([...wanted].filter((id) => !results.has(id)));
      throw error;
    }
    return ids.map((id) => results.get(id)!);
  }

  /** Withdraws whatever is still outstanding and disconnects. */
  async close(): Promise<void> {
    await this.#forget([...this.#outstanding.keys()]).catch(() => {});
    this.#commands.close();
    this.#reader.close();
  }

  async #publish(entries: [string, string][]): Promise<void> {
    if (entries.length === 0) return;
    const wanted = wantedKey(this.run);
    await this.#commands.call("SADD", wanted, ...entries.map(([id]) => id));
    await this.#commands.call("EXPIRE", wanted, RUN_KEYS_TTL_SECONDS);
    for (const [id, text] of entries) {
      await this.#commands.call("XADD", WORK_STREAM, "*", "id", id, "item", text);
    }
  }

  async #forget(ids: string[]): Promise<void> {
    for (const id of ids) this.#outstanding.delete(id);
    if (ids.length > 0) await this.#commands.call("SREM", wantedKey(this.run), ...ids);
  }
}

/** A result entry's result, or undefined (and ignored) when it is not one of ours. */
function parseResult(fields: string[]): WorkResult | undefined {
  const text = fields[fields.indexOf("result") + 1];
  if (typeof text !== "string") return undefined;
  try {
    const result = decodeWire(text) as WorkResult;
    const valid = result?.format === WORK_FORMAT && typeof result.id === "string" &&
      typeof result.worker === "string" && typeof result.outcome?.ok === "boolean";
    return valid ? result : undefined;
  } catch {
    return undefined;
  }
}
