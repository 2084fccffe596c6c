/**
 * `deno task train` end to end: every shipped config parses, a tiny run writes its checkpoint and
 * metrics, --resume continues it, and mistakes are one line with status 2.
 */
import assert from "node:assert/strict";
import { runTaskFile, TINY_TRAIN_CONFIG } from "./helpers.ts";
import { ARCHITECTURE, FEATURE_NAMES, loadCheckpoint, PARAMETER_COUNT } from "../mod.ts";
import { parseTrainConfig } from "../src/learned/train_config.ts";

const CONFIGS = new URL("../configs/", import.meta.url);

function train(...args: string[]) {
  return runTaskFile("train", ["--allow-read", "--allow-write", "--allow-env"], args);
}

Deno.test("every config under configs/ is valid", async () => {
  let count = 0;
  for await (const entry of Deno.readDir(CONFIGS)) {
    if (!entry.name.endsWith(".json")) continue;
    const text = await Deno.readTextFile(new URL(entry.name, CONFIGS));
    parseTrainConfig(JSON.parse(text), entry.name);
    count++;
  }
  assert.ok(count >= 4);
});

Deno.test("train: a tiny run writes a checkpoint and metrics; --resume continues it", async () => {
  const dir = await Deno.makeTempDir();
  const config = `${dir}/tiny.json`;
  await Deno.writeTextFile(
    config,
    JSON.stringify({
      ...TINY_TRAIN_CONFIG,
      systems: ["LJ7"],
      unroll: 20,
      steps: 2,
      clipToCentre: false,
      seed: 2,
      checkpointEvery: 1,
    }),
  );
  const out = `${dir}/run`;
  const first = await train("--config", config, "--out", out, "--json");
  assert.equal(first.code, 0, first.stderr);
  const summary = JSON.parse(first.stdout);
  assert.equal(summary.outerStep, 2);
  assert.ok(Number.isFinite(summary.validationLoss.end));
  assert.ok(Number.isFinite(summary.validationLoss.fireWithRestarts));
  const checkpoint = await loadCheckpoint(`${out}/checkpoint.safetensors`, {
    architecture: ARCHITECTURE,
    features: [...FEATURE_NAMES],
  });
  assert.equal(checkpoint.outerStep, 2);
  assert.equal(checkpoint.theta.length, PARAMETER_COUNT);
  const records = (await Deno.readTextFile(`${out}/metrics.jsonl`)).trim().split("\n")
    .map((line) => JSON.parse(line));
  assert.deepEqual(records.filter((r) => r.type === "step").map((r) => r.step), [1, 2]);

  const again = await train("--config", config, "--out", out);
  assert.equal(again.code, 2, "a finished run is never overwritten");
  assert.match(again.stderr, /already holds a run; continue it with --resume/);

  const resumed = await train("--resume", out, "--steps", "3", "--json");
  assert.equal(resumed.code, 0, resumed.stderr);
  assert.equal(JSON.parse(resumed.stdout).outerStep, 3);
  const after = (await Deno.readTextFile(`${out}/metrics.jsonl`)).trim().split("\n")
    .map((line) => JSON.parse(line)).filter((r) => r.type === "step").map((r) => r.step);
  assert.deepEqual(after, [1, 2, 3]);
  await Deno.remove(dir, { recursive: true });
});

Deno.test("train: mistakes are one line with status 2; --help is status 0", async () => {
  const dir = await Deno.makeTempDir();
  await Deno.writeTextFile(`${dir}/bad.json`, JSON.stringify({ name: "x", pairs: 0 }));
  await Deno.writeTextFile(`${dir}/checkpoint.safetensors`, "not a checkpoint");
  const cases: [string[], RegExp][] = [
    [["--config", `${dir}/missing.json`], /cannot read/],
    [["--config", `${dir}/bad.json`], /bad.json: systems must be/],
    [["--resume", dir], /checkpoint/],
    [["--steps", "zero"], /--steps must be a positive number/],
  ];
  for (const [args, message] of cases) {
    const { code, stderr } = await train(...args);
    assert.equal(code, 2, `${args}: ${stderr}`);
    assert.match(stderr, message);
    assert.equal(stderr.trim().split("\n").length, 1, stderr);
  }
  const help = await train("--help");
  assert.equal(help.code, 0);
  assert.match(help.stdout, /Usage: deno task train/);
  await Deno.remove(dir, { recursive: true });
});
