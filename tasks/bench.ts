/**
 * Headless benchmark: energy+force evaluations per second of the WebGPU kernels, without and with
 * readback, against the single-threaded f64 CPU reference on the same machine.
 *
 *   deno task bench [--json] [--cases LJ38:4096,Au55:1024] [--seconds S | --quick]
 */
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
import { positiveNumber, runTask } from "../src/cli/args.ts";

const DEFAULT_CASES = "LJ13:4096,LJ38:4096,LJ55:1024,Au55:1024,Si64:512";
const QUICK_SECONDS = 0.05;
const REPEATS = 3;
const SEED = 1;
const REFERENCE_STRUCTURES = 16;
/** The requirement: the GPU path at least this many times the reference for LJ38, B=4096. */
const TARGET = { system: "LJ38", replicas: 4096, required: 2 };

const USAGE = `Usage: deno task bench [options]

Energy+force evaluations per second on the WebGPU device (kernels only, and with energies and
forces read back every evaluation) and of the single-threaded f64 CPU reference.

Options:
  --cases LIST   SYSTEM:REPLICAS,... (default ${DEFAULT_CASES})
  --seconds S    time per measurement in seconds (default 1)
  --quick        tiny measurements (${QUICK_SECONDS} s), to check that everything runs
  --json         print only a JSON document on stdout
  -h, --help     show this help`;

interface Case {
  system: System;
  replicas: number;
}

interface Result {
  system: string;
  replicas: number;
  atoms: number;
  /** Evaluations of all replicas queued per submission in the kernel measurement. */
  evaluationsPerSubmission: number;
  gpuKernelPerSecond: number;
  gpuReadbackPerSecond: number;
  referencePerSecond: number;
  kernelRatio: number;
  readbackRatio: number;
}

interface Report {
  adapter: string;
  date: string;
  deno: string;
  cores: number;
  seconds: number;
  cases: Result[];
  target: ReturnType<typeof targetOf>;
}

const progress = (message: string) => console.error(`bench: ${message}`);

async function main() {
  const { values } = parseArgs({
    args: Deno.args,
    options: {
      help: { type: "boolean", short: "h" },
      json: { type: "boolean" },
      cases: { type: "string", default: DEFAULT_CASES },
      seconds: { type: "string" },
      quick: { type: "boolean" },
    },
  });
  if (values.help) {
    console.log(USAGE);
    return;
  }
  if (values.quick && values.seconds !== undefined) {
    throw new UserError("give --quick or --seconds, not both");
  }
  const seconds = values.quick ? QUICK_SECONDS : positiveNumber("seconds", values.seconds ?? "1");
  const cases = parseCases(values.cases);

  const gpu = await Gpu.open({ log: null });
  progress(`adapter ${gpu.adapterName}`);
  const results: Result[] = [];
  for (const c of cases) results.push(await benchCase(gpu, c, seconds));
  gpu.destroy();

  const report: Report = {
    adapter: gpu.adapterName,
    date: new Date().toISOString(),
    deno: Deno.version.deno,
    cores: navigator.hardwareConcurrency,
    seconds,
    cases: results,
    target: targetOf(results),
  };
  console.log(values.json ? JSON.stringify(report, null, 2) : formatReport(report));
}

function parseCases(text: string): Case[] {
  // Split only at commas after ":REPLICAS", so settings like Si64@L=11,threebody=1.5:512 survive.
  return text.split(/(?<=:\d+),/).map((item) => {
    const colon = item.lastIndexOf(":");
    const replicas = Number(item.slice(colon + 1));
    if (colon < 0 || !Number.isInteger(replicas) || replicas < 1) {
      throw new UserError(`--cases: expected SYSTEM:REPLICAS like LJ38:4096, got '${item}'`);
    }
    return { system: parseSystem(item.slice(0, colon)), replicas };
  });
}

async function benchCase(gpu: Gpu, { system, replicas }: Case, seconds: number): Promise<Result> {
  const label = `${system.name} B=${replicas}`;
  const batch = await EnergyBatch.create(gpu, system, replicas).catch((error) => {
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
    progress(`${label}: GPU kernel ${format(gpuKernelPerSecond)}/s (${times} per submission)`);

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

    const referencePerSecond = referenceRate(system, seconds);
    progress(`${label}: f64 reference ${format(referencePerSecond)}/s`);
    return {
      system: system.name,
      replicas,
      atoms: system.nAtoms,
      evaluationsPerSubmission: times,
      gpuKernelPerSecond,
      gpuReadbackPerSecond,
      referencePerSecond,
      kernelRatio: gpuKernelPerSecond / referencePerSecond,
      readbackRatio: gpuReadbackPerSecond / referencePerSecond,
    };
  } finally {
    batch.destroy();
  }
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

/** The target, judged on the realistic loop with readback; null when its case was not run. */
function targetOf(results: Result[]) {
  const result = results.find((r) => r.system === TARGET.system && r.replicas === TARGET.replicas);
  if (result === undefined) return null;
  return {
    ...TARGET,
    measured: result.readbackRatio,
    pass: result.readbackRatio >= TARGET.required,
  };
}

function formatReport(report: Report): string {
  const header = [
    "system",
    "B",
    "N",
    "k",
    "GPU kernel/s",
    "GPU+readback/s",
    "f64 ref/s",
    "kernel/ref",
    "readback/ref",
  ];
  const rows = report.cases.map((r) => [
    r.system,
    String(r.replicas),
    String(r.atoms),
    String(r.evaluationsPerSubmission),
    format(r.gpuKernelPerSecond),
    format(r.gpuReadbackPerSecond),
    format(r.referencePerSecond),
    `${r.kernelRatio.toFixed(2)}x`,
    `${r.readbackRatio.toFixed(2)}x`,
  ]);
  const widths = header.map((h, i) => Math.max(h.length, ...rows.map((row) => row[i].length)));
  const line = (cells: string[]) =>
    cells.map((cell, i) => i === 0 ? cell.padEnd(widths[i]) : cell.padStart(widths[i])).join("  ");
  const { target } = report;
  const targetText = target
    ? `${target.pass ? "PASS" : "MISS"} (GPU with readback ${target.measured.toFixed(2)}x the ` +
      `reference, required ${target.required}x)`
    : `not measured (${TARGET.system}:${TARGET.replicas} is not among the cases)`;
  return [
    `adapter: ${report.adapter}`,
    `date: ${report.date}   deno ${report.deno}   cores: ${report.cores}   ` +
    `${report.seconds} s per measurement`,
    "evaluations per second (one evaluation: energy and forces of one replica); " +
    "k: evaluations of all replicas per submission",
    "",
    line(header),
    ...rows.map(line),
    "",
    `target ${TARGET.system} B=${TARGET.replicas}, GPU >= ${TARGET.required}x f64 reference: ${targetText}`,
  ].join("\n");
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
await runTask(main);
