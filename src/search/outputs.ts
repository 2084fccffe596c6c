/**
 * What a search leaves in its output folder:
 *   minima.xyz    the reported minima, lowest first, as extended XYZ (ASE reads it: `energy`
 *                 becomes the calculator's energy, the other keys land in atoms.info)
 *   summary.json  what was run and what came out (`searchSummary`)
 *   trace.json    best energy against evaluations per replica, one point per sync, for plots
 * Energies and lengths are in the system's units (reduced for LJ; eV and Angstrom otherwise).
 */
import { formatXyz, type XyzFrame } from "../io/xyz.ts";
import type { System } from "../systems/system.ts";
import type { KnownMinimum } from "../systems/known_minima.ts";
import {
  type HyperparameterSweeps,
  type Method,
  type MethodSettings,
  methodSpec,
} from "./defaults.ts";
import type { GoalStatus, SearchResult, StopReason, TracePoint } from "./run_search.ts";

export const OUTPUT_FILES = {
  minima: "minima.xyz",
  summary: "summary.json",
  trace: "trace.json",
} as const;

/** ASE knows no element "LJ"; "X" (its dummy atom) is what `deno task energy` also reads as LJ. */
function xyzSymbol(element: string): string {
  return element === "LJ" ? "X" : element;
}

/** One frame per reported minimum; `energy` is the f64 re-relaxed energy. */
export function minimaFrames(result: SearchResult): XyzFrame[] {
  const { system } = result.options;
  return result.minima.map((m, rank) => ({
    symbols: Array.from(m.species, (s) => xyzSymbol(system.elements[s])),
    positions: m.positions,
    box: system.box,
    info: {
      rank: String(rank + 1),
      energy: String(m.energy),
      energy_f32: String(m.energyF32),
      fmax: m.fmax.toExponential(3),
      count: String(m.count),
      first_evaluations: String(m.firstEvaluations),
      replica: String(m.replica),
    },
  }));
}

/** A reported minimum in summary.json (its structure is in minima.xyz, same rank). */
export interface SummaryMinimum {
  /** f64, re-relaxed. */
  energy: number;
  energyF32: number;
  fmax: number;
  converged: boolean;
  count: number;
  firstEvaluations: number;
  replica: number;
}

/** summary.json: what was run and what came out. Energies in the system's unit. */
export interface SearchSummary {
  system: string;
  nAtoms: number;
  method: Method;
  replicas: number;
  maxEvaluations: number;
  seed: number;
  /** The learned optimizer's checkpoint, as given (--checkpoint); null for other methods or
   * weights given without a path. */
  checkpoint: string | null;
  /** Every setting and per-replica hyperparameter (a sweep as {from, to}) the run used. */
  options: HyperparameterSweeps & {
    /** The method's settings: its driver, local method and (hopping) wrapper settings. */
    settings: MethodSettings;
    /** The largest atom move per step it ran with (a learned optimizer's: its trained one in
     * the system's lengths, unless overridden). */
    maxStep: number;
    target: number | null;
    stopAtKnown: boolean;
    syncEvery: number;
    logCapacity: number;
    keep: number;
  };
  adapter: string;
  stopReason: StopReason;
  /** Message of what ended a "failed" run. */
  error?: string;
  /** The lowest reported minimum: f64 re-relaxed energy, the GPU's f32 one, its f64 fmax. */
  bestEnergy: number | null;
  bestEnergyF32: number | null;
  bestFmax: number | null;
  /** The known minimum, whether it was reached and after how many evaluations per replica. */
  known: (KnownMinimum & GoalStatus) | null;
  target: GoalStatus | null;
  distinctMinima: number;
  archiveCapacity: number;
  evaluations: { perReplica: number; total: number };
  wallSeconds: number;
  minima: SummaryMinimum[];
}

/** trace.json: one point per sync, for plotting best energy against evaluations per replica. */
export interface SearchTrace {
  system: string;
  method: Method;
  replicas: number;
  /** What the point fields mean, for whoever opens the file. */
  evaluations: string;
  bestEnergy: string;
  points: TracePoint[];
}

/** Everything about a run worth keeping besides the structures, as plain JSON values. */
export function searchSummary(result: SearchResult): SearchSummary {
  const { options } = result;
  const best = result.minima[0];
  return {
    system: options.system.name,
    nAtoms: options.system.nAtoms,
    method: options.method,
    replicas: options.replicas,
    maxEvaluations: options.maxEvaluations,
    seed: options.seed,
    checkpoint: options.checkpoint ?? null,
    options: {
      ...options.sweeps,
      settings: options.settings,
      maxStep: methodSpec(options.system, options.settings, options.learned).local.maxStep,
      target: options.target ?? null,
      stopAtKnown: options.stopAtKnown,
      syncEvery: options.syncEvery,
      logCapacity: options.logCapacity,
      keep: options.keep,
    },
    adapter: result.adapter,
    stopReason: result.stopReason,
    ...(result.error === undefined ? {} : { error: errorMessage(result.error) }),
    bestEnergy: best?.energy ?? null,
    bestEnergyF32: best?.energyF32 ?? null,
    bestFmax: best?.fmax ?? null,
    known: result.known ?? null,
    target: result.target ?? null,
    distinctMinima: result.distinctMinima,
    archiveCapacity: result.archiveCapacity,
    evaluations: { perReplica: result.evaluationsPerReplica, total: result.totalEvaluations },
    wallSeconds: result.wallSeconds,
    minima: result.minima.map((m) => ({
      energy: m.energy,
      energyF32: m.energyF32,
      fmax: m.fmax,
      converged: m.converged,
      count: m.count,
      firstEvaluations: m.firstEvaluations,
      replica: m.replica,
    })),
  };
}

export function searchTrace(result: SearchResult): SearchTrace {
  const { options } = result;
  return {
    system: options.system.name,
    method: options.method,
    replicas: options.replicas,
    evaluations: "energy+force evaluations per replica (the most any replica spent)",
    bestEnergy: "lowest energy any replica evaluated so far (f32, GPU)",
    points: result.trace,
  };
}

/** Writes the three files into `dir` (created if needed, files replaced); returns their paths. */
export async function writeSearchOutputs(
  dir: string,
  result: SearchResult,
): Promise<Record<keyof typeof OUTPUT_FILES, string>> {
  await Deno.mkdir(dir, { recursive: true });
  const paths = {
    minima: `${dir}/${OUTPUT_FILES.minima}`,
    summary: `${dir}/${OUTPUT_FILES.summary}`,
    trace: `${dir}/${OUTPUT_FILES.trace}`,
  };
  await Deno.writeTextFile(paths.minima, formatXyz(minimaFrames(result)));
  await Deno.writeTextFile(paths.summary, json(searchSummary(result)));
  await Deno.writeTextFile(paths.trace, json(searchTrace(result)));
  return paths;
}

/** A folder name from a system name ("Au55@set=jaxmd-gold" -> "Au55_set_jaxmd-gold"). */
export function defaultOutputDir(system: System, method: string, seed: number): string {
  return `runs/${system.name.replace(/[^\w.-]+/g, "_")}-${method}-seed${seed}`;
}

function json(value: unknown): string {
  return JSON.stringify(value, null, 2) + "\n";
}

function errorMessage(error: unknown): string {
  return error instanceof Error ? error.message : String(error);
}
