/**
 * deno task bench --distributed: what distributed training costs and whether it loses anything,
 * on this machine, with a Redis of its own (redis-server on a free loopback port, no
 * persistence) and worker processes (deno task worker) started and stopped here.
 *
 * 1. Overhead: the per-atom MLP's training config (configs/lj-small.json) for `steps` steps on this machine alone, then through
 *    Redis with 1, 2 and 3 worker processes. Per step: wall time, the busiest worker's
 *    computing time, and the coordination overhead 1 - busiest / wall (what the step spent
 *    beyond the critical path of GPU work: publishing, waiting for a reader, readback of
 *    results). On one machine the workers share the same cores (llvmpipe), so wall times do not
 *    show speed-up; the overhead is what carries over to machines with a GPU each. Each run
 *    starts with one untimed step (kernel compiles) and checks theta against the local run.
 * 2. Faults: `faultSteps` steps of configs/tiny.json with 3 workers, one of them SIGKILLed every
 *    `killEvery` steps (while it holds an item when it can be caught so) and replaced; theta at
 *    the end must equal the local run's bit for bit: no member lost or counted twice.
 */
import type { Gpu } from "../gpu/device.ts";
import { MetaTrainer } from "../learned/meta_train.ts";
import type { TrainConfig } from "../learned/train_config.ts";
import { LocalTrainingWork, type TrainingWork } from "../learned/training_work.ts";
import { WORK_STREAM, WORKER_GROUP, WORKER_HEARTBEATS } from "../distributed/keys.ts";
import { startRedisServer, startWorkerProcess } from "./local_cluster.ts";
import { RedisConnection } from "../distributed/redis_connection.ts";
import { RedisTrainingWork } from "../distributed/redis_training_work.ts";
import { parseRedisUrl } from "../distributed/redis_url.ts";
import { WorkHost } from "../distributed/work_host.ts";

export interface OverheadRow {
  /** 0: this machine alone (no Redis). */
  workers: number;
  steps: number;
  meanStepSeconds: number;
  meanBusiestWorkerSeconds: number | null;
  /** Mean over steps of 1 - busiest / wall; null for the local run. */
  meanOverhead: number | null;
  itemsPerStep: number | null;
  /** theta after the steps equals the local run's, bit for bit. */
  sameTheta: boolean;
}

export interface FaultRun {
  steps: number;
  killEvery: number;
  workers: number;
  kills: number;
  /** Kills that caught the worker holding an item. */
  killsHoldingItem: number;
  duplicatesIgnored: number;
  seconds: number;
  sameTheta: boolean;
}

export interface DistributedReport {
  config: string;
  overhead: OverheadRow[];
  faults: FaultRun | null;
}

export interface DistributedBenchOptions {
  gpu: Gpu;
  config: TrainConfig;
  steps: number;
  faultConfig: TrainConfig;
  faultSteps: number;
  killEvery: number;
  log: (line: string) => void;
}

/** Item takeover after a kill: short, so that the fault run is not mostly waiting. */
const VISIBILITY_SECONDS = 3;

export async function distributedBench(
  options: DistributedBenchOptions,
): Promise<DistributedReport> {
  const { gpu, config, steps, log } = options;
  const redis = await startRedisServer();
  try {
    const overhead: OverheadRow[] = [];
    log(`local: ${config.name}, 1 + ${steps} steps`);
    const local = await timedSteps(new LocalTrainingWork(gpu, config), config, steps);
    overhead.push({ ...local.row, workers: 0, sameTheta: true });
    for (const workers of [1, 2, 3]) {
      log(`${workers} worker process${workers > 1 ? "es" : ""}: 1 + ${steps} steps`);
      const pool = await workerPool(redis.url, workers);
      const host = await WorkHost.open(parseRedisUrl(redis.url), runId(), log);
      const run = await timedSteps(new RedisTrainingWork(host, config, null), config, steps);
      await pool.stop();
      overhead.push({ ...run.row, workers, sameTheta: equalBits(run.theta, local.theta) });
    }
    const faults = options.faultSteps > 0 ? await faultRun(options, redis.url) : null;
    return { config: config.name, overhead, faults };
  } finally {
    await redis.stop();
  }
}

async function timedSteps(work: TrainingWork, config: TrainConfig, steps: number) {
  const trainer = new MetaTrainer(work, config);
  await trainer.step(); // compiles the kernels
  let wall = 0;
  let busiest = 0;
  let overhead = 0;
  let items = 0;
  for (let s = 0; s < steps; s++) {
    const step = await trainer.step();
    wall += step.seconds;
    if (step.work !== undefined) {
      busiest += step.work.busiestWorkerSeconds;
      overhead += Math.max(0, 1 - step.work.busiestWorkerSeconds / step.seconds);
      items += step.work.items;
    }
  }
  const distributed = items > 0;
  const theta = Float32Array.from(trainer.theta);
  trainer.destroy();
  return {
    theta,
    row: {
      steps,
      meanStepSeconds: wall / steps,
      meanBusiestWorkerSeconds: distributed ? busiest / steps : null,
      meanOverhead: distributed ? overhead / steps : null,
      itemsPerStep: distributed ? items / steps : null,
    },
  };
}

async function faultRun(options: DistributedBenchOptions, url: string): Promise<FaultRun> {
  const { gpu, faultConfig: config, faultSteps: steps, killEvery, log } = options;
  log(`faults: ${config.name} for ${steps} steps locally`);
  const local = new MetaTrainer(new LocalTrainingWork(gpu, config), config);
  for (let s = 0; s < steps; s++) await local.step();
  const expected = Float32Array.from(local.theta);
  local.destroy();

  const workers = 3;
  log(`faults: ${steps} steps with ${workers} workers, one killed every ${killEvery} steps`);
  const pool = await workerPool(url, workers);
  const watch = await RedisConnection.open(parseRedisUrl(url), { name: "bench", log });
  const host = await WorkHost.open(parseRedisUrl(url), runId(), log);
  const trainer = new MetaTrainer(new RedisTrainingWork(host, config, null, 1), config);
  const started = performance.now();
  let kills = 0;
  let holding = 0;
  for (let s = 1; s <= steps; s++) {
    const step = trainer.step();
    if (s % killEvery === 0) {
      const victim = kills % workers;
      // Kill it while it holds an item of this step, if it takes one within a second.
      for (let k = 0; k < 100; k++) {
        const pending = await watch.call(
          "XPENDING",
          WORK_STREAM,
          WORKER_GROUP,
          "-",
          "+",
          10,
          pool.names[victim],
        ) as unknown[];
        if (pending.length > 0) {
          holding++;
          break;
        }
        await new Promise((resolve) => setTimeout(resolve, 10));
      }
      await pool.replace(victim);
      kills++;
    }
    await step;
    if (s % 100 === 0) log(`faults: step ${s}/${steps}, ${kills} kills`);
  }
  const seconds = (performance.now() - started) / 1000;
  const duplicatesIgnored = host.duplicates;
  const theta = Float32Array.from(trainer.theta);
  trainer.destroy();
  watch.close();
  await pool.stop();
  return {
    steps,
    killEvery,
    workers,
    kills,
    killsHoldingItem: holding,
    duplicatesIgnored,
    seconds,
    sameTheta: equalBits(theta, expected),
  };
}

/** `count` worker processes; `replace(k)` SIGKILLs worker k and starts a new one in its place. */
async function workerPool(url: string, count: number) {
  const watch = await RedisConnection.open(parseRedisUrl(url), {
    name: "bench-pool",
    log: () => {},
  });
  let serial = 0;
  const spawn = async () => {
    const name = `bench-${Deno.pid}-${serial++}`;
    const child = await startWorkerProcess(watch, url, name, {
      visibilitySeconds: VISIBILITY_SECONDS,
    });
    return { name, child };
  };
  const workers: { name: string; child: Deno.ChildProcess }[] = [];
  for (let k = 0; k < count; k++) workers.push(await spawn());
  return {
    get names() {
      return workers.map((w) => w.name);
    },
    async replace(k: number) {
      workers[k].child.kill("SIGKILL");
      await workers[k].child.status;
      await watch.call("ZREM", WORKER_HEARTBEATS, workers[k].name);
      workers[k] = await spawn();
    },
    async stop() {
      for (const { child } of workers) child.kill("SIGTERM");
      await Promise.all(workers.map(({ child }) => child.status));
      watch.close();
    },
  };
}

function runId(): string {
  return crypto.randomUUID().replaceAll("-", "").slice(0, 16);
}

function equalBits(a: Float32Array, b: Float32Array): boolean {
  const x = new Uint32Array(a.buffer, a.byteOffset, a.length);
  const y = new Uint32Array(b.buffer, b.byteOffset, b.length);
  return x.length === y.length && x.every((word, k) => word === y[k]);
}

/** The report as Markdown tables (docs/DISTRIBUTED.md). */
export function formatDistributed(report: DistributedReport): string {
  const lines = [
    `Training config ${report.config}, per outer step:`,
    "",
    "| workers | steps | wall per step (s) | busiest worker (s) | overhead | items per step | theta = local |",
    "| ---: | ---: | ---: | ---: | ---: | ---: | :---: |",
  ];
  for (const row of report.overhead) {
    lines.push(
      `| ${row.workers === 0 ? "local" : row.workers} | ${row.steps} | ` +
        `${row.meanStepSeconds.toFixed(3)} | ${
          row.meanBusiestWorkerSeconds?.toFixed(3) ?? "-"
        } | ` +
        `${row.meanOverhead === null ? "-" : `${(100 * row.meanOverhead).toFixed(1)}%`} | ` +
        `${row.itemsPerStep?.toFixed(1) ?? "-"} | ${row.sameTheta ? "yes" : "NO"} |`,
    );
  }
  const f = report.faults;
  if (f !== null) {
    lines.push(
      "",
      `Faults: ${f.steps} steps with ${f.workers} workers, one SIGKILLed every ${f.killEvery} ` +
        `steps: ${f.kills} kills (${f.killsHoldingItem} holding an item), ` +
        `${f.duplicatesIgnored} duplicate results ignored, ${f.seconds.toFixed(0)} s; theta ` +
        (f.sameTheta ? "equals the local run's bit for bit" : "DIFFERS from the local run's"),
    );
  }
  return lines.join("\n");
}
