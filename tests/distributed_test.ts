/**
 * Distributed training and evaluation through Redis (src/distributed/): the trajectory equals
 * the local one bit for bit, with two workers, with a worker killed (SIGKILL) in the middle of a
 * step, with every result delivered twice, and across a Redis restart; an evaluation's report has
 * the local numbers; the host's and the worker's answers to bad input.
 */
import assert from "node:assert/strict";
import { UserError } from "../src/core/errors.ts";
import {
  resultsKey,
  wantedKey,
  WORK_STREAM,
  WORKER_GROUP,
  WORKER_HEARTBEATS,
} from "../src/distributed/keys.ts";
import { RedisConnection } from "../src/distributed/redis_connection.ts";
import { RedisTrainingWork } from "../src/distributed/redis_training_work.ts";
import { parseRedisUrl, type RedisTarget } from "../src/distributed/redis_url.ts";
import { guidedSlices } from "../src/distributed/slicing.ts";
import { decodeWire, encodeWire } from "../src/distributed/wire.ts";
import { WorkHost } from "../src/distributed/work_host.ts";
import {
  parseWorkItem,
  type TrainSliceItem,
  WORK_FORMAT,
  WorkItemError,
} from "../src/distributed/work_items.ts";
import { Worker } from "../src/distributed/worker.ts";
import { ARCHITECTURES } from "../src/learned/architectures.ts";
import { loadCheckpoint } from "../src/learned/checkpoint.ts";
import { MetaTrainer } from "../src/learned/meta_train.ts";
import { parseTrainConfig, type TrainConfig } from "../src/learned/train_config.ts";
import { LocalTrainingWork, type TrainingWork } from "../src/learned/training_work.ts";
import { type EvalOptions, loadEvalCheckpoint, runEvaluation } from "../src/eval/run_eval.ts";
import { localSearches } from "../src/eval/search_runner.ts";
import { RedisSearchRunner } from "../src/distributed/redis_searches.ts";
import { testGpu } from "./gpu.ts";
import { runTaskFile, TINY_TRAIN_CONFIG, TINY_TUNING } from "./helpers.ts";
import { startRedisServer, startWorkerProcess } from "../src/bench/local_cluster.ts";
import { anyRedis, HAS_REDIS_SERVER, isolatedRedis, REDIS_AVAILABLE } from "./redis.ts";

const gpu = await testGpu();
const CONFIG = parseTrainConfig({ ...TINY_TRAIN_CONFIG, pairs: 3 });
const STEPS = 4;
/** Short, so that an item left by a killed worker is taken over within the test. */
const VISIBILITY_MS = 2000;

interface Trajectory {
  theta: Uint32Array;
  losses: number[];
  adam: unknown;
}

async function train(work: TrainingWork, config: TrainConfig): Promise<Trajectory> {
  const trainer = new MetaTrainer(work, config);
  const losses: number[] = [];
  for (let s = 0; s < STEPS; s++) {
    const step = await trainer.step();
    losses.push(step.centreLoss, step.populationLoss);
  }
  const validation = await trainer.validate(11);
  losses.push(validation.loss);
  const trajectory = {
    theta: new Uint32Array(Float32Array.from(trainer.theta).buffer),
    losses,
    adam: trainer.optimizer.state(),
  };
  trainer.destroy();
  return trajectory;
}

const LOCAL = await train(new LocalTrainingWork(gpu, CONFIG), CONFIG);

function newRun(): string {
  return crypto.randomUUID().replaceAll("-", "").slice(0, 16);
}

/** Polls `condition` every `ms` until it holds, at most `tries` times; whether it held. */
async function until(condition: () => Promise<boolean>, ms = 100, tries = 600): Promise<boolean> {
  for (let k = 0; k < tries; k++) {
    if (await condition()) return true;
    await new Promise((resolve) => setTimeout(resolve, ms));
  }
  return false;
}

/** Whether worker `name` holds an item (pending in the group). */
async function holdsItem(watch: RedisConnection, name: string): Promise<boolean> {
  const pending = await watch.call("XPENDING", WORK_STREAM, WORKER_GROUP, "-", "+", 10, name)
    .catch(() => []) as unknown[];
  return pending.length > 0;
}

/** In-process workers on this test's device. */
async function startWorkers(target: RedisTarget, names: string[], log: string[] = []) {
  const workers = await Promise.all(names.map((name) =>
    Worker.start({
      target,
      name: `${name}-${newRun()}`,
      visibilityMs: VISIBILITY_MS,
      log: (line) => log.push(line),
    }, gpu)
  ));
  const running = workers.map((worker) => worker.run());
  return {
    workers,
    async stop() {
      await Promise.all(workers.map((worker) => worker.stop()));
      await Promise.all(running);
    },
  };
}

/** Training through Redis: a host for a new run, `minSliceReplicas` 1 so that the population is
 * cut into several slices. */
async function trainThroughRedis(target: RedisTarget, log: string[] = []) {
  const host = await WorkHost.open(target, newRun(), (line) => log.push(line));
  const trajectory = await train(new RedisTrainingWork(host, CONFIG, null, 1), CONFIG);
  return { trajectory, host };
}

Deno.test("wire: typed arrays, NaN and the infinities come back with the same bits", () => {
  const value = {
    theta: Float32Array.from([0.1, -3e-39, 7]),
    losses: Float64Array.from([NaN, Infinity, -Infinity, 1 / 3]),
    state: Uint32Array.from([1, 2 ** 32 - 1]),
    nested: [{ x: -Infinity, y: null, z: "text" }],
  };
  const back = decodeWire(encodeWire(value)) as typeof value;
  assert.deepEqual(new Uint32Array(back.theta.buffer), new Uint32Array(value.theta.buffer));
  assert.ok(back.losses instanceof Float64Array);
  assert.deepEqual(Array.from(back.losses), Array.from(value.losses));
  assert.deepEqual(Array.from(back.state), [1, 2 ** 32 - 1]);
  assert.deepEqual(back.nested, [{ x: -Infinity, y: null, z: "text" }]);
});

Deno.test("guided slices: one worker gets everything; otherwise 1/W of what is left, each member once", () => {
  assert.deepEqual(guidedSlices(33, 1, 8), [{ first: 0, count: 33 }]);
  assert.deepEqual(guidedSlices(33, 2, 8).map((s) => s.count), [17, 8, 8]);
  assert.deepEqual(guidedSlices(33, 3, 1).map((s) => s.count), [11, 8, 5, 3, 2, 2, 1, 1]);
  for (const [members, workers, minimum] of [[5, 2, 1], [65, 3, 8], [7, 10, 2]]) {
    const slices = guidedSlices(members, workers, minimum);
    let next = 0;
    for (const { first, count } of slices) {
      assert.equal(first, next);
      next += count;
    }
    assert.equal(next, members);
  }
});

Deno.test("redis URLs: password hidden in what is shown; mistakes are one line", () => {
  const target = parseRedisUrl("redis://:s3cret@example.org:6380/2");
  assert.equal(target.password, "s3cret");
  assert.equal(target.port, 6380);
  assert.equal(target.db, 2);
  assert.equal(target.shown, "redis://:***@example.org:6380/2");
  assert.equal(parseRedisUrl("redis://localhost").port, 6379);
  assert.equal(parseRedisUrl("rediss://h:1").tls, true);
  assert.throws(() => parseRedisUrl("localhost:6379"), /must be a redis:\/\/ or rediss:\/\/ URL/);
  assert.throws(() => parseRedisUrl("redis://h/x"), /the path must be a database number/);
  assert.throws(() => parseRedisUrl("not a url"), UserError);
});

function sliceItem(): TrainSliceItem {
  return {
    format: WORK_FORMAT,
    run: "run1",
    layout: null,
    kind: "train-slice",
    config: CONFIG,
    step: 0,
    theta: new Float32Array(ARCHITECTURES[CONFIG.architecture].description.parameterCount),
    noiseState: Uint32Array.from([1, 2, 3, 4]),
    sigma: 0.05,
    system: "LJ7",
    taskSeed: 5,
    first: 2,
    count: 3,
  };
}

Deno.test("work items: a valid item parses; each malformed one is a WorkItemError saying why", () => {
  const item = sliceItem();
  const parameters = parseWorkItem(encodeWire(item)) as TrainSliceItem;
  assert.equal(parameters.theta.length, item.theta.length);
  const cases: [unknown, RegExp][] = [
    [{ ...item, format: "other/9" }, /format "other\/9"/],
    [{ ...item, kind: "shell" }, /unknown kind "shell"/],
    [{ ...item, theta: new Float32Array(3) }, /theta is not \d+ values of Float32Array/],
    [{ ...item, theta: item.theta.map(() => NaN) }, /theta has non-finite weights/],
    [{ ...item, count: 6 }, /count 6 is not an integer in \[1, 5\]/],
    [{ ...item, noiseState: new Uint32Array(4) }, /noiseState is all zero/],
    [{ ...item, system: "LJ99" }, /system LJ99 is not in the config's family/],
    [{ ...item, config: { ...CONFIG, pairs: -1 } }, /pairs must be an integer/],
    [{ ...item, run: "../../etc" }, /run "..\/..\/etc"/],
    [{ ...item, layout: "diagonal" }, /layout "diagonal"/],
  ];
  for (const [bad, message] of cases) {
    assert.throws(() => parseWorkItem(encodeWire(bad)), (e) => {
      assert.ok(e instanceof WorkItemError, String(e));
      assert.match(e.message, message);
      return true;
    });
  }
  assert.throws(() => parseWorkItem("{not json"), /not JSON/);
  assert.throws(() => parseWorkItem('{"$f32": "%%%"}'), WorkItemError);
});

Deno.test({
  name: "training 4 steps through Redis with 2 workers equals 4 local steps bit for bit",
  ignore: !REDIS_AVAILABLE,
  async fn() {
    const redis = await isolatedRedis();
    const target = parseRedisUrl(redis.url);
    const pool = await startWorkers(target, ["a", "b"]);
    const { trajectory, host } = await trainThroughRedis(target);
    await host.close();
    await pool.stop();
    assert.deepEqual(trajectory, LOCAL);
    const done = pool.workers.map((w) => w.summary.items);
    assert.ok(done.every((items) => items > 0), `both workers worked: ${done}`);
    await redis.stop();
  },
});

Deno.test({
  name: "training through Redis with a worker killed (SIGKILL) mid-step equals the local steps",
  ignore: !REDIS_AVAILABLE,
  async fn() {
    const redis = await isolatedRedis();
    const target = parseRedisUrl(redis.url);
    // The victim: a worker process, killed as soon as it holds an item. The survivor joins only
    // once the victim is live, so the victim takes a share of the work.
    const victim = `victim-${newRun()}`;
    const watch = await RedisConnection.open(target, { name: "test-watch", log: () => {} });
    const child = await startWorkerProcess(watch, redis.url, victim, {
      visibilitySeconds: VISIBILITY_MS / 1000,
    });
    const pool = await startWorkers(target, ["survivor"]);
    let killedHolding = false;
    let done = false;
    const killer = until(
      async () => {
        if (done || !await holdsItem(watch, victim)) return done;
        child.kill("SIGKILL");
        return killedHolding = true;
      },
      20,
      Infinity,
    );
    const log: string[] = [];
    const { trajectory, host } = await trainThroughRedis(target, log);
    done = true;
    await killer;
    if (!killedHolding) child.kill("SIGKILL");
    await child.status;
    assert.ok(killedHolding, "the victim was killed holding an item");
    await host.close();
    await pool.stop();
    watch.close();
    assert.deepEqual(trajectory, LOCAL);
    await redis.stop();
  },
});

Deno.test({
  name: "training through Redis with every result delivered twice equals the local steps",
  ignore: !REDIS_AVAILABLE,
  async fn() {
    const redis = await anyRedis();
    const target = parseRedisUrl(redis.url);
    const echo = await RedisConnection.open(target, { name: "test-echo", log: () => {} });
    // Awaited before the echo connection closes: one still in flight would reject.
    const echoes: Promise<unknown>[] = [];
    const worker = await Worker.start({
      target,
      name: `twice-${newRun()}`,
      visibilityMs: VISIBILITY_MS,
      onItem: (item, result) => {
        echoes.push(
          echo.call(
            "XADD",
            resultsKey(item.run),
            "*",
            "id",
            result.id,
            "result",
            encodeWire(result),
          ),
        );
      },
    }, gpu);
    const running = worker.run();
    const { trajectory, host } = await trainThroughRedis(target);
    assert.ok(host.duplicates > 0, "duplicates were seen and ignored");
    await host.close();
    await worker.stop();
    await running;
    await Promise.allSettled(echoes);
    echo.close();
    assert.deepEqual(trajectory, LOCAL);
    await redis.stop();
  },
});

Deno.test({
  name: "Redis going away mid-run pauses the run, which continues (same bits) when it is back",
  ignore: !HAS_REDIS_SERVER,
  async fn() {
    const redis = await startRedisServer();
    const target = parseRedisUrl(redis.url);
    const pool = await startWorkers(target, ["a"]);
    const log: string[] = [];
    const host = await WorkHost.open(target, newRun(), (line) => log.push(line));
    const trainer = new MetaTrainer(new RedisTrainingWork(host, CONFIG, null, 1), CONFIG);
    const losses: number[] = [];
    for (let s = 0; s < STEPS; s++) {
      if (s === 1) await redis.stop();
      const step = trainer.step();
      if (s === 1) {
        await new Promise((resolve) => setTimeout(resolve, 1500));
        await redis.restart();
      }
      const { centreLoss, populationLoss } = await step;
      losses.push(centreLoss, populationLoss);
    }
    losses.push((await trainer.validate(11)).loss);
    const trajectory = {
      theta: new Uint32Array(Float32Array.from(trainer.theta).buffer),
      losses,
      adam: trainer.optimizer.state(),
    };
    trainer.destroy();
    await pool.stop();
    assert.deepEqual(trajectory, LOCAL);
    assert.ok(
      log.some((line) => /lost the connection to redis:\/\/127\.0\.0\.1:\d+.*paused/.test(line)),
      log.join("\n"),
    );
    assert.ok(log.some((line) => /is back; continuing/.test(line)), log.join("\n"));
    await redis.stop();
  },
});

Deno.test({
  name: "a malformed work item is logged and dropped; the worker goes on",
  ignore: !REDIS_AVAILABLE,
  async fn() {
    const redis = await isolatedRedis();
    const target = parseRedisUrl(redis.url);
    const log: string[] = [];
    const pool = await startWorkers(target, ["picky"], log);
    const feed = await RedisConnection.open(target, { name: "test-feed", log: () => {} });
    const bad = encodeWire({ ...sliceItem(), kind: "shell", command: "rm -rf /" });
    await feed.call("XADD", WORK_STREAM, "*", "id", "0123456789abcdef01234567", "item", bad);
    await feed.call("XADD", WORK_STREAM, "*", "id", "x", "item", "{not json");
    assert.ok(await until(() => Promise.resolve(pool.workers[0].summary.dropped >= 2), 100, 100));
    // Then real work still runs.
    const host = await WorkHost.open(target, newRun(), () => {});
    const trainer = new MetaTrainer(new RedisTrainingWork(host, CONFIG, null), CONFIG);
    await trainer.step();
    trainer.destroy();
    await pool.stop();
    feed.close();
    assert.equal(pool.workers[0].summary.dropped, 2);
    assert.ok(
      log.some((line) => /dropped malformed work item 0123.*unknown kind "shell"/.test(line)),
      log.join("\n"),
    );
    assert.ok(
      log.some((line) => /dropped malformed work item x: .*not JSON/.test(line)),
      log.join("\n"),
    );
    await redis.stop();
  },
});

Deno.test({
  name: "redis: an unreachable URL, a wrong or a missing password are one-line UserErrors",
  ignore: !HAS_REDIS_SERVER,
  async fn() {
    const redis = await startRedisServer({ password: "right" });
    const open = (url: string) => WorkHost.open(parseRedisUrl(url), newRun(), () => {});
    await assert.rejects(
      open(`redis://:wrong@127.0.0.1:${redis.port}`),
      /^UserError: Redis at redis:\/\/:\*\*\*@127\.0\.0\.1:\d+ refused the password \(WRONGPASS/,
    );
    await assert.rejects(
      open(`redis://127.0.0.1:${redis.port}`),
      /needs a password: --redis redis:\/\/:PASSWORD@127\.0\.0\.1:\d+$/,
    );
    const host = await open(redis.url);
    await host.close();
    await redis.stop();
    await assert.rejects(
      open(`redis://127.0.0.1:${redis.port}`),
      /^UserError: cannot reach Redis at redis:\/\/127\.0\.0\.1:\d+: connect ECONNREFUSED/,
    );
  },
});

/** `value` without its timings, which differ from run to run. */
function timeless(value: unknown): unknown {
  if (Array.isArray(value)) return value.map(timeless);
  if (ArrayBuffer.isView(value) || typeof value !== "object" || value === null) return value;
  return Object.fromEntries(
    Object.entries(value).filter(([key]) => !/seconds|Seconds|^rate$|^etaSeconds$/.test(key))
      .map(([key, inner]) => [key, timeless(inner)]),
  );
}

Deno.test({
  name: "an evaluation's shards through Redis give the local report's numbers",
  ignore: !REDIS_AVAILABLE,
  async fn() {
    const options: EvalOptions = {
      suite: "tiny",
      systems: ["LJ7", "LJ8"],
      methods: ["learned", "random", "bh"],
      replicas: 8,
      maxEvaluations: 150,
      seed: 5,
      learned: await loadEvalCheckpoint(
        new URL("../checkpoints/lj-hopper.safetensors", import.meta.url).pathname,
      ),
      tuning: TINY_TUNING,
      resamples: 100,
    };
    const local = await runEvaluation(options, { searches: localSearches(gpu) });
    const redis = await anyRedis();
    const target = parseRedisUrl(redis.url);
    const pool = await startWorkers(target, ["a", "b"]);
    const host = await WorkHost.open(target, newRun(), () => {});
    const searches = new RedisSearchRunner(host, null);
    const remote = await runEvaluation(options, { searches });
    searches.close();
    await pool.stop();
    assert.deepEqual(timeless(remote.report), timeless(local.report));
    assert.deepEqual(
      timeless(remote.searches.map((runs) => runs.map((r) => r.minima))),
      timeless(local.searches.map((runs) => runs.map((r) => r.minima))),
    );
    assert.equal(remote.report.adapter, gpu.adapterName);
    await redis.stop();
  },
});

/** The permissions train and worker get from deno.json, with reading and writing anywhere for
 * the temporary folders. */
const TASK_PERMISSIONS = ["--allow-read", "--allow-write", "--allow-net", "--allow-sys=hostname"];

/** Runs a task (tasks/NAME.ts) as the CLI does; its status and output. */
function task(name: string, args: string[]) {
  return runTaskFile(name, TASK_PERMISSIONS, args);
}

Deno.test({
  name: "train --redis: 2 steps, --resume to 4, equal the local 4 steps; the steps log the work",
  ignore: !REDIS_AVAILABLE,
  async fn() {
    const redis = await anyRedis();
    const target = parseRedisUrl(redis.url);
    const pool = await startWorkers(target, ["a", "b"]);
    const dir = await Deno.makeTempDir();
    await Deno.writeTextFile(`${dir}/config.json`, JSON.stringify({ ...CONFIG, steps: 2 }));
    const run = `${dir}/run`;
    const first = await task("train", [
      "--config",
      `${dir}/config.json`,
      "--out",
      run,
      "--redis",
      redis.url,
    ]);
    assert.equal(first.code, 0, first.stderr);
    assert.match(first.stderr, /step 2\/2 .* workers [12] \(\d+ items, overhead \d+\.\d%\)/);
    const resumed = await task("train", ["--resume", run, "--steps", "4", "--redis", redis.url]);
    assert.equal(resumed.code, 0, resumed.stderr);
    await pool.stop();
    const checkpoint = await loadCheckpoint(`${run}/checkpoint.safetensors`);
    assert.deepEqual(new Uint32Array(checkpoint.theta.buffer), LOCAL.theta);
    const steps = (await Deno.readTextFile(`${run}/metrics.jsonl`)).trim().split("\n")
      .map((line) => JSON.parse(line)).filter((record) => record.type === "step");
    assert.deepEqual(steps.map((s) => s.step), [1, 2, 3, 4]);
    for (const step of steps) {
      assert.ok(step.work.items >= 1 && step.work.busiestWorkerSeconds > 0, JSON.stringify(step));
    }
    await Deno.remove(dir, { recursive: true });
    await redis.stop();
  },
});

Deno.test({
  name: "train and worker: an unreachable Redis, a wrong password: one line, exit 2",
  ignore: !HAS_REDIS_SERVER,
  async fn() {
    const redis = await startRedisServer({ password: "right" });
    const dir = await Deno.makeTempDir();
    const config = `${dir}/config.json`;
    await Deno.writeTextFile(config, JSON.stringify(CONFIG));
    const wrong = `redis://:wrong@127.0.0.1:${redis.port}`;
    await redis.stop();
    const cases: [string, string[], RegExp][] = [
      [
        "train",
        ["--config", config, "--out", `${dir}/a`, "--redis", `redis://127.0.0.1:${redis.port}`],
        /^error: cannot reach Redis at redis:\/\/127\.0\.0\.1:\d+: connect ECONNREFUSED [\d.:]+\n$/,
      ],
      [
        "worker",
        ["--redis", "http://127.0.0.1"],
        /^error: --redis must be a redis:\/\/ or rediss:\/\/ URL/,
      ],
      ["worker", [], /^error: --redis URL is required/],
    ];
    for (const [name, args, message] of cases) {
      const { code, stderr } = await task(name, args);
      assert.equal(code, 2, stderr);
      assert.match(stderr, message);
    }
    // A URL that is not one is refused before the output folder is made.
    const bad = await task("train", ["--config", config, "--out", `${dir}/c`, "--redis", "x:1"]);
    assert.equal(bad.code, 2, bad.stderr);
    assert.match(bad.stderr, /^error: --redis must be a redis:\/\/ or rediss:\/\/ URL/);
    assert.equal(await Deno.stat(`${dir}/c`).then(() => true, () => false), false);
    await redis.restart();
    for (const name of ["train", "worker"]) {
      const args = name === "train" ? ["--config", config, "--out", `${dir}/b`] : [];
      const { code, stderr } = await task(name, [...args, "--redis", wrong]);
      assert.equal(code, 2, stderr);
      assert.match(
        stderr,
        /^error: Redis at redis:\/\/:\*\*\*@127\.0\.0\.1:\d+ refused the password \(WRONGPASS[^\n]*\)\n$/,
      );
    }
    await Deno.remove(dir, { recursive: true });
    await redis.stop();
  },
});

Deno.test({
  name:
    "a host killed while its items are out, restarted on the same run, takes the results sent meanwhile",
  ignore: !REDIS_AVAILABLE,
  async fn() {
    const redis = await anyRedis();
    const target = parseRedisUrl(redis.url);
    const dir = await Deno.makeTempDir();
    await Deno.writeTextFile(`${dir}/config.json`, JSON.stringify(CONFIG));
    // The first host publishes its first validation's items; no worker is there to take them.
    const child = new Deno.Command(Deno.execPath(), {
      args: [
        "run",
        "--allow-read",
        "--allow-write",
        "--allow-net",
        new URL("../tasks/train.ts", import.meta.url).pathname,
        "--config",
        `${dir}/config.json`,
        "--out",
        `${dir}/run`,
        "--redis",
        redis.url,
      ],
      stdin: "null",
      stdout: "null",
      stderr: "piped",
    }).spawn();
    const watch = await RedisConnection.open(target, { name: "test-watch", log: () => {} });
    let run = "";
    const published = await until(async () => {
      const saved = await Deno.readTextFile(`${dir}/run/distributed.json`).catch(() => "");
      if (saved === "") return false;
      run = JSON.parse(saved).run;
      return await watch.call("SCARD", wantedKey(run)) === CONFIG.systems.length;
    });
    child.kill("SIGKILL");
    await child.status;
    const hostLog = new TextDecoder().decode(await new Response(child.stderr).arrayBuffer());
    assert.ok(published, `the first host published its items:\n${hostLog}`);
    // A worker does them while no host is there.
    const workerLog: string[] = [];
    const pool = await startWorkers(target, ["meanwhile"], workerLog);
    const sent = await until(async () =>
      await watch.call("XLEN", resultsKey(run)) as number >= CONFIG.systems.length
    );
    await pool.stop();
    assert.ok(sent, `the worker sent both results:\n${workerLog.join("\n")}`);
    // The restarted host publishes the same items and takes their results, with no worker left.
    const host = await WorkHost.open(target, run, () => {});
    const work = new RedisTrainingWork(host, CONFIG, null);
    const theta = ARCHITECTURES[CONFIG.architecture].initialTheta(CONFIG.seed, CONFIG.initScale);
    const losses = await work.validation(theta, 20211, CONFIG.systems);
    work.destroy();
    watch.close();
    const local = new LocalTrainingWork(gpu, CONFIG);
    assert.deepEqual(losses, await local.validation(theta, 20211, CONFIG.systems));
    local.destroy();
    await Deno.remove(dir, { recursive: true });
    await redis.stop();
  },
});

Deno.test({
  name: "worker: SIGTERM hands the item in flight back at once and exits 143",
  ignore: !REDIS_AVAILABLE,
  async fn() {
    const redis = await isolatedRedis();
    const target = parseRedisUrl(redis.url);
    const name = `leaver-${newRun()}`;
    const watch = await RedisConnection.open(target, { name: "test-watch", log: () => {} });
    const child = await startWorkerProcess(watch, redis.url, name, { stderr: "piped" });
    const host = await WorkHost.open(target, newRun(), () => {});
    const work = new RedisTrainingWork(host, CONFIG, null);
    const theta = ARCHITECTURES[CONFIG.architecture].initialTheta(CONFIG.seed, CONFIG.initScale);
    const losses = work.validation(theta, 20211, ["LJ7"]);
    assert.ok(await until(() => holdsItem(watch, name), 10), "the worker took the item");
    child.kill("SIGTERM");
    const status = await child.status;
    const stderr = new TextDecoder().decode(
      await new Response(child.stderr).arrayBuffer().catch(() => new ArrayBuffer(0)),
    );
    assert.equal(status.code, 143, stderr);
    assert.match(stderr, /SIGTERM: handing the item in flight back and stopping/);
    assert.match(stderr, /released item [0-9a-f]{24} to the other workers/);
    assert.equal(await watch.call("ZSCORE", WORKER_HEARTBEATS, name), null, "it left");
    // Another worker takes it at once: the default visibility timeout (60 s) is not waited for.
    const started = performance.now();
    const pool = await startWorkers(target, ["next"]);
    const [loss] = await losses;
    assert.ok(performance.now() - started < 30_000);
    await pool.stop();
    work.destroy();
    watch.close();
    const local = new LocalTrainingWork(gpu, CONFIG);
    assert.deepEqual([loss], await local.validation(theta, 20211, ["LJ7"]));
    local.destroy();
    await redis.stop();
  },
});

Deno.test({
  name: "an item that every worker loses is given up after 5 takeovers, and the host says why",
  ignore: !REDIS_AVAILABLE,
  async fn() {
    const redis = await isolatedRedis();
    const target = parseRedisUrl(redis.url);
    const ghost = await RedisConnection.open(target, { name: "test-ghost", log: () => {} });
    await ghost.call("XGROUP", "CREATE", WORK_STREAM, WORKER_GROUP, "0", "MKSTREAM")
      .catch(() => {});
    const host = await WorkHost.open(target, newRun(), () => {});
    const work = new RedisTrainingWork(host, CONFIG, null);
    const theta = ARCHITECTURES[CONFIG.architecture].initialTheta(CONFIG.seed, CONFIG.initScale);
    const losses = work.validation(theta, 20211, ["LJ7"]);
    losses.catch(() => {});
    // A consumer that takes the item and is lost, five times over.
    let entry: string | undefined;
    for (let k = 0; k < 100 && entry === undefined; k++) {
      const reply = await ghost.call(
        "XREADGROUP",
        "GROUP",
        WORKER_GROUP,
        "ghost",
        "COUNT",
        1,
        "STREAMS",
        WORK_STREAM,
        ">",
      ) as [string, [string, string[]][]][] | null;
      entry = reply?.[0]?.[1]?.[0]?.[0];
      if (entry === undefined) await new Promise((resolve) => setTimeout(resolve, 20));
    }
    assert.ok(entry !== undefined);
    for (let k = 0; k < 5; k++) {
      await ghost.call("XCLAIM", WORK_STREAM, WORKER_GROUP, `ghost${k}`, 0, entry);
    }
    await new Promise((resolve) => setTimeout(resolve, 300));
    const log: string[] = [];
    const worker = await Worker.start({
      target,
      name: `last-${newRun()}`,
      visibilityMs: 200,
      log: (line) => log.push(line),
    }, gpu);
    const running = worker.run();
    await assert.rejects(losses, /worker last-\w+: item [0-9a-f]{24} was taken over 5 times/);
    await worker.stop();
    await running;
    work.destroy();
    ghost.close();
    assert.equal(worker.summary.items, 0, "it did not run it");
    assert.ok(log.some((line) => /was taken over 5 times/.test(line)), log.join("\n"));
    await redis.stop();
  },
});
