/**
 * Redis servers for the distributed tests: the one CI starts (LEARN2HOP_TEST_REDIS, a loopback
 * URL) for tests that only need one, or a redis-server of the test's own on a free loopback port
 * (with a password, or to stop and restart it). Tests that need one are skipped, saying so, on a
 * machine with neither.
 */

export interface TestRedis {
  url: string;
  port: number;
  /** Stops it (a server of the test's own only). */
  stop(): Promise<void>;
  /** Starts it again on the same port (a server of the test's own only). */
  restart(): Promise<void>;
}

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
  if (SHARED === undefined) return await ownRedis();
  const port = Number(new URL(SHARED).port || 6379);
  const unsupported = () => Promise.reject(new Error("the shared Redis is not the test's own"));
  return { url: SHARED, port, stop: () => Promise.resolve(), restart: unsupported };
}

/** A server no other process uses (one of the test's own where redis-server is installed), for
 * tests that watch which worker takes which item. */
export function isolatedRedis(): Promise<TestRedis> {
  return HAS_REDIS_SERVER ? ownRedis() : anyRedis();
}

/** A redis-server of the test's own on a free loopback port, without persistence. */
export async function ownRedis(options: { password?: string } = {}): Promise<TestRedis> {
  let child: Deno.ChildProcess | undefined;
  const port = freePort();
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
        const connection = await Deno.connect({ hostname: "127.0.0.1", port });
        connection.close();
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
    async restart() {
      await start();
    },
  };
}

function freePort(): number {
  const listener = Deno.listen({ hostname: "127.0.0.1", port: 0 });
  const { port } = listener.addr as Deno.NetAddr;
  listener.close();
  return port;
}
