/**
 * The front door, as a new user meets it: one case per kind of mistake or fault, each through the
 * real command line.
 *   - numbers: only plain decimals, and every physical setting within what the f32 kernels hold,
 *     refused in one line naming the flag (or the system setting, or the file's line);
 *   - files: devices, FIFOs, folders and files that are not what they should be are refused
 *     before anything is read, never quoted back;
 *   - output folders: runs started together never share one; a signal delivered twice (as to a
 *     process group through `deno task`) still saves the run, which resumes;
 *   - minima.xyz records its system (a parameter set included) and `energy` reads it back;
 *   - the installed command runs every command from any folder, each with its own permissions,
 *     which deno.json's tasks also follow.
 */
import assert from "node:assert/strict";
import { formatXyz, parseSystem, parseXyz } from "../mod.ts";
import { testGpu } from "./gpu.ts";
import { runTaskFile, spawnRun, taskEnv, TINY_TRAIN_CONFIG } from "./helpers.ts";
import { runSearch, searchOptions } from "../src/search/run_search.ts";
import { writeSearchOutputs } from "../src/search/outputs.ts";
import {
  CAPABILITIES,
  COMMAND_NAMES,
  type CommandName,
  permissionFlags,
} from "../src/cli/permissions.ts";
import { launcherScript } from "../tasks/install.ts";
import { loadCheckpoint, saveCheckpoint } from "../src/learned/checkpoint.ts";
import { decodeSafetensors, encodeSafetensors } from "../src/learned/safetensors.ts";
import type { SavedOptions } from "../src/search/search_state.ts";

const gpu = await testGpu();

/** Every permission a task may be given, so that what is refused is refused by the task. */
const ALL = ["--allow-read", "--allow-write", "--allow-net", "--allow-run", "--allow-sys"];

/** Runs `command` and asserts a one-line refusal matching `pattern` with status 2. */
async function refused(command: CommandName, args: string[], pattern: RegExp) {
  const run = await runTaskFile(command, ALL, args);
  const where = `${command} ${args.join(" ")}`;
  assert.equal(run.code, 2, `${where}: ${run.stderr}`);
  assert.equal(run.stdout, "", where);
  assert.match(run.stderr, /^error: [^\n]*\n$/, `${where}: one line: ${run.stderr}`);
  assert.match(run.stderr, pattern, where);
  return run.stderr;
}

Deno.test("numbers: hexadecimal, infinite and out-of-range values are refused, naming the flag", async () => {
  const dir = await Deno.makeTempDir();
  const config = (extra: object) => {
    const path = `${dir}/config-${crypto.randomUUID()}.json`;
    Deno.writeTextFileSync(path, JSON.stringify({ ...TINY_TRAIN_CONFIG, ...extra }));
    return path;
  };
  const lj = ["--system", "LJ13"];
  const cases: [CommandName, string[], RegExp][] = [
    ["search", [...lj, "--max-evals", "0x100"], /--max-evals must be an integer from 1 to/],
    ["search", [...lj, "--replicas", "1e9"], /--replicas must be an integer from 1 to 1048576/],
    ["search", [...lj, "--seed", "1.5"], /--seed must be an integer from 0 to 4294967295/],
    ["search", [...lj, "--keep", "5000"], /--keep must be an integer from 1 to 1000, got/],
    ["search", [...lj, "--log-capacity", "4294967295"], /--log-capacity must be .* 1 to 1024/],
    ["search", [...lj, "--sync-every", ""], /--sync-every must be an integer/],
    ["search", [...lj, "--max-step", "1e20"], /--max-step must be a number from 1e-12 to 1000000/],
    ["search", [...lj, "--method", "fire", "--dt-max", "1e39"], /--dt-max must be a number/],
    ["search", [...lj, "--method", "fire", "--fmax", "1e39"], /--fmax must be a number from/],
    ["search", [...lj, "--container", "1e39"], /--container must be 0 or a number from 1e-12/],
    ["search", [...lj, "--hop-fmax", "0"], /--hop-fmax must be a number from 1e-12/],
    ["search", [...lj, "--temperature", "Infinity"], /--temperature takes a number from 0 to/],
    ["search", [...lj, "--dr", "0b1"], /--dr takes a number from 1e-12 to 1000000 or LO:HI/],
    ["search", [...lj, "--method", "gd", "--step", "1e-50"], /--step takes a number from 1e-12/],
    ["search", [...lj, "--target", "1e39"], /--target must be a number from -1000000 to/],
    ["search", [...lj, "--reference", "0x10"], /--reference must be a number, got '0x10'/],
    ["search", [...lj, "--moves", "uniform=1e39"], /--moves: the weight of uniform must be 0 or/],
    ["search", [...lj, "--method", "lbfgs", "--history", "0o7"], /--history must be an integer/],
    ["search", ["--system", "Si64@L=1e39"], /^error: system 'Si64@L=1e39': L must be a number/],
    ["search", ["--system", "Au13@cutoff=0x5"], /cutoff must be a number from 1e-12 to 1000000/],
    ["search", ["--system", "Au13@cutoff=-3"], /^error: system 'Au13@cutoff=-3': cutoff must/],
    ["eval", ["--replicas", "0x10"], /--replicas must be an integer from 1 to 1048576/],
    ["eval", ["--max-evals", "1e39"], /--max-evals must be an integer from 2 to 4294967295/],
    ["eval", ["--seed", "Infinity"], /--seed must be an integer from 0 to 4294967295/],
    ["train", ["--steps", "0x10"], /--steps must be an integer from 1 to/],
    ["train", ["--config", config({ maxStep: 1e39 })], /maxStep must be a number from 1e-12 to/],
    [
      "train",
      ["--config", config({ name: "../../elsewhere" })],
      /: name must be 1 to 64 characters without \//,
    ],
    ["train", ["--config", config({ clipNorm: 1e300 })], /clipNorm must be a number from 1e-12/],
    ["train", ["--config", config({ gapWeight: 1e300 })], /gapWeight must be 0 or a number from/],
    ["reference", ["Cu4", "--replicas", "1e9"], /--replicas must be an integer from 1 to/],
    ["reference", ["Cu4", "--max-evals", "0x10"], /--max-evals must be an integer from 2 to/],
    [
      "worker",
      ["--redis", "redis://127.0.0.1:9", "--visibility-timeout", "1e12"],
      /--visibility-timeout must be an integer from 1 to 2000000/,
    ],
    ["bench", ["--cases", "LJ38:0x10"], /--cases: expected SYSTEM:REPLICAS like LJ38:4096/],
    ["bench", ["--seconds", "1e39"], /--seconds must be a number from 1e-12 to 1000000/],
  ];
  for (const [command, args, pattern] of cases) await refused(command, args, pattern);
  // Structure files: coordinates and boxes are decimals within the same range.
  const frames: [string, RegExp][] = [
    ["1\n\nAu 0x1 0 0\n", /:3: coordinate x \(column 2\) is not a decimal number$/m],
    ["2\n\nAu 0 0 0\nAu 0 0 1e39\n", /:4: coordinate z \(column 4\) is beyond \+-1000000/],
    [
      '2\nLattice="1e39 0 0 0 1e39 0 0 0 1e39" pbc="T T T"\nSi 0 0 0\nSi 1 1 1\n',
      /:2: the box side is beyond 1000000/,
    ],
  ];
  // Tiny values, as a symmetric structure written by ASE has (1.2e-17 for a zero), are fine.
  await Deno.writeTextFile(`${dir}/tiny.xyz`, "2\n\nX 1e-20 0 0\nX 0 0 1.122462048309373\n");
  const tiny = await runTaskFile("energy", ALL, [`${dir}/tiny.xyz`, "--cpu-only"]);
  assert.equal(tiny.code, 0, tiny.stderr);
  for (const [text, pattern] of frames) {
    const path = `${dir}/frame-${crypto.randomUUID()}.xyz`;
    await Deno.writeTextFile(path, text);
    await refused("energy", [path, "--cpu-only"], pattern);
  }
  await Deno.remove(dir, { recursive: true });
});

/** The state file of a tiny finished search in `dir` (for tests that edit one). */
async function savedSearchState(dir: string): Promise<string> {
  const run = await runTaskFile("search", ALL, [
    ...["--system", "LJ7", "--replicas", "2", "--max-evals", "20", "--out", dir],
  ]);
  assert.equal(run.code, 0, run.stderr);
  return `${dir}/state.safetensors`;
}

Deno.test("files: devices, FIFOs, folders and foreign files are refused unread and unquoted", async () => {
  const dir = await Deno.makeTempDir();
  const secret = `${dir}/secret.txt`;
  await Deno.writeTextFile(secret, "root:x:0:0:SECRET:/root:/bin/bash\n".repeat(3));
  await Deno.symlink("/dev/zero", `${dir}/zero.safetensors`);
  await Deno.symlink(secret, `${dir}/passwd.xyz`);
  await new Deno.Command("mkfifo", { args: [`${dir}/fifo.json`] }).output();
  await Deno.mkdir(`${dir}/run/state.safetensors`, { recursive: true });
  const zero = `${dir}/zero.safetensors`;
  await Deno.writeTextFile(`${dir}/pooled.json`, '{"minima": {"Cu4": {"energy": "-1e9"}}}');
  await Deno.symlink(`${dir}/nowhere`, `${dir}/dangling`);
  // A checkpoint whose config asks for a step beyond f32 (the kernel would not compile).
  const shipped = await loadCheckpoint(
    new URL("../checkpoints/lj-small.safetensors", import.meta.url).pathname,
  );
  await saveCheckpoint(`${dir}/huge-step.safetensors`, {
    ...shipped,
    config: { ...(shipped.config as object), maxStep: 1e30 },
  });
  // A checkpoint with a finite weight beyond what the kernels hold (written as bytes: saving it
  // is refused too).
  const weights = decodeSafetensors(
    await Deno.readFile(new URL("../checkpoints/lj-small.safetensors", import.meta.url)),
  );
  (weights.tensors.theta.data as Float32Array)[0] = 1e38;
  await Deno.writeFile(
    `${dir}/huge-theta.safetensors`,
    encodeSafetensors(weights.tensors, weights.metadata),
  );
  // Search states edited by hand: a method no search has, a negative step, an unknown layout.
  const state = decodeSafetensors(await Deno.readFile(await savedSearchState(`${dir}/saved`)));
  const edits: [string, (rest: { options: SavedOptions; layout: string }) => void][] = [
    ["edited", (rest) => rest.options.method = "SECRETMETHOD" as SavedOptions["method"]],
    [
      "edited-step",
      (rest) => (rest.options.settings as { local: { maxStep: number } }).local.maxStep = -1,
    ],
    ["edited-layout", (rest) => rest.layout = "SECRETLAYOUT"],
  ];
  for (const [name, edit] of edits) {
    const rest = JSON.parse(state.metadata.state);
    edit(rest);
    await Deno.mkdir(`${dir}/${name}`);
    await Deno.writeFile(
      `${dir}/${name}/state.safetensors`,
      encodeSafetensors(state.tensors, { ...state.metadata, state: JSON.stringify(rest) }),
    );
  }
  const cases: [CommandName, string[], RegExp][] = [
    ["search", ["--system", "LJ13", "--method", "learned", "--checkpoint", zero], /not a regular/],
    ["eval", ["--checkpoint", zero], /zero\.safetensors \(a checkpoint\): not a regular file$/m],
    ["train", ["--config", `${dir}/fifo.json`], /\(a JSON training config\): not a regular file/],
    ["train", ["--config", secret], /secret\.txt \(a JSON training config\): not JSON$/m],
    ["energy", [`${dir}/passwd.xyz`], /passwd\.xyz:1: expected the atom count/],
    ["search", ["--system", "LJ13", "--start", `${dir}/passwd.xyz`], /expected the atom count/],
    ["search", ["--resume", `${dir}/run`], /--resume .*run: state\.safetensors is not a regular/],
    ["search", ["--resume", `${dir}/nowhere`], /--resume .*nowhere: no such folder$/m],
    ["search", ["--system", "LJ13", "--out", "/proc/learn2hop"], /no permission to write there/],
    ["reference", ["Cu4", "--file", secret], /secret\.txt \(a pooled-minima file\): not JSON/],
    ["reference", ["Cu4", "--file", `${dir}/pooled.json`], /the entry 'Cu4' has no energy/],
    ["reference", ["Cu4", "--file", ""], /^error: --file: the path is empty$/m],
    ["search", ["--system", "LJ13", "--start", ""], /^error: the path of an XYZ file is empty$/m],
    ["energy", [""], /^error: the path of an XYZ file is empty$/m],
    ["train", ["--config", ""], /^error: the path of a JSON training config is empty$/m],
    [
      "search",
      ["--system", "LJ7", "--out", `${dir}/dangling/run`],
      /is a symbolic link to nothing/,
    ],
    [
      "search",
      ["--system", "LJ7", "--out", dir],
      /already holds files \(.*\); a new run takes a new/,
    ],
    [
      "search",
      ["--system", "LJ7", "--method", "learned", "--checkpoint", `${dir}/huge-step.safetensors`],
      /huge-step\.safetensors \(a checkpoint\): its config's maxStep must be a number from/,
    ],
    [
      "search",
      ["--resume", `${dir}/edited`],
      /\(a search state\): .*its options' method is not one a search takes/,
    ],
    [
      "search",
      ["--resume", `${dir}/edited-step`],
      /its options' settings\.local\.maxStep is not one/,
    ],
    [
      "search",
      ["--resume", `${dir}/edited-layout`],
      /\(a search state\): .*an unknown thread layout/,
    ],
    [
      "search",
      ["--system", "LJ7", "--method", "learned", "--checkpoint", `${dir}/huge-theta.safetensors`],
      /\(a checkpoint\): theta\[0\] is 9\.99.*e\+37; weights lie within \+-1000000$/m,
    ],
    ["search", ["--system", "LJ7", "--out", ""], /^error: --out: the path is empty$/m],
    ["train", ["--config", "tiny", "--out", ""], /^error: --out: the path is empty$/m],
    ["eval", ["--methods", "random", "--out", ""], /^error: --out: the path is empty$/m],
    ["eval", ["--redis", "redis://:hunter2@[::1"], /^error: --redis: not a URL; expected/m],
    ["search", ["--system", "Au13@cutoff=2,cutoff=3"], /'cutoff' is given twice/],
    [
      "search",
      ["--system", "LJ13", "--container", "1e-12"],
      /--container must be 0 \(none\) or at/,
    ],
  ];
  for (const [command, args, pattern] of cases) {
    const stderr = await refused(command, args, pattern);
    assert.doesNotMatch(
      stderr,
      /SECRET|root:x|hunter2/,
      "the file (or a password) is never quoted",
    );
  }
  // A state file that is a search state of nothing: named, and called a search state.
  await Deno.remove(`${dir}/run/state.safetensors`);
  await Deno.writeTextFile(`${dir}/run/state.safetensors`, "x".repeat(40));
  await refused(
    "search",
    ["--resume", `${dir}/run`],
    /^error: .*run\/state\.safetensors \(a search state\): truncated: header says/,
  );
  await Deno.remove(dir, { recursive: true });
});

Deno.test("folders: searches started together with the same defaults never share a folder", async () => {
  const dir = await Deno.makeTempDir();
  const args = ["--system", "LJ7", "--replicas", "4", "--max-evals", "60", "--seed", "77"];
  // The default folder is runs/LJ7-bh-seed77 of the folder the task runs in (INIT_CWD).
  const runs = await Promise.all(Array.from({ length: 3 }, () =>
    new Deno.Command(Deno.execPath(), {
      args: [
        "run",
        ...ALL,
        "--allow-env",
        new URL("../tasks/search.ts", import.meta.url).pathname,
        ...args,
      ],
      env: { ...taskEnv(), INIT_CWD: dir },
      clearEnv: true,
      stdout: "piped",
      stderr: "piped",
    }).output()));
  const folders = runs.map((run) => {
    const stdout = new TextDecoder().decode(run.stdout);
    assert.equal(run.code, 0, new TextDecoder().decode(run.stderr));
    return /^outputs in (\S+)\/$/m.exec(stdout)![1];
  });
  assert.deepEqual(folders.toSorted(), [
    "runs/LJ7-bh-seed77",
    "runs/LJ7-bh-seed77-2",
    "runs/LJ7-bh-seed77-3",
  ]);
  // Each holds its own complete run: the same search, three times.
  const minima = await Promise.all(
    folders.map((folder) => Deno.readTextFile(`${dir}/${folder}/minima.xyz`)),
  );
  assert.ok(minima.every((text) => text === minima[0]));
  await Deno.remove(dir, { recursive: true });
});

Deno.test("signals: SIGINT to the process group of `deno task search` saves the search; it resumes", async () => {
  const dir = await Deno.makeTempDir();
  const config = new URL("../deno.json", import.meta.url).pathname;
  // setsid makes the task the leader of a new process group, as a job runner would.
  const run = spawnRun("setsid", [
    Deno.execPath(),
    ...["task", "--quiet", "--config", config, "search", "--system", "LJ13"],
    ...["--replicas", "16", "--max-evals", "20000", "--out", `${dir}/run`],
  ], { INIT_CWD: dir });
  await run.progress(2);
  // To the whole group: the search gets it directly and, at times, once more from deno task.
  await new Deno.Command("kill", { args: ["-INT", "--", `-${run.child.pid}`] }).output();
  const { code, stdout, stderr } = await run.finish();
  assert.equal(code, 130, stderr);
  assert.match(stdout, /stopped: interrupted/);
  assert.match(stderr, /continue it with: deno task search --resume .*run\n$/);
  const names = (await Array.fromAsync(Deno.readDir(`${dir}/run`))).map((e) => e.name).sort();
  // The search ended (stopped): its lock file is gone with it.
  assert.deepEqual(names, [
    "minima.xyz",
    "state.safetensors",
    "summary.json",
    "trace.json",
  ]);
  // It continues where it stopped, to the end of its budget.
  const resumed = await runTaskFile("search", ALL, ["--resume", `${dir}/run`, "--json"]);
  assert.equal(resumed.code, 0, resumed.stderr);
  const summary = JSON.parse(resumed.stdout);
  assert.equal(summary.stopReason, "budget");
  assert.equal(summary.evaluations.perReplica, 20000);
  await Deno.remove(dir, { recursive: true });
});

Deno.test("signals: eval stops without a partial report; reference records what it found", async () => {
  const dir = await Deno.makeTempDir();
  const task = (name: string) => new URL(`../tasks/${name}.ts`, import.meta.url).pathname;
  const evaluation = spawnRun(Deno.execPath(), [
    ...["run", ...ALL, task("eval"), "--methods", "random", "--no-hopping"],
    ...["--replicas", "8", "--max-evals", "2000000", "--out", `${dir}/eval`],
  ]);
  await evaluation.progress(1, /^eval quick: /gm);
  evaluation.child.kill("SIGTERM");
  const stopped = await evaluation.finish();
  assert.equal(stopped.code, 143, stopped.stderr);
  assert.match(
    stopped.stderr,
    /SIGTERM: stopped; an evaluation is written only when it is complete/,
  );
  await assert.rejects(() => Deno.stat(`${dir}/eval`), Deno.errors.NotFound);
  // Stopped in the hopping analysis, which follows the report: the report stays, without it.
  const analysis = spawnRun(Deno.execPath(), [
    ...["run", ...ALL, task("eval"), "--methods", "learned", "--systems", "LJ38"],
    ...["--replicas", "2", "--max-evals", "100", "--out", `${dir}/analysed`],
  ]);
  await analysis.progress(1, /^hopping analysis on LJ38$/gm);
  analysis.child.kill("SIGTERM");
  const interrupted = await analysis.finish();
  assert.equal(interrupted.code, 143, interrupted.stderr);
  assert.match(
    interrupted.stderr,
    /SIGTERM: stopped during the hopping analysis; the report in .*analysed is complete without it/,
  );
  const report = await Deno.readTextFile(`${dir}/analysed/report.md`);
  assert.match(report, /## Verdict/);
  assert.doesNotMatch(report, /## Hopping behaviour/);

  const reference = spawnRun(Deno.execPath(), [
    ...["run", ...ALL, task("reference"), "Cu4", "Cu5", "--replicas", "4"],
    ...["--max-evals", "1e9", "--file", `${dir}/pooled.json`],
  ]);
  await reference.progress(1, /WebGPU adapter/g);
  await new Promise((resolve) => setTimeout(resolve, 1500));
  reference.child.kill("SIGINT");
  const recorded = await reference.finish();
  assert.equal(recorded.code, 130, recorded.stderr);
  const pooled = JSON.parse(await Deno.readTextFile(`${dir}/pooled.json`)).minima;
  // What the stopped search found, with the evaluations it really spent; Cu5 was not searched.
  assert.deepEqual(Object.keys(pooled), ["Cu4"]);
  assert.ok(pooled.Cu4.evaluationsPerReplica < 1e9);
  await Deno.remove(dir, { recursive: true });
});

Deno.test("minima.xyz records the system with its parameter set; energy reads it back the same", async () => {
  const system = parseSystem("Au6@set=jaxmd-gold");
  const result = await runSearch(
    searchOptions(system, "bh", { replicas: 8, maxEvaluations: 400 }),
    {
      gpu,
    },
  );
  const dir = await Deno.makeTempDir();
  const { minima } = await writeSearchOutputs(dir, result);
  const frames = parseXyz(await Deno.readTextFile(minima));
  assert.ok(frames.length >= 1);
  assert.ok(frames.every((frame) => frame.info.system === "Au6@set=jaxmd-gold"));
  const run = await runTaskFile("energy", ALL, [minima, "--cpu-only", "--json"]);
  assert.equal(run.code, 0, run.stderr);
  const report = JSON.parse(run.stdout);
  report.frames.forEach((frame: { system: string; reference: { energy: number } }, k: number) => {
    assert.equal(frame.system, "Au6@set=jaxmd-gold");
    // The same up to the 1e-10 to which minima.xyz writes coordinates.
    assert.ok(Math.abs(frame.reference.energy - Number(frames[k].info.energy)) < 1e-8);
  });
  // Without the key, the file would be read with the default (Cleri-Rosato) gold: another energy.
  const bare = formatXyz(
    frames.map((frame) => ({ ...frame, info: { energy: frame.info.energy } })),
  );
  await Deno.writeTextFile(`${dir}/bare.xyz`, bare);
  const other = JSON.parse(
    (await runTaskFile("energy", ALL, [`${dir}/bare.xyz`, "--cpu-only", "--json"])).stdout,
  );
  assert.ok(Math.abs(other.frames[0].reference.energy - report.frames[0].reference.energy) > 0.1);
  // A system= key that does not match the atoms is refused.
  const wrong = formatXyz([{ ...frames[0], info: { system: "Au7@set=jaxmd-gold" } }]);
  await Deno.writeTextFile(`${dir}/wrong.xyz`, wrong);
  await refused(
    "energy",
    [`${dir}/wrong.xyz`, "--cpu-only"],
    /frame 1: its system= key names Au7@set=jaxmd-gold, but its atoms make Au6@set=jaxmd-gold/,
  );
  await Deno.remove(dir, { recursive: true });
});

Deno.test("permissions: each command's, declared once, in deno.json and the installed launcher", async () => {
  const tasks = JSON.parse(await Deno.readTextFile(new URL("../deno.json", import.meta.url))).tasks;
  for (const name of COMMAND_NAMES) {
    const flags = (tasks[name] as string).split(" ").filter((word) => word.startsWith("--allow"));
    // deno task cannot tell whether --redis is given: a command that takes it holds the network
    // and gives it up at its start without --redis (dropUnneeded).
    const expected = [...permissionFlags(name, CAPABILITIES[name].net === "redis")];
    assert.deepEqual(flags.toSorted(), [...expected, "--allow-env=INIT_CWD"].toSorted(), name);
    assert.ok((tasks[name] as string).includes("--no-prompt"), name);
  }
  const script = launcherScript("/opt/deno", "/opt/learn2hop");
  assert.match(script, /^ {2}energy\) allow="--allow-read" ;;$/m);
  assert.match(script, /^ {2}search\) allow="--allow-read --allow-write" ;;$/m);
  assert.match(
    script,
    /^ {6}case "\$arg" in --redis \| --redis=\*\) allow="--allow-read --allow-write --allow-net" ;; esac$/m,
  );
  assert.doesNotMatch(script, /--allow-env|--allow-all|-A /);
});

Deno.test("the installed command runs every command from any folder, with its own --help", async () => {
  const dir = await Deno.makeTempDir();
  const install = await runTaskFile(
    "install",
    ["--allow-read", "--allow-write", "--allow-env"],
    ["--bin", `${dir}/bin`],
  );
  assert.equal(install.code, 0, install.stderr);
  assert.match(install.stdout, new RegExp(`^installed ${dir}/bin/learn2hop$`, "m"));
  const learn2hop = (args: string[], cwd = dir) =>
    new Deno.Command(`${dir}/bin/learn2hop`, {
      args,
      cwd,
      env: taskEnv(),
      clearEnv: true,
      stdout: "piped",
      stderr: "piped",
    }).output().then((out) => ({
      code: out.code,
      stdout: new TextDecoder().decode(out.stdout),
      stderr: new TextDecoder().decode(out.stderr),
    }));
  const help = await learn2hop(["--help"]);
  assert.equal(help.code, 0);
  for (const name of COMMAND_NAMES) assert.match(help.stdout, new RegExp(`^  ${name} `, "m"));
  const searchHelp = await learn2hop(["search", "--help"]);
  assert.equal(searchHelp.code, 0);
  assert.match(searchHelp.stdout, /--max-evals N/);
  for (
    const [args, pattern] of [[[], /^error: name a command: search, /], [
      ["frobnicate"],
      /^error: unknown command 'frobnicate'/,
    ]] as const
  ) {
    const run = await learn2hop([...args]);
    assert.equal(run.code, 2);
    assert.match(run.stderr, pattern);
    assert.equal(run.stderr.trim().split("\n").length, 1);
  }
  // A user's folder: relative paths are read and written there.
  const work = `${dir}/work`;
  await Deno.mkdir(work);
  await Deno.writeTextFile(`${work}/pair.xyz`, "2\n\nX 0 0 0\nX 0 0 1.122462048309373\n");
  const energy = await learn2hop(["energy", "pair.xyz", "--cpu-only", "--json"], work);
  assert.equal(energy.code, 0, energy.stderr);
  assert.ok(Math.abs(JSON.parse(energy.stdout).frames[0].reference.energy + 1) < 1e-12);
  const search = await learn2hop(
    ["search", "--system", "LJ7", "--replicas", "4", "--max-evals", "60", "--out", "run"],
    work,
  );
  assert.equal(search.code, 0, search.stderr);
  assert.match(search.stdout, /^outputs in run\/$/m);
  assert.ok((await Deno.stat(`${work}/run/summary.json`)).isFile);
  // An interrupted run would say how to continue it with this command.
  const again = await learn2hop(["search", "--system", "LJ7", "--out", "run"], work);
  assert.equal(again.code, 2);
  assert.match(again.stderr, /\(if it was stopped before its end: learn2hop search --resume run\)/);
  await Deno.remove(dir, { recursive: true });
});
