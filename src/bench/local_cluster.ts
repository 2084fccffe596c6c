/**
 * Distributed mode on this one machine, for `deno task bench --distributed` and the tests: a
 * redis-server of its own on a free loopback port (no persistence), and worker processes
 * (tasks/worker.ts) on it.
 */
import { fileURLToPath } from "node:url";
import { WORKER_HEARTBEATS } from "../distributed/keys.ts";
import type { RedisConnection } from "../distributed/redis_connection.ts";

// File paths (fileURLToPath decodes what a URL escapes, such as spaces).
const ROOT = fileURLToPath(new URL("../..", import.meta.url));
const WORKER_TASK = fileURLToPath(new URL("../../tasks/worker.ts", import.meta.url));

export interface LocalRedis {
  url: string;
  port: number;
  /** Kills the server (SIGKILL: as if it crashed; it keeps nothing). */
  stop(): Promise<void>;
  /** Starts it again on the same port. */
  restart(): Promise<void>;
}

/** Debian's redis-server on a free loopback port, with `password` when given. */
export async function startRedisServer(options: { password?: string } = {}): Promise<LocalRedis> {
  const listener = Deno.listen({ hostname: "127.0.0.1", port: 0 });
  const { port } = listener.addr as Deno.NetAddr;
  listener.close();
  let child: Deno.ChildProcess | undefined;
  const start = async () => {
    const args = [
      "--port",
      String(port),
      "--bind",
      "127.0.0.1",
      "--save",
      "",
      "--appendonly",
      "no",
    ];
    if (options.password !== undefined) args.push("--requirepass", options.password);
    child = new Deno.Command("redis-server", { args, stdout: "null", stderr: "null" }).spawn();
    for (let k = 0; k < 100; k++) {
      try {
        (await Deno.connect({ hostname: "127.0.0.1", port })).close();
        return;
      } catch {
        await new Promise((resolve) => setTimeout(resolve, 50));
      }
    }
    throw new Error(`redis-server did not start on port ${port}`);
  };
  await start();
  const auth = options.password === undefined ? "" : `:${options.password}@`;
  return {
    url: `redis://${auth}127.0.0.1:${port}`,
    port,
    async stop() {
      child?.kill("SIGKILL");
      await child?.status;
      child = undefined;
    },
    restart: start,
  };
}

/** A worker process named `name` taking work from `url`, returned once its first heartbeat is
 * in (`watch` reads the heartbeats). */
export async function startWorkerProcess(
  watch: RedisConnection,
  url: string,
  name: string,
  options: { visibilitySeconds?: number; stderr?: "piped" | "null" } = {},
): Promise<Deno.ChildProcess> {
  const visibility = options.visibilitySeconds === undefined
    ? []
    : ["--visibility-timeout", String(options.visibilitySeconds)];
  const child = new Deno.Command(Deno.execPath(), {
    args: [
      "run",
      // The project's settings, from whatever folder the bench or the tests run in.
      ...["--config", `${ROOT}/deno.json`],
      `--allow-read=${ROOT}`,
      "--allow-net",
      "--allow-sys=hostname",
      WORKER_TASK,
      "--redis",
      url,
      "--name",
      name,
      ...visibility,
    ],
    stdin: "null",
    stdout: "null",
    stderr: options.stderr ?? "null",
  }).spawn();
  for (let k = 0; k < 600; k++) {
    if (await watch.call("ZSCORE", WORKER_HEARTBEATS, name) !== null) break;
    await new Promise((resolve) => setTimeout(resolve, 100));
  }
  return child;
}
