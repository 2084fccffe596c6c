/**
 * Redis servers for the distributed tests: the one CI starts (LEARN2HOP_TEST_REDIS, a loopback
 * URL) for tests that only need one, or a redis-server of the test's own on a free loopback port
 * (with a password, or to stop and restart it). Tests that need one are skipped, saying so, on a
 * machine with neither.
 */
import { type LocalRedis, startRedisServer } from "../src/bench/local_cluster.ts";

/** A server for a test; stop and restart do nothing to the shared one (restart refuses). */
export type TestRedis = LocalRedis;

const SHARED = Deno.env.get("LEARN2HOP_TEST_REDIS");

/** Whether this machine has redis-server. */
export const HAS_REDIS_SERVER = await new Deno.Command("redis-server", {
  args: ["--version"],
  stdout: "null",
  stderr: "null",
}).output().then((o) => o.success, () => false);

/** Whether the distributed tests can run here. */
export const REDIS_AVAILABLE = SHARED !== undefined || HAS_REDIS_SERVER;
if (!REDIS_AVAILABLE) {
  console.error("distributed tests skipped: no redis-server and no LEARN2HOP_TEST_REDIS");
}

/** The shared server when there is one, else one of the test's own. */
export async function anyRedis(): Promise<TestRedis> {
  if (SHARED === undefined) return await startRedisServer();
  const port = Number(new URL(SHARED).port || 6379);
  const unsupported = () => Promise.reject(new Error("the shared Redis is not the test's own"));
  return { url: SHARED, port, stop: () => Promise.resolve(), restart: unsupported };
}

/** A server no other process uses (one of the test's own where redis-server is installed), for
 * tests that watch which worker takes which item. */
export function isolatedRedis(): Promise<TestRedis> {
  return HAS_REDIS_SERVER ? startRedisServer() : anyRedis();
}
