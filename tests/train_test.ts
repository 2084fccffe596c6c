/**
 * Meta-training end to end on a tiny family: a config error names its field, training is
 * deterministic, and stopping and resuming from a checkpoint continues bit for bit.
 */
import assert from "node:assert/strict";
import { testGpu } from "./gpu.ts";
import { TINY_TRAIN_CONFIG } from "./helpers.ts";
import { loadCheckpoint, saveCheckpoint, UserError } from "../mod.ts";
import { MetaTrainer } from "../src/learned/meta_train.ts";
import { parseTrainConfig } from "../src/learned/train_config.ts";

const gpu = await testGpu();

const TINY = TINY_TRAIN_CONFIG;

Deno.test("train config: mistakes name the field", () => {
  const cases: [object, RegExp][] = [
    [{ ...TINY, pairs: 0 }, /pairs must be an integer >= 1/],
    [{ ...TINY, systems: ["Xx13"] }, /unknown element 'Xx'/],
    [{ ...TINY, outer: "lbfgs" }, /outer must be/],
    [{ ...TINY, sigma: { kind: "linear" } }, /sigma: kind must be one of/],
    [{ ...TINY, colour: "blue" }, /unknown field 'colour'/],
  ];
  for (const [json, message] of cases) {
    assert.throws(
      () => parseTrainConfig(json),
      (e) => e instanceof UserError && message.test(e.message),
    );
  }
});

Deno.test("training 4 steps equals 2 steps, a checkpoint, and 2 more (bit for bit)", async () => {
  const config = parseTrainConfig(TINY);
  const straight = new MetaTrainer(gpu, config);
  const losses: number[] = [];
  for (let s = 0; s < 4; s++) losses.push((await straight.step()).centreLoss);
  straight.destroy();

  const first = new MetaTrainer(gpu, config);
  for (let s = 0; s < 2; s++) await first.step();
  const dir = await Deno.makeTempDir();
  await saveCheckpoint(`${dir}/checkpoint.safetensors`, first.checkpoint());
  first.destroy();
  const checkpoint = await loadCheckpoint(`${dir}/checkpoint.safetensors`);
  const resumed = new MetaTrainer(gpu, parseTrainConfig(checkpoint.config), checkpoint);
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
  const trainer = new MetaTrainer(gpu, config);
  // A huge sigma drives the perturbed members' steps to overflow.
  config.sigma = { kind: "constant", value: 1e30 };
  const metrics = await trainer.step();
  assert.ok(Number.isFinite(metrics.centreLoss), "the centre is unharmed");
  assert.ok(metrics.validPairs < config.pairs, `valid pairs ${metrics.validPairs}`);
  assert.ok(trainer.theta.every(Number.isFinite), "theta stays finite");
  trainer.destroy();
});
