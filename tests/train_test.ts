/**
 * Meta-training end to end on a tiny family: a config error names its field, training is
 * deterministic, and stopping and resuming from a checkpoint continues bit for bit.
 */
import assert from "node:assert/strict";
import { testGpu } from "./gpu.ts";
import { TINY_TRAIN_CONFIG } from "./helpers.ts";
import { loadCheckpoint, saveCheckpoint, UserError } from "../mod.ts";
import { MetaTrainer } from "../src/learned/meta_train.ts";
import {
  LocalTrainingWork,
  type StepLosses,
  type StepPopulation,
  type TrainingWork,
} from "../src/learned/training_work.ts";
import { esNoise, populationThetas } from "../src/learned/es.ts";
import { Rng } from "../src/core/rng.ts";
import type { TrainConfig } from "../src/learned/train_config.ts";
import { checkDeviceLimits, MAX_PAIRS, parseTrainConfig } from "../src/learned/train_config.ts";

const gpu = await testGpu();

const TINY = TINY_TRAIN_CONFIG;

Deno.test("train config: mistakes name the field", () => {
  const cases: [object, RegExp][] = [
    [{ ...TINY, pairs: 0 }, /pairs must be an integer from 1 to 877239/],
    [{ ...TINY, pairs: 1e300 }, /pairs must be an integer from 1 to 877239/],
    [{ ...TINY, pairs: 1e6 }, /pairs must be an integer from 1 to 877239/],
    [{ ...TINY, pairs: 2.5 }, /pairs must be an integer/],
    [{ ...TINY, pairs: 1e5, tasksPerStep: 1e3 }, /\(2 pairs \+ 1\) x tasksPerStep = .* exceeds/],
    [{ ...TINY, unroll: 2 ** 32 }, /unroll must be an integer from 2 to 4294967295/],
    [{ ...TINY, seed: -1 }, /seed must be an integer from 0 to 4294967295/],
    [{ ...TINY, steps: 1e300 }, /steps must be an integer from 1 to/],
    [{ ...TINY, initScale: 1e-50 }, /initScale must be a number from 1e-12 to 1000000$/],
    [{ ...TINY, maxStep: 1e20 }, /maxStep must be a number from 1e-12 to 1000000$/],
    [{ ...TINY, name: "../../elsewhere" }, /name must be 1 to 64 characters without \//],
    [{ ...TINY, clipNorm: Infinity }, /clipNorm must be a positive number/],
    [{ ...TINY, systems: ["Xx13"] }, /unknown element 'Xx'/],
    [{ ...TINY, outer: "lbfgs" }, /outer must be/],
    [{ ...TINY, sigma: { kind: "linear" } }, /sigma: kind must be one of/],
    [{ ...TINY, colour: "blue" }, /unknown field 'colour'/],
    [{ ...TINY, architecture: "lstm" }, /architecture must be one of per-atom-mlp, hop-residual/],
    [{ ...TINY, loss: "speed" }, /loss must be one of gap, success/],
    [
      { ...TINY, systems: ["LJ7", "Au55"], loss: "success" },
      /Au55 has neither \(make one: deno task reference Au55\)/,
    ],
    [{ ...TINY, systemsPerStep: 3 }, /systemsPerStep must be an integer from 1 to 2/],
    [{ ...TINY, draw: "random" }, /draw must be one of uniform, family/],
    [
      { ...TINY, systems: ["LJ7", "LJ8", "Cu13"], draw: "family", systemsPerStep: 2 },
      /systemsPerStep must be an integer from 1 to 1$/,
    ],
    [{ ...TINY, normalise: "yes" }, /normalise must be true or false/],
    [{ ...TINY, gapWeight: -1 }, /gapWeight must be 0 or a number from 1e-12 to 1000000/],
  ];
  for (const [json, message] of cases) {
    assert.throws(
      () => parseTrainConfig(json),
      (e) => e instanceof UserError && message.test(e.message),
      `${JSON.stringify(json)}`,
    );
  }
  // The bounds themselves are accepted.
  const widest = parseTrainConfig({
    ...TINY,
    pairs: MAX_PAIRS,
    tasksPerStep: 1,
    seed: 2 ** 32 - 1,
  });
  assert.equal(widest.pairs, 877239);
  // A pooled reference (data/pooled_minima.json) serves the success loss like a known minimum.
  assert.equal(
    parseTrainConfig({ ...TINY, systems: ["LJ7", "Cu13"], loss: "success" }).loss,
    "success",
  );
});

/**
 * A TrainingWork without a GPU: member m's loss on system s is scale(s) x theta_m[index(s)], so
 * the ES gradient of a step is (up to its noise) scale(s) along parameter index(s) per system.
 */
class LinearWork implements TrainingWork {
  readonly adapter = "none";
  readonly layout = "none";
  readonly steps: string[][] = [];
  constructor(
    readonly config: TrainConfig,
    readonly weights: Record<string, { index: number; scale: number }>,
  ) {}
  population(step: StepPopulation): Promise<StepLosses> {
    this.steps.push(step.systems.map((s) => s.name));
    const noise = esNoise(Rng.fromState(step.noiseState), this.config.pairs, step.theta.length);
    const thetas = populationThetas(step.theta, noise, step.sigma);
    return Promise.resolve({
      systems: step.systems.map(({ name }) => {
        const { index, scale } = this.weights[name];
        return {
          losses: Float64Array.from(thetas, (theta) => scale * theta[index]),
          centreBestEnergy: 0,
          evaluations: 1,
        };
      }),
    });
  }
  validation(): Promise<number[]> {
    return Promise.resolve([]);
  }
  baseline(): Promise<number[]> {
    return Promise.resolve([]);
  }
  destroy(): void {}
}

Deno.test("draw family puts every family in every step; normalise weighs each system alike", async () => {
  const systems = ["LJ7", "LJ8", "LJ9", "Cu13", "Si64"];
  const base = parseTrainConfig({
    ...TINY,
    systems,
    outer: "sgd",
    clipNorm: 1e6,
    pairs: 64,
    learningRate: { kind: "constant", value: 1 },
    clipToCentre: false,
  });
  const weights = {
    LJ7: { index: 0, scale: 1000 },
    LJ8: { index: 0, scale: 1000 },
    LJ9: { index: 0, scale: 1000 },
    Cu13: { index: 1, scale: 1 },
    Si64: { index: 2, scale: 0.001 },
  };
  const family = { ...base, draw: "family" as const };
  const drawn = new LinearWork(family, weights);
  const trainer = new MetaTrainer(drawn, family);
  for (let k = 0; k < 6; k++) await trainer.step();
  for (const step of drawn.steps) {
    assert.equal(step.length, 3);
    assert.ok(["LJ7", "LJ8", "LJ9"].includes(step[0]), `${step}`);
    assert.deepEqual(step.slice(1), ["Cu13", "Si64"]);
  }
  assert.ok(new Set(drawn.steps.map((step) => step[0])).size > 1, "the LJ system varies");
  /** One SGD step's move of parameters 0, 1 and 2 (theta - lr g). */
  const moves = async (normalise: boolean) => {
    const config = { ...family, normalise };
    const trainer = new MetaTrainer(new LinearWork(config, weights), config);
    const before = Float32Array.from(trainer.theta);
    await trainer.step();
    return [0, 1, 2].map((i) => before[i] - trainer.theta[i]);
  };
  // Raw losses: the gradient is about (1000, 1, 0.001) / 3, and the other systems' parts are lost
  // in the noise that the LJ system's scale spreads over every parameter (about 333 / 8).
  const raw = await moves(false);
  assert.ok(raw[0] > 200, `${raw}`);
  assert.ok(Math.abs(raw[2]) > 100 * 0.001 / 3, `${raw}`);
  // Normalised: every system's loss has spread 1, so each moves its parameter alike.
  const even = await moves(true);
  for (const move of even) assert.ok(move > 0, `${even}`);
  assert.ok(Math.max(...even) / Math.min(...even) < 3, `${even}`);
});

Deno.test("train config: the population's buffers are checked against the adapter's limits", () => {
  // llvmpipe's limits.
  const limits = {
    maxStorageBufferBindingSize: 2 ** 27,
    maxBufferSize: 2 ** 31 - 1,
    maxComputeWorkgroupsPerDimension: 65535,
  };
  const fits = (json: object, given = limits) =>
    checkDeviceLimits(parseTrainConfig(json), given, "test adapter");
  fits({ ...TINY, systems: ["LJ38"], pairs: 16, tasksPerStep: 8 });
  checkDeviceLimits(parseTrainConfig(TINY), gpu.device.limits, gpu.adapterName);
  const cases: [object, RegExp, typeof limits][] = [
    [
      { ...TINY, systems: ["LJ10"], pairs: 1e5, tasksPerStep: 8 },
      /^config: 100000 pairs x 8 tasks: 1600008 replicas of LJ10 need a 183 MiB positions buffer, over test adapter's maxStorageBufferBindingSize of 128 MiB \(at most 223696 replicas of LJ10 fit\); lower pairs or tasksPerStep$/,
      limits,
    ],
    [
      { ...TINY, systems: ["LJ7", "LJ38"], pairs: 4000, tasksPerStep: 8 },
      /replicas of LJ38 need a 139 MiB vectors buffer, over .* maxStorageBufferBindingSize/,
      limits,
    ],
  ];
  for (const [json, message, given] of cases) {
    assert.throws(
      () => fits(json, given),
      (e) => e instanceof UserError && message.test(e.message),
    );
  }
  // 528 replicas of LJ7: 221760 bytes of optimizer vectors, the largest buffer, and 323136 read
  // back at once (612 bytes each: the Replica struct's 60 words and the minima log).
  const readback = { ...TINY, systems: ["LJ7"], pairs: 16, tasksPerStep: 16 };
  assert.throws(
    () => fits(readback, { ...limits, maxBufferSize: 230000 }),
    /need a 0.308 MiB readback buffer, over test adapter's maxBufferSize of 0.219 MiB/,
  );
});

Deno.test("training 4 steps equals 2 steps, a checkpoint, and 2 more (bit for bit)", async () => {
  const config = parseTrainConfig(TINY);
  const straight = new MetaTrainer(new LocalTrainingWork(gpu, config), config);
  const losses: number[] = [];
  for (let s = 0; s < 4; s++) losses.push((await straight.step()).centreLoss);
  straight.destroy();

  const first = new MetaTrainer(new LocalTrainingWork(gpu, config), config);
  for (let s = 0; s < 2; s++) await first.step();
  const dir = await Deno.makeTempDir();
  await saveCheckpoint(`${dir}/checkpoint.safetensors`, first.checkpoint());
  first.destroy();
  const checkpoint = await loadCheckpoint(`${dir}/checkpoint.safetensors`);
  const resumed = new MetaTrainer(
    new LocalTrainingWork(gpu, parseTrainConfig(checkpoint.config)),
    parseTrainConfig(checkpoint.config),
    checkpoint,
  );
  assert.equal(resumed.outerStep, 2);
  const resumedLosses: number[] = [];
  for (let s = 0; s < 2; s++) resumedLosses.push((await resumed.step()).centreLoss);
  assert.deepEqual(resumedLosses, losses.slice(2));
  assert.deepEqual(
    new Uint32Array(resumed.theta.buffer),
    new Uint32Array(straight.theta.buffer),
    "theta bit for bit",
  );
  assert.deepEqual(resumed.optimizer.state(), straight.optimizer.state());
  resumed.destroy();
  await Deno.remove(dir, { recursive: true });
});

Deno.test("weights that produce NaN are contained: their pairs are dropped, the run goes on", async () => {
  const config = parseTrainConfig({ ...TINY, steps: 1 });
  const trainer = new MetaTrainer(new LocalTrainingWork(gpu, config), config);
  // The largest sigma a config takes drives the perturbed members' steps to overflow.
  config.sigma = { kind: "constant", value: 1e6 };
  const metrics = await trainer.step();
  assert.ok(Number.isFinite(metrics.centreLoss), "the centre is unharmed");
  assert.ok(metrics.validPairs < config.pairs, `valid pairs ${metrics.validPairs}`);
  assert.ok(trainer.theta.every(Number.isFinite), "theta stays finite");
  trainer.destroy();
});
