/**
 * Headless benchmark: energy+force evaluations per second of the WebGPU kernels, without and with
 * readback, against the single-threaded f64 CPU reference on the same machine, and fused FIRE and
 * L-BFGS against LAMMPS; both thread layouts side by side (src/gpu/thread_layout.ts), with the
 * energy kernel's achieved GFLOP/s beside the device's fp32 peak; and what a learned hop
 * controller costs a search in wall time (src/bench/controller_cost.ts).
 *
 *   deno task bench [--json] [--cases LJ38:4096,Au55:1024] [--seconds S | --quick]
 *                   [--layout lane|workgroup] [--peak-gflops G]
 */
import { distributedBench, formatDistributed } from "../src/bench/distributed_bench.ts";
import { parseTrainConfig } from "../src/learned/train_config.ts";
import { parseArgs } from "node:util";
import {
  EnergyBatch,
  Gpu,
  parseSystem,
  randomStructures,
  referencePotential,
  type System,
  UserError,
} from "../mod.ts";
import {
  integerFlag,
  layoutFlag,
  MAX_REPLICAS,
  positiveNumber,
  runCommand,
} from "../src/cli/args.ts";
import { command } from "../src/cli/program.ts";
import { parseDecimal } from "../src/core/numbers.ts";
import { projectFile } from "../src/cli/project.ts";
import {
  devicePeak,
  evaluationFlops,
  LJ_FLOPS_PER_PAIR,
  type Peak,
} from "../src/bench/peak_flops.ts";
import { THREAD_LAYOUTS, type ThreadLayout } from "../src/gpu/thread_layout.ts";
import {
  type BenchLocal,
  gpuRelaxRate,
  referenceRelaxRate,
  type RelaxRate,
} from "../src/bench/relax_rate.ts";
import { lammpsAvailable, type LammpsFireRate, lammpsFireRate } from "../src/bench/lammps_fire.ts";
import {
  controlledSpecs,
  type ControllerCost,
  controllerCost,
} from "../src/bench/controller_cost.ts";
import { loadLearnedOptimizer } from "../src/learned/learned_optimizer.ts";
import { shippedOrPath } from "../src/cli/project.ts";

const DEFAULT_CASES = "LJ13:4096,LJ38:4096,LJ55:1024,Au55:1024,Si64:512";
const QUICK_SECONDS = 0.05;
const REPEATS = 3;
const SEED = 1;
const REFERENCE_STRUCTURES = 16;
/** The issue's requirement: the GPU path at least this many times the reference for LJ38, B=4096. */
const TARGET = { system: "LJ38", replicas: 4096, required: 2 };
const DEFAULT_FIRE_CASES = "LJ13:4096,LJ38:4096,Au55:1024,Si64:512";
/** Fused FIRE goal: the better layout this many times LAMMPS FIRE (one process per core) on LJ38,
 * and the workgroup layout at least the lane layout's rate there. */
const FIRE_TARGET = { system: "LJ38", replicas: 4096, required: 3 };
/** The learned hop controller's cases and checkpoint, and the share of a search's rate it may
 * cost (issue 21: at most 10% of the wall time). */
const DEFAULT_HOPPER_CASES = "LJ38:256";
const DEFAULT_HOPPER = "hopper";
const CONTROLLER_TARGET = 0.1;
/** LAMMPS peer: random LJ starts per case, and seconds of work per process (amortises start-up). */
const LAMMPS_CLUSTERS = 200;
const LAMMPS_SECONDS = 3;

/** --distributed: timed steps per overhead run, the config they train, and the fault run's
 * steps, kill period and config. */
const DISTRIBUTED_STEPS = 10;
const FAULT_STEPS = 1000;
const KILL_EVERY = 50;
/** Project files (src/cli/project.ts): the bench runs from any folder. */
const DISTRIBUTED_CONFIG = projectFile("configs/lj-small.json");
const FAULT_CONFIG = projectFile("configs/tiny.json");

const USAGE = `Usage: ${command("bench")} [options]

Energy+force evaluations per second on the WebGPU device (kernels only, and with energies and
forces read back every evaluation) and of the single-threaded f64 CPU reference; then FIRE
relaxation steps per second of the fused GPU kernel, the f64 reference and LAMMPS; then a learned
hopper's search against the same search without its controller, in evaluations per second.

Options:
  --cases LIST   energy+force cases, SYSTEM:REPLICAS,... (default ${DEFAULT_CASES})
  --fire-cases LIST
                 fused FIRE and L-BFGS cases (default ${DEFAULT_FIRE_CASES}); LJ cases also
                 run LAMMPS fire and cg where \`lmp\` is installed; '' skips the section
  --hopper-cases LIST
                 learned hop controller cases (default ${DEFAULT_HOPPER_CASES}): the checkpoint's
                 search with and without its controller; '' skips the section
  --hopper FILE  the hopper checkpoint they time: a file or a shipped name (default
                 ${DEFAULT_HOPPER})
  --layout L     only this thread layout: lane (one invocation per replica) or workgroup (one
                 workgroup per replica, one invocation per atom); default: both, side by side
  --peak-gflops G
                 the device's fp32 peak in GFLOP/s, for the achieved share (default: from a
                 table of adapter names; unknown otherwise)
  --seconds S    time per measurement in seconds (default 1)
  --quick        tiny measurements (${QUICK_SECONDS} s), to check that everything runs
  --json         print only a JSON document on stdout
  -h, --help     show this help

  --distributed  instead of the above: distributed training's coordination overhead (the default
                 config through a Redis of its own with 1, 2 and 3 worker processes, against this
                 machine alone) and a fault run (a tiny config, a worker SIGKILLed every
                 --kill-every steps, theta checked against the local run); needs redis-server
  --steps N      timed steps per overhead run (default ${DISTRIBUTED_STEPS})
  --fault-steps N
                 steps of the fault run, 0 to skip it (default ${FAULT_STEPS})
  --kill-every N steps between kills (default ${KILL_EVERY})`;

interface Case {
  system: System;
  replicas: number;
}

interface Result {
  system: string;
  replicas: number;
  atoms: number;
  layout: ThreadLayout;
  /** Evaluations of all replicas queued per submission in the kernel measurement. */
  evaluationsPerSubmission: number;
  gpuKernelPerSecond: number;
  gpuReadbackPerSecond: number;
  referencePerSecond: number;
  kernelRatio: number;
  readbackRatio: number;
  /** Achieved by the kernel alone, from LJ_FLOPS_PER_PAIR (Lennard-Jones only, else null). */
  gflops: number | null;
  /** gflops over the device's peak, where both are known. */
  peakFraction: number | null;
}

interface FireResult {
  /** The local method: fire (peer: LAMMPS fire) or lbfgs (peer: LAMMPS cg). */
  local: BenchLocal;
  system: string;
  replicas: number;
  atoms: number;
  layout: ThreadLayout;
  gpu: RelaxRate;
  referenceStepsPerSecond: number;
  /** Null where LAMMPS is not installed or the system is not Lennard-Jones. */
  lammps: LammpsFireRate | null;
  gpuOverReference: number;
  gpuOverLammps: number | null;
}

/** A fused case a layout refused on this device (the limit it names). */
interface Refusal {
  local: BenchLocal;
  system: string;
  replicas: number;
  layout: ThreadLayout;
  reason: string;
}

interface Report {
  adapter: string;
  /** fp32 peak of the device, null where unknown. */
  peak: Peak | null;
  flopsPerPair: number;
  date: string;
  deno: string;
  cores: number;
  seconds: number;
  cases: Result[];
  target: ReturnType<typeof targetOf>;
  fire: FireResult[];
  refused: Refusal[];
  fireTarget: ReturnType<typeof fireTargetOf>;
  /** The hop controller's cost per case and layout; `hopper` the checkpoint timed. */
  hopper: string;
  controller: ControllerCost[];
}

const progress = (message: string) => console.error(`bench: ${message}`);

export async function main(args: string[]): Promise<void> {
  const { values } = parseArgs({
    args,
    options: {
      help: { type: "boolean", short: "h" },
      json: { type: "boolean" },
      cases: { type: "string", default: DEFAULT_CASES },
      "fire-cases": { type: "string", default: DEFAULT_FIRE_CASES },
      "hopper-cases": { type: "string", default: DEFAULT_HOPPER_CASES },
      hopper: { type: "string", default: DEFAULT_HOPPER },
      seconds: { type: "string" },
      quick: { type: "boolean" },
      layout: { type: "string" },
      "peak-gflops": { type: "string" },
      distributed: { type: "boolean" },
      steps: { type: "string" },
      "fault-steps": { type: "string" },
      "kill-every": { type: "string" },
    },
  });
  if (values.help) {
    console.log(USAGE);
    return;
  }
  if (values.distributed) {
    const steps = integerFlag("steps", values.steps ?? String(DISTRIBUTED_STEPS), 1);
    const faultSteps = integerFlag("fault-steps", values["fault-steps"] ?? String(FAULT_STEPS), 0);
    const killEvery = integerFlag("kill-every", values["kill-every"] ?? String(KILL_EVERY), 1);
    const readConfig = async (path: string) =>
      parseTrainConfig(JSON.parse(await Deno.readTextFile(path)), path);
    const config = await readConfig(DISTRIBUTED_CONFIG);
    const gpu = await Gpu.open({ log: null });
    progress(`adapter ${gpu.adapterName}`);
    const report = await distributedBench({
      gpu,
      config,
      steps,
      faultConfig: await readConfig(FAULT_CONFIG),
      faultSteps,
      killEvery,
      log: progress,
    });
    gpu.destroy();
    const full = { adapter: gpu.adapterName, date: new Date().toISOString(), ...report };
    console.log(values.json ? JSON.stringify(full, null, 2) : formatDistributed(report));
    return;
  }
  if (values.quick && values.seconds !== undefined) {
    throw new UserError("give --quick or --seconds, not both");
  }
  const seconds = values.quick ? QUICK_SECONDS : positiveNumber("seconds", values.seconds ?? "1");
  const cases = parseCases(values.cases);
  const fireCases = values["fire-cases"] === "" ? [] : parseCases(values["fire-cases"]);
  const hopperCases = values["hopper-cases"] === "" ? [] : parseCases(values["hopper-cases"]);
  const hopper = hopperCases.length === 0
    ? undefined
    : await loadLearnedOptimizer(await shippedOrPath(values.hopper, "checkpoints", ".safetensors"));
  for (const { system } of hopperCases) controlledSpecs(system, hopper!);
  const chosen = layoutFlag(values.layout);
  const layouts = chosen === undefined ? THREAD_LAYOUTS : [chosen];
  const peakFlag = values["peak-gflops"] === undefined
    ? undefined
    : positiveNumber("peak-gflops", values["peak-gflops"]);

  const gpu = await Gpu.open({ log: null });
  const peak = devicePeak(gpu.adapterName, peakFlag);
  progress(
    `adapter ${gpu.adapterName}, fp32 peak ${peak ? `${format(peak.gflops)} GFLOP/s` : "unknown"}`,
  );
  const results: Result[] = [];
  for (const c of cases) {
    const referencePerSecond = referenceRate(c.system, seconds);
    progress(`${c.system.name}: f64 reference ${format(referencePerSecond)}/s`);
    for (const layout of layouts) {
      results.push(await benchCase(gpu, c, seconds, layout, referencePerSecond, peak));
    }
  }
  const fire: FireResult[] = [];
  const refused: Refusal[] = [];
  // LAMMPS' start-up (~0.35 s a process) would dominate --quick's tiny measurements.
  const lammps = fireCases.length > 0 && !values.quick && await lammpsAvailable();
  for (const c of fireCases) {
    for (const local of ["fire", "lbfgs"] as const) {
      fire.push(...await benchRelax(gpu, c, local, seconds, lammps, layouts, refused));
    }
  }
  const controller: ControllerCost[] = [];
  for (const { system, replicas } of hopperCases) {
    for (const layout of layouts) {
      const cost = await controllerCost(gpu, system, hopper!, replicas, SEED, seconds, layout);
      progress(
        `hop controller ${system.name} B=${replicas} ${layout}: ${
          (100 * cost.cost).toFixed(1)
        }% of the search's rate`,
      );
      controller.push(cost);
    }
  }
  gpu.destroy();

  const report: Report = {
    adapter: gpu.adapterName,
    peak,
    flopsPerPair: LJ_FLOPS_PER_PAIR,
    date: new Date().toISOString(),
    deno: Deno.version.deno,
    cores: navigator.hardwareConcurrency,
    seconds,
    cases: results,
    target: targetOf(results),
    fire,
    refused,
    fireTarget: fireTargetOf(fire),
    hopper: values.hopper,
    controller,
  };
  console.log(values.json ? JSON.stringify(report, null, 2) : formatReport(report));
}

function parseCases(text: string): Case[] {
  // Split only at commas after ":REPLICAS", so settings like Si64@L=11,threebody=1.5:512 survive.
  return text.split(/(?<=:\d+),/).map((item) => {
    const colon = item.lastIndexOf(":");
    const replicas = parseDecimal(item.slice(colon + 1));
    if (colon < 0 || !Number.isInteger(replicas) || replicas < 1 || replicas > MAX_REPLICAS) {
      throw new UserError(`--cases: expected SYSTEM:REPLICAS like LJ38:4096, got '${item}'`);
    }
    return { system: parseSystem(item.slice(0, colon)), replicas };
  });
}

async function benchCase(
  gpu: Gpu,
  { system, replicas }: Case,
  seconds: number,
  layout: ThreadLayout,
  referencePerSecond: number,
  peak: Peak | null,
): Promise<Result> {
  const label = `${system.name} B=${replicas} ${layout}`;
  const batch = await EnergyBatch.create(gpu, system, replicas, { layout }).catch((error) => {
    // A replica count the kernels cannot index is the user's case, not a bug.
    throw error instanceof RangeError ? new UserError(`${label}: ${error.message}`) : error;
  });
  try {
    batch.writePositions(randomStructures(system, SEED, replicas));
    const submit = async (times: number) => {
      const start = performance.now();
      batch.evaluate(times);
      await gpu.device.queue.onSubmittedWorkDone();
      return (performance.now() - start) / 1000;
    };

    // Every await of the queue costs ~11 ms in Deno, so grow the submission until it is long
    // enough to hide that. The first submission is only a warm-up: it may include compiling the
    // shaders, which would stop the growth at once.
    await submit(1);
    const perSubmission = seconds / REPEATS;
    let times = 1;
    let elapsed = await submit(times);
    while (elapsed < perSubmission / 4) {
      times = Math.ceil(times * Math.min(8, perSubmission / elapsed));
      elapsed = await submit(times);
    }
    times = Math.max(1, Math.round(times * perSubmission / elapsed));
    const rates: number[] = [];
    for (let r = 0; r < REPEATS; r++) rates.push(times * replicas / await submit(times));
    const gpuKernelPerSecond = median(rates);
    const flops = evaluationFlops(system.potential.kind, system.nAtoms);
    const gflops = flops === null ? null : gpuKernelPerSecond * flops / 1e9;
    progress(
      `${label}: GPU kernel ${format(gpuKernelPerSecond)}/s (${times} per submission` +
        `${gflops === null ? "" : `, ${format(gflops)} GFLOP/s`})`,
    );

    // A realistic loop: evaluate, then wait for energies and forces (both copies in flight at once).
    const evaluateAndRead = () => {
      batch.evaluate();
      return Promise.all([batch.readEnergies(), batch.readForces()]);
    };
    let [energies] = await evaluateAndRead();
    let iterations = 0;
    const start = performance.now();
    while (performance.now() - start < seconds * 1000) {
      [energies] = await evaluateAndRead();
      iterations++;
    }
    const gpuReadbackPerSecond = iterations * replicas / ((performance.now() - start) / 1000);
    // A fast kernel that returns NaN would make every figure here meaningless.
    if (!energies.every(Number.isFinite)) throw new Error(`${label}: non-finite GPU energies`);
    progress(`${label}: GPU with readback ${format(gpuReadbackPerSecond)}/s`);
    return {
      system: system.name,
      replicas,
      atoms: system.nAtoms,
      layout,
      evaluationsPerSubmission: times,
      gpuKernelPerSecond,
      gpuReadbackPerSecond,
      referencePerSecond,
      kernelRatio: gpuKernelPerSecond / referencePerSecond,
      readbackRatio: gpuReadbackPerSecond / referencePerSecond,
      gflops,
      peakFraction: gflops !== null && peak !== null ? gflops / peak.gflops : null,
    };
  } finally {
    batch.destroy();
  }
}

/** A fused local method in each layout beside the f64 reference and, for LJ where installed, its
 * LAMMPS peer (min_style fire for FIRE, cg for L-BFGS), both measured once. */
async function benchRelax(
  gpu: Gpu,
  { system, replicas }: Case,
  local: BenchLocal,
  seconds: number,
  lammps: boolean,
  layouts: readonly ThreadLayout[],
  refused: Refusal[],
): Promise<FireResult[]> {
  const label = `${local} ${system.name} B=${replicas}`;
  const rates: [ThreadLayout, RelaxRate][] = [];
  for (const layout of layouts) {
    try {
      const rate = await gpuRelaxRate(gpu, system, local, replicas, SEED, seconds, layout);
      progress(`${label} ${layout}: GPU ${format(rate.clusterStepsPerSecond)} cluster-steps/s`);
      rates.push([layout, rate]);
    } catch (error) {
      if (error instanceof RangeError) throw new UserError(`${label}: ${error.message}`);
      // A system too large for this layout on this device is a result, not the end of the run.
      if (!(error instanceof UserError)) throw error;
      progress(`${label} ${layout}: refused: ${error.message}`);
      refused.push({ local, system: system.name, replicas, layout, reason: error.message });
    }
  }
  const referenceStepsPerSecond = referenceRelaxRate(system, local, SEED, seconds);
  progress(`${label}: f64 reference ${format(referenceStepsPerSecond)} cluster-steps/s`);
  let peer: LammpsFireRate | null = null;
  if (lammps && system.potential.kind === "lj") {
    const n = 3 * system.nAtoms;
    const starts = randomStructures(system, SEED, LAMMPS_CLUSTERS);
    const clusters = Array.from(
      { length: LAMMPS_CLUSTERS },
      (_, r) => starts.slice(n * r, n * (r + 1)),
    );
    peer = await lammpsFireRate({
      clusters,
      processes: navigator.hardwareConcurrency,
      seconds: Math.max(seconds, LAMMPS_SECONDS),
      style: local === "fire" ? "fire" : "cg",
    });
    progress(`${label}: LAMMPS ${format(peer.clusterStepsPerSecond)} cluster-steps/s`);
  }
  return rates.map(([layout, rate]) => ({
    local,
    system: system.name,
    replicas,
    atoms: system.nAtoms,
    layout,
    gpu: rate,
    referenceStepsPerSecond,
    lammps: peer,
    gpuOverReference: rate.clusterStepsPerSecond / referenceStepsPerSecond,
    gpuOverLammps: peer && rate.clusterStepsPerSecond / peer.clusterStepsPerSecond,
  }));
}

function fireTargetOf(results: FireResult[]) {
  const cases = results.filter((r) =>
    r.local === "fire" && r.system === FIRE_TARGET.system && r.replicas === FIRE_TARGET.replicas
  );
  const rate = (layout: ThreadLayout) =>
    cases.find((r) => r.layout === layout)?.gpu.clusterStepsPerSecond;
  const [lane, workgroup] = [rate("lane"), rate("workgroup")];
  const workgroupOverLane = lane && workgroup ? workgroup / lane : null;
  const best = cases.filter((r) => r.gpuOverLammps)
    .toSorted((a, b) => b.gpuOverLammps! - a.gpuOverLammps!)[0];
  if (best === undefined) return null;
  return {
    ...FIRE_TARGET,
    layout: best.layout,
    measured: best.gpuOverLammps!,
    pass: best.gpuOverLammps! >= FIRE_TARGET.required,
    workgroupOverLane,
  };
}

/** Single-threaded f64 evaluations per second over a few random structures, time-boxed. */
function referenceRate(system: System, seconds: number): number {
  const potential = referencePotential(system.potential);
  const n = 3 * system.nAtoms;
  const all = randomStructures(system, SEED, REFERENCE_STRUCTURES);
  const structures = Array.from({ length: REFERENCE_STRUCTURES }, (_, r) => ({
    positions: all.subarray(r * n, (r + 1) * n),
    species: system.species,
    box: system.box,
  }));
  const run = (milliseconds: number) => {
    let count = 0;
    const start = performance.now();
    while (performance.now() - start < milliseconds) {
      potential(structures[count++ % REFERENCE_STRUCTURES]);
    }
    return count / ((performance.now() - start) / 1000);
  };
  run(seconds * 100); // let the JIT optimize first
  return run(seconds * 1000);
}

/** The target, judged on the realistic loop with readback in the better layout; null when its
 * case was not run. */
function targetOf(results: Result[]) {
  const best = results.filter((r) => r.system === TARGET.system && r.replicas === TARGET.replicas)
    .toSorted((a, b) => b.readbackRatio - a.readbackRatio)[0];
  if (best === undefined) return null;
  return {
    ...TARGET,
    layout: best.layout,
    measured: best.readbackRatio,
    pass: best.readbackRatio >= TARGET.required,
  };
}

function formatReport(report: Report): string {
  const energyTable = table(
    [
      "system",
      "B",
      "N",
      "layout",
      "k",
      "GPU kernel/s",
      "GFLOP/s",
      "% peak",
      "GPU+readback/s",
      "f64 ref/s",
      "kernel/ref",
      "readback/ref",
    ],
    report.cases.map((r) => [
      r.system,
      String(r.replicas),
      String(r.atoms),
      r.layout,
      String(r.evaluationsPerSubmission),
      format(r.gpuKernelPerSecond),
      r.gflops === null ? "-" : format(r.gflops),
      r.peakFraction === null ? "-" : `${(100 * r.peakFraction).toPrecision(3)}%`,
      format(r.gpuReadbackPerSecond),
      format(r.referencePerSecond),
      `${r.kernelRatio.toFixed(2)}x`,
      `${r.readbackRatio.toFixed(2)}x`,
    ]),
  );
  const { target, fireTarget } = report;
  const targetText = target
    ? `${target.pass ? "PASS" : "MISS"} (GPU with readback ${target.measured.toFixed(2)}x the ` +
      `reference in the ${target.layout} layout, required ${target.required}x)`
    : `not measured (${TARGET.system}:${TARGET.replicas} is not among the cases)`;
  const lines = [
    `adapter: ${report.adapter}   fp32 peak: ${
      report.peak ? `${format(report.peak.gflops)} GFLOP/s (${report.peak.source})` : "unknown"
    }`,
    `date: ${report.date}   deno ${report.deno}   cores: ${report.cores}   ` +
    `${report.seconds} s per measurement`,
    "evaluations per second (one evaluation: energy and forces of one replica); " +
    "k: evaluations of all replicas per submission; GFLOP/s of the kernel alone at " +
    `${report.flopsPerPair} FLOPs per ordered Lennard-Jones pair, N (N - 1) pairs an evaluation`,
    "",
    ...energyTable,
    "",
    `target ${TARGET.system} B=${TARGET.replicas}, GPU >= ${TARGET.required}x f64 reference: ${targetText}`,
  ];
  if (report.fire.length === 0 && report.refused.length === 0) {
    return [...lines, ...controllerLines(report)].join("\n");
  }
  const fireTable = table(
    [
      "method",
      "system",
      "B",
      "N",
      "layout",
      "K",
      "GPU fused/s",
      "f64 ref/s",
      "LAMMPS/s",
      "GPU/ref",
      "GPU/LAMMPS",
    ],
    report.fire.map((r) => [
      r.local,
      r.system,
      String(r.replicas),
      String(r.atoms),
      r.layout,
      String(r.gpu.stepsPerDispatch),
      format(r.gpu.clusterStepsPerSecond),
      format(r.referenceStepsPerSecond),
      r.lammps ? format(r.lammps.clusterStepsPerSecond) : "-",
      `${r.gpuOverReference.toFixed(2)}x`,
      r.gpuOverLammps ? `${r.gpuOverLammps.toFixed(2)}x` : "-",
    ]),
  );
  const lammps = report.fire.find((r) => r.lammps)?.lammps;
  const fireTargetText = fireTarget
    ? `${fireTarget.pass ? "PASS" : "MISS"} (${fireTarget.measured.toFixed(2)}x, ` +
      `${fireTarget.layout} layout)`
    : "not measured (needs LAMMPS and the LJ38:4096 case)";
  const overLane = fireTarget?.workgroupOverLane;
  return [
    ...lines,
    "",
    "FIRE and L-BFGS relaxations, cluster-steps per second (each replica its own state and " +
    "convergence, fmax 1e-3, largest move 0.1; a step is one energy+force evaluation); " +
    "K: steps per dispatch; LAMMPS peers: min_style fire, and cg for L-BFGS (its force evaluations)",
    lammps
      ? `LAMMPS ${lammps.version}, ${lammps.processes} processes, ${lammps.minimisations} ` +
        "minimisations, start-up included"
      : "LAMMPS: not measured (not installed: apt-get install lammps; or --quick)",
    "",
    ...fireTable,
    ...report.refused.map((r) => `${r.local} ${r.system} B=${r.replicas} ${r.layout}: ${r.reason}`),
    "",
    `target ${FIRE_TARGET.system} B=${FIRE_TARGET.replicas}, fused FIRE (the better layout) >= ` +
    `${FIRE_TARGET.required}x LAMMPS: ${fireTargetText}`,
    `target ${FIRE_TARGET.system} B=${FIRE_TARGET.replicas}, fused FIRE workgroup >= lane: ` +
    (overLane == null
      ? "not measured (needs both layouts)"
      : `${overLane >= 1 ? "PASS" : "MISS"} (${overLane.toFixed(2)}x)`),
    ...controllerLines(report),
  ].join("\n");
}

/** The hop controller's section: both searches' rates and hops, and its cost against the target. */
function controllerLines(report: Report): string[] {
  if (report.controller.length === 0) return [];
  const rate = (t: { evaluations: number; seconds: number }) => t.evaluations / t.seconds;
  const rows = report.controller.map((c) => [
    c.system,
    String(c.replicas),
    c.layout,
    format(rate(c.plain)),
    format(c.plain.hops / c.plain.seconds),
    format(rate(c.learned)),
    format(c.learned.hops / c.learned.seconds),
    `${(100 * c.cost).toFixed(1)}%`,
  ]);
  const worst = Math.max(...report.controller.map((c) => c.cost));
  return [
    "",
    `learned hop controller (${report.hopper}): its search against the same basin hopping ` +
    "without the controller (its moves, local method and tolerances), random starts, no replica " +
    "stops; evaluations and hops per second; cost: the share of the rate the controller gives up",
    "",
    ...table(
      ["system", "B", "layout", "without/s", "hops/s", "with/s", "hops/s", "cost"],
      rows,
    ),
    "",
    `target: the controller costs at most ${100 * CONTROLLER_TARGET}% of a search's rate: ` +
    `${worst <= CONTROLLER_TARGET ? "PASS" : "MISS"} (worst ${(100 * worst).toFixed(1)}%)`,
  ];
}

/** Rows padded to columns: the first left-aligned, the rest right-aligned. */
function table(header: string[], rows: string[][]): string[] {
  const widths = header.map((h, i) => Math.max(h.length, ...rows.map((row) => row[i].length)));
  const line = (cells: string[]) =>
    cells.map((cell, i) => i === 0 ? cell.padEnd(widths[i]) : cell.padStart(widths[i])).join("  ");
  return [line(header), ...rows.map(line)];
}

function median(values: number[]): number {
  const sorted = values.toSorted((a, b) => a - b);
  return sorted[Math.floor(sorted.length / 2)];
}

const numberFormat = new Intl.NumberFormat("en-US", { maximumSignificantDigits: 3 });
function format(value: number): string {
  return numberFormat.format(value);
}

// Last, so that every module-level constant above is initialized when main runs.

if (import.meta.main) await runCommand("bench", main);
