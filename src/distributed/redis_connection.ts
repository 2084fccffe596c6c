/**
 * A connection to the Redis of a distributed run, through the vendored ioredis client
 * (vendor/ioredis/, loaded here and nowhere else, so the single-machine path never loads it).
 *
 * The first connection fails fast with a UserError (unreachable host, wrong or missing password,
 * a server too old for the streams commands we use). After that the connection outlives Redis:
 * when Redis goes away every command waits, one line says the run is paused, and when Redis is
 * back one line says so and the `onReconnect` listeners run (a restarted Redis may have lost
 * its streams: the host publishes its outstanding work again, a worker recreates its group).
 */
import { UserError } from "../core/errors.ts";
import type { RedisTarget } from "./redis_url.ts";

/** The part of ioredis this project uses. */
interface IoRedis {
  status: string;
  options: { retryStrategy?: (times: number) => number | null };
  connect(): Promise<void>;
  call(command: string, ...args: (string | number)[]): Promise<unknown>;
  on(event: string, listener: (...args: unknown[]) => void): unknown;
  disconnect(): void;
}

type IoRedisClass = new (options: Record<string, unknown>) => IoRedis;

/** Redis 6.2 brought XAUTOCLAIM, with which an item left by a dead worker is taken over. */
const MINIMUM_VERSION = [6, 2];
/** How long the first connection may take. */
const CONNECT_TIMEOUT_MS = 5000;
/** Waits between attempts to reconnect, growing to this. */
const MAX_RECONNECT_WAIT_MS = 2000;

let client: Promise<IoRedisClass> | undefined;

/** Loads the vendored client once. */
function ioredis(): Promise<IoRedisClass> {
  client ??= import("../../vendor/ioredis/ioredis.mjs").then((module) =>
    module.Redis as IoRedisClass
  );
  return client;
}

export interface ConnectOptions {
  /** Shown by CLIENT LIST on the server. */
  name: string;
  /** Where the pause and continue lines go (default: stderr). */
  log?: (line: string) => void;
}

export class RedisConnection {
  readonly target: RedisTarget;
  #redis: IoRedis;
  #closing = false;
  #reconnectListeners: (() => void)[] = [];

  private constructor(target: RedisTarget, redis: IoRedis, log: (line: string) => void) {
    this.target = target;
    this.#redis = redis;
    let lastError = "";
    let paused = false;
    redis.on("error", (error) => lastError = (error as Error).message);
    redis.on("close", () => {
      if (this.#closing || paused) return;
      paused = true;
      log(
        `redis: lost the connection to ${target.shown}${lastError ? ` (${lastError})` : ""}; ` +
          "paused until it is back",
      );
    });
    redis.on("ready", () => {
      if (!paused) return;
      paused = false;
      lastError = "";
      log(`redis: ${target.shown} is back; continuing`);
      for (const listener of this.#reconnectListeners) listener();
    });
  }

  /** A new connection to `target`, checked (see above). */
  static async open(target: RedisTarget, options: ConnectOptions): Promise<RedisConnection> {
    const Redis = await ioredis();
    const redis = new Redis({
      host: target.host,
      port: target.port,
      username: target.username,
      password: target.password,
      db: target.db,
      tls: target.tls ? {} : undefined,
      connectionName: options.name,
      lazyConnect: true,
      connectTimeout: CONNECT_TIMEOUT_MS,
      // Commands wait for Redis to come back rather than fail.
      maxRetriesPerRequest: null,
      // No retries until the first connection has worked: a wrong URL is the user's mistake.
      retryStrategy: () => null,
    });
    // ioredis rejects with "Connection is closed" and reports the cause as an error event.
    let cause: Error | undefined;
    redis.on("error", (error) => cause ??= error as Error);
    try {
      await redis.connect();
      await redis.call("PING");
    } catch (error) {
      redis.disconnect();
      throw connectError(target, cause ?? error as Error);
    }
    // ioredis selects the database on connecting and ignores a refusal: asked again here.
    try {
      await redis.call("SELECT", target.db);
    } catch (error) {
      redis.disconnect();
      throw new UserError(
        `Redis at ${target.shown} has no database ${target.db} (${(error as Error).message})`,
      );
    }
    const info = String(await redis.call("INFO", "server"));
    const version = /redis_version:([\d.]+)/.exec(info)?.[1] ?? "0";
    const [major, minor] = version.split(".").map(Number);
    if (
      major < MINIMUM_VERSION[0] || (major === MINIMUM_VERSION[0] && minor < MINIMUM_VERSION[1])
    ) {
      redis.disconnect();
      throw new UserError(
        `Redis at ${target.shown} is version ${version}; distributed mode needs ` +
          `${MINIMUM_VERSION.join(".")} or later (XAUTOCLAIM)`,
      );
    }
    redis.options.retryStrategy = (times) => Math.min(100 * times, MAX_RECONNECT_WAIT_MS);
    return new RedisConnection(target, redis, options.log ?? ((line) => console.error(line)));
  }

  /** One Redis command; it waits while Redis is away. */
  call(command: string, ...args: (string | number)[]): Promise<unknown> {
    return this.#redis.call(command, ...args);
  }

  /** Runs `listener` whenever the connection comes back after a loss. */
  onReconnect(listener: () => void): void {
    this.#reconnectListeners.push(listener);
  }

  close(): void {
    this.#closing = true;
    this.#redis.disconnect();
  }
}

/** The first connection's failure, in one line for the user. */
function connectError(target: RedisTarget, error: Error): UserError {
  const message = error.message ?? String(error);
  if (/WRONGPASS|invalid password|invalid username-password/i.test(message)) {
    return new UserError(`Redis at ${target.shown} refused the password (${message})`);
  }
  if (/NOAUTH/.test(message)) {
    return new UserError(
      `Redis at ${target.shown} needs a password: --redis redis://:PASSWORD@${target.host}:` +
        `${target.port}`,
    );
  }
  return new UserError(`cannot reach Redis at ${target.shown}: ${message}`);
}
