/**
 * `deno task train` end to end: every shipped config parses, a tiny run writes its checkpoint and
 * metrics and says what to do next, --resume continues it after a crash with each step logged
 * once, SIGTERM saves and exits, and mistakes are one line with status 2 before any GPU work.
 */
import assert from "node:assert/strict";
import { runTaskFile, TINY_TRAIN_CONFIG } from "./helpers.ts";
import { loadCheckpoint } from "../mod.ts";
import { ARCHITECTURE, PARAMETER_COUNT } from "../src/learned/architecture.ts";
import { FEATURE_NAMES } from "../src/learned/features.ts";
import { configField, encodeCheckpoint } from "../src/learned/checkpoint.ts";
import { decodeSafetensors, encodeSafetensors } from "../src/learned/safetensors.ts";
import { parseTrainConfig } from "../src/learned/train_config.ts";

const CONFIGS = new URL("../configs/", import.meta.url);
const PERMISSIONS = ["--allow-read", "--allow-write", "--allow-env"];
const EXPECTED = { architecture: ARCHITECTURE, features: [...FEATURE_NAMES] };
/** One system, a short unroll: a step takes well under a second on llvmpipe. */
const SMALL = {
  ...TINY_TRAIN_CONFIG,
  systems: ["LJ7"],
  unroll: 20,
  steps: 2,
  clipToCentre: false,
  seed: 2,
  checkpointEvery: 1,
};

function train(...args: string[]) {
  return runTaskFile("train", PERMISSIONS, args);
}

async function records(path: string): Promise<Record<string, unknown>[]> {
  return (await Deno.readTextFile(path)).trim().split("\n").map((line) => JSON.parse(line));
}

function stepsOf(all: Record<string, unknown>[], type: string): unknown[] {
  return all.filter((r) => r.type === type).map((r) => r.step);
}

Deno.test("every config under configs/ is valid", async () => {
  let count = 0;
  for await (const entry of Deno.readDir(CONFIGS)) {
    if (!entry.name.endsWith(".json")) continue;
    const text = await Deno.readTextFile(new URL(entry.name, CONFIGS));
    const config = parseTrainConfig(JSON.parse(text), entry.name);
    if (config.start !== undefined) {
      // A shipped config fine-tunes a shipped checkpoint of its own architecture.
      const start = await loadCheckpoint(
        new URL(`../checkpoints/${config.start}.safetensors`, import.meta.url).pathname,
      );
      assert.equal(start.architecture.name, config.architecture, entry.name);
    }
    count++;
  }
  assert.ok(count >= 4);
});

Deno.test("train: a tiny run writes a checkpoint and metrics; --resume after a crash logs each step once", async () => {
  const dir = await Deno.makeTempDir();
  const config = `${dir}/tiny.json`;
  await Deno.writeTextFile(config, JSON.stringify(SMALL));
  const out = `${dir}/run`;
  const first = await train("--config", config, "--out", out, "--json");
  assert.equal(first.code, 0, first.stderr);
  const summary = JSON.parse(first.stdout);
  assert.equal(summary.outerStep, 2);
  const loss = summary.validationLoss;
  assert.ok(Number.isFinite(loss.end));
  assert.ok(Number.isFinite(loss.baseline));
  assert.equal(summary.baselineMethod, "FIRE with random restarts");
  assert.equal(summary.verdict, loss.end < loss.baseline ? "better" : "worse");
  const file = `${out}/checkpoint.safetensors`;
  assert.equal(summary.checkpoint, file);
  assert.equal(
    summary.commands.search,
    `deno task search --system LJ7 --method learned --checkpoint ${file} --replicas 64 ` +
      "--max-evals 2000",
  );
  assert.equal(summary.commands.eval, `deno task eval --checkpoint ${file}`);
  const checkpoint = await loadCheckpoint(file, EXPECTED);
  assert.equal(checkpoint.outerStep, 2);
  assert.equal(checkpoint.theta.length, PARAMETER_COUNT);
  const metrics = `${out}/metrics.jsonl`;
  const logged = await records(metrics);
  assert.deepEqual(stepsOf(logged, "step"), [1, 2]);
  assert.deepEqual(stepsOf(logged, "validation"), [0, 1, 2]);
  assert.deepEqual(stepsOf(logged, "baseline"), [2]);

  const again = await train("--config", config, "--out", out);
  assert.equal(again.code, 2, "a finished run is never overwritten");
  assert.match(
    again.stderr,
    /^error: --out .*run already holds a training run \(checkpoint\.safetensors\); choose another folder, or continue that one \(if it was stopped before its end: deno task train --resume .*run\)\n$/,
  );

  // A symlink planted at metrics.jsonl is refused, and what it points at is left alone.
  await Deno.rename(metrics, `${dir}/metrics.saved`);
  await Deno.writeTextFile(`${dir}/precious.txt`, "precious\n");
  await Deno.symlink(`${dir}/precious.txt`, metrics);
  const planted = await train("--resume", out, "--steps", "3");
  assert.equal(planted.code, 2, planted.stderr);
  assert.match(planted.stderr, /^error: .*metrics\.jsonl is a symbolic link; refusing/);
  assert.equal(planted.stderr.trim().split("\n").length, 1, planted.stderr);
  assert.equal(await Deno.readTextFile(`${dir}/precious.txt`), "precious\n");
  await Deno.remove(metrics);
  await Deno.rename(`${dir}/metrics.saved`, metrics);

  // A crash after logging steps 3 and 4 (and half a line) but before their checkpoint, and a
  // temporary file left by the killed run.
  await Deno.writeTextFile(
    metrics,
    '{"type":"step","step":3,"lost":true}\n{"type":"validation","step":3,"lost":true}\n' +
      '{"type":"step","step":4,"lost":true}\n{"type":"st',
    { append: true },
  );
  const temporary = `${out}/.checkpoint.safetensors.learn2hop-tmp-${crypto.randomUUID()}`;
  await Deno.writeTextFile(temporary, "partial");
  await Deno.writeTextFile(`${out}/notes.tmp-0123`, "the user's");
  const resumed = await train("--resume", out, "--steps", "3");
  assert.equal(resumed.code, 0, resumed.stderr);
  assert.match(resumed.stderr, /kept the 6 records up to the checkpoint's step 2, dropped 4/);
  assert.equal((await loadCheckpoint(file, EXPECTED)).outerStep, 3);
  const after = await records(metrics);
  assert.deepEqual(stepsOf(after, "step"), [1, 2, 3]);
  assert.deepEqual(stepsOf(after, "validation"), [0, 1, 2, 3]);
  assert.deepEqual(stepsOf(after, "baseline"), [2, 3]);
  assert.ok(after.every((r) => r.lost === undefined));
  assert.equal(await Deno.stat(temporary).catch(() => null), null);
  assert.equal(await Deno.readTextFile(`${out}/notes.tmp-0123`), "the user's");
  // Finished: resuming it would only redo its validation and baseline.
  const finished = await train("--resume", out);
  assert.equal(finished.code, 2);
  assert.match(
    finished.stderr,
    /^error: --resume .*run: that training run has finished \(it is at step 3\); give --steps above 3 to train it further\n$/,
  );
  assert.deepEqual(stepsOf(await records(metrics), "baseline"), [2, 3]);
  // Without its metrics log nothing tells that its baseline is still to come: finished too.
  await Deno.rename(metrics, `${dir}/metrics.saved`);
  const unlogged = await train("--resume", out);
  assert.equal(unlogged.code, 2);
  assert.match(unlogged.stderr, /that training run has finished \(it is at step 3\)/);
  await Deno.rename(`${dir}/metrics.saved`, metrics);

  const lines = resumed.stdout.trim().split("\n");
  assert.equal(
    lines.at(-3),
    `search with it: deno task search --system LJ7 --method learned --checkpoint ${file} ` +
      "--replicas 64 --max-evals 2000",
  );
  assert.equal(lines.at(-2), `evaluate it:    deno task eval --checkpoint ${file}`);
  const verdict = lines.at(-1)!.match(
    /^the trained optimizer is (better|worse) than FIRE with random restarts at equal evaluations \((\S+) vs (\S+) per atom; lower is better\)$/,
  );
  assert.ok(verdict, lines.at(-1));
  const [learned, fire] = [Number(verdict[2]), Number(verdict[3])];
  assert.equal(verdict[1], learned < fire ? "better" : "worse");
  // The numbers are the last validation's and the baseline's, to at least 3 digits.
  const last = (type: string) => after.filter((r) => r.type === type).at(-1)!.loss as number;
  assert.ok(Math.abs(learned - last("validation")) <= 5e-3 * Math.abs(learned), verdict[2]);
  assert.ok(Math.abs(fire - last("baseline")) <= 5e-3 * Math.abs(fire), verdict[3]);
  await Deno.remove(dir, { recursive: true });
});

Deno.test("train: a config with start fine-tunes that checkpoint's weights from step 0", async () => {
  const dir = await Deno.makeTempDir();
  await Deno.writeTextFile(`${dir}/first.json`, JSON.stringify({ ...SMALL, steps: 1 }));
  const first = await train("--config", `${dir}/first.json`, "--out", `${dir}/first`, "--json");
  assert.equal(first.code, 0, first.stderr);
  // The path is relative to the config's folder, not to the working folder.
  await Deno.mkdir(`${dir}/configs`);
  await Deno.writeTextFile(
    `${dir}/configs/tuned.json`,
    JSON.stringify({ ...SMALL, name: "tuned", steps: 1, start: "../first/checkpoint.safetensors" }),
  );
  const tuned = await train("--config", `${dir}/configs/tuned.json`, "--out", `${dir}/tuned`);
  assert.equal(tuned.code, 0, tuned.stderr);
  // Its first validation is the started checkpoint's last: the same weights on the same tasks.
  const validations = async (run: string) =>
    (await records(`${dir}/${run}/metrics.jsonl`)).filter((r) => r.type === "validation");
  assert.deepEqual((await validations("tuned"))[0], {
    ...(await validations("first")).at(-1),
    step: 0,
  });
  const checkpoint = await loadCheckpoint(`${dir}/tuned/checkpoint.safetensors`, EXPECTED);
  assert.equal(checkpoint.outerStep, 1);
  assert.equal(checkpoint.optimizer.step, 1, "Adam starts afresh");
  assert.equal(configField(checkpoint.config, "start"), "../first/checkpoint.safetensors");
  await Deno.remove(dir, { recursive: true });
});

Deno.test("train: SIGTERM mid-run saves a checkpoint of the last step and exits 143 at once", async () => {
  const dir = await Deno.makeTempDir();
  const config = `${dir}/long.json`;
  await Deno.writeTextFile(
    config,
    JSON.stringify({ ...SMALL, steps: 100000, checkpointEvery: 100000 }),
  );
  const task = new URL("../tasks/train.ts", import.meta.url).pathname;
  const child = new Deno.Command(Deno.execPath(), {
    args: ["run", ...PERMISSIONS, task, "--config", config, "--out", `${dir}/run`],
    stdin: "null",
    stdout: "null",
    stderr: "piped",
  }).spawn();
  let stderr = "";
  let killedAt = 0;
  const decoder = new TextDecoder();
  for await (const chunk of child.stderr) {
    stderr += decoder.decode(chunk, { stream: true });
    if (killedAt === 0 && /^step 1\//m.test(stderr)) {
      // Twice, as a signal to a process group reaches a task both directly and through
      // `deno task`: the second must not abort the save.
      child.kill("SIGTERM");
      child.kill("SIGTERM");
      killedAt = performance.now();
    }
  }
  const status = await child.status;
  const seconds = (performance.now() - killedAt) / 1000;
  assert.ok(killedAt > 0, stderr);
  assert.equal(status.code, 143, stderr);
  assert.ok(seconds < 5, `exited ${seconds.toFixed(1)} s after SIGTERM`);
  assert.match(
    stderr,
    /checkpoint of outer step \d+ saved in .*run\/checkpoint\.safetensors; continue with deno task train --resume .*run\n$/,
  );
  const checkpoint = await loadCheckpoint(`${dir}/run/checkpoint.safetensors`, EXPECTED);
  assert.ok(checkpoint.outerStep >= 1, `outer step ${checkpoint.outerStep}`);
  const left = (await Array.fromAsync(Deno.readDir(`${dir}/run`))).map((e) => e.name).sort();
  assert.deepEqual(left, ["checkpoint.safetensors", "metrics.jsonl"]);
  // The checkpoint is the state after the last logged step: a resume logs nothing twice.
  const logged = stepsOf(await records(`${dir}/run/metrics.jsonl`), "step");
  assert.deepEqual(logged, Array.from({ length: checkpoint.outerStep }, (_, k) => k + 1));
  await Deno.remove(dir, { recursive: true });
});

Deno.test("train: mistakes are one line with status 2 before any GPU work; --help is status 0", async () => {
  const dir = await Deno.makeTempDir();
  await Deno.writeTextFile(`${dir}/bad.json`, JSON.stringify({ name: "x", pairs: 0 }));
  await Deno.writeTextFile(`${dir}/checkpoint.safetensors`, "not a checkpoint");
  for (const [name, pairs] of [["huge", 1e300], ["million", 1e6]] as const) {
    await Deno.writeTextFile(`${dir}/${name}.json`, JSON.stringify({ ...SMALL, pairs }));
  }
  await Deno.writeTextFile(`${dir}/tiny.json`, JSON.stringify(SMALL));
  for (const [name, start] of [["other", "general-hopper"], ["nowhere", "missing.safetensors"]]) {
    await Deno.writeTextFile(`${dir}/${name}.json`, JSON.stringify({ ...SMALL, start }));
  }
  await Deno.writeTextFile(`${dir}/afile`, "");
  // A valid checkpoint of the right network with one NaN weight.
  await Deno.mkdir(`${dir}/nan`);
  const { tensors, metadata } = decodeSafetensors(encodeCheckpoint({
    theta: new Float32Array(PARAMETER_COUNT),
    optimizer: {
      m: new Float32Array(PARAMETER_COUNT),
      v: new Float32Array(PARAMETER_COUNT),
      step: 1,
    },
    outerStep: 1,
    rngState: Uint32Array.of(1, 2, 3, 4),
    ...EXPECTED,
    config: SMALL,
    projectVersion: "0.1.0",
  }));
  (tensors.theta.data as Float32Array)[100] = NaN;
  await Deno.writeFile(`${dir}/nan/checkpoint.safetensors`, encodeSafetensors(tensors, metadata));
  const tiny = ["--config", `${dir}/tiny.json`];
  const cases: [string[], RegExp][] = [
    [
      ["--config", `${dir}/missing.json`],
      /missing\.json \(a JSON training config\): no such file$/,
    ],
    [
      ["--config", "/dev/zero"],
      /^error: \/dev\/zero \(a JSON training config\): not a regular file$/,
    ],
    [["--config", `${dir}/bad.json`], /bad.json: systems must be/],
    [["--config", `${dir}/huge.json`], /huge.json: pairs must be an integer from 1 to 877239$/],
    [["--config", `${dir}/million.json`], /million.json: pairs must be an integer from 1 to/],
    [
      ["--config", `${dir}/other.json`],
      /other.json: start 'general-hopper' is a hop-general checkpoint, not per-atom-mlp as the config trains$/,
    ],
    [["--config", `${dir}/nowhere.json`], /\/missing.safetensors .*no such file$/],
    [["--resume", dir], /checkpoint/],
    [
      ["--resume", `${dir}/nan`],
      /nan\/checkpoint.safetensors \(a checkpoint\): checkpoint theta\[100\] is NaN/,
    ],
    [["--resume", `${dir}/afile`], /^error: --resume .*afile is a file, not a folder$/],
    [["--resume", `${dir}/missing`], /^error: --resume .*missing: no such folder$/],
    [["--steps", "zero"], /--steps must be an integer from 1 to 9007199254740991, got 'zero'$/],
    [["--steps", "0x10"], /--steps must be an integer from 1 to 9007199254740991, got '0x10'$/],
    [[...tiny, "--steps", "1e300"], /--steps must be an integer from 1 to 9007199254740991/],
    [[...tiny, "--out", `${dir}/afile`], /--out .*afile is a file, not a folder$/],
    [
      [...tiny, "--out", `${dir}/afile/run`],
      /--out .*afile\/run\b.*(under a file|Not a directory)/,
    ],
  ];
  for (const [args, message] of cases) {
    const { code, stderr } = await train(...args);
    assert.equal(code, 2, `${args}: ${stderr}`);
    assert.match(stderr.trim(), message);
    // One line: in particular, no "WebGPU adapter" line, so no GPU was opened.
    assert.equal(stderr.trim().split("\n").length, 1, stderr);
  }
  // A folder the run may not write to.
  await Deno.mkdir(`${dir}/allowed`);
  const denied = await runTaskFile(
    "train",
    ["--allow-read", `--allow-write=${dir}/allowed`, "--allow-env"],
    [...tiny, "--out", `${dir}/elsewhere`],
  );
  assert.equal(denied.code, 2, denied.stderr);
  assert.match(denied.stderr, /^error: --out .*elsewhere: no permission to write there/);
  assert.equal(denied.stderr.trim().split("\n").length, 1, denied.stderr);
  assert.equal(await Deno.stat(`${dir}/elsewhere`).catch(() => null), null);

  const help = await train("--help");
  assert.equal(help.code, 0);
  assert.match(help.stdout, /Usage: deno task train/);
  await Deno.remove(dir, { recursive: true });
});
