/**
 * What a search leaves in its output folder:
 *   minima.xyz         the reported minima, lowest first, as extended XYZ with f64 forces (ASE
 *                      reads it: `energy` and the `forces` column become the calculator's energy
 *                      and forces, the other keys land in atoms.info)
 *   summary.json       what was run and what came out (`searchSummary`)
 *   trace.json         best energy against evaluations per replica, one point per sync, for plots
 *   state.safetensors  the state to continue from (`--resume`; search_state.ts)
 * Energies and lengths are in the system's units (reduced for LJ; eV and Angstrom otherwise),
 * named in the JSON files' `units`; docs/OUTPUTS.md documents every field. Each file is written
 * atomically (output_files.ts).
 */
import { writeFileAtomic } from "../io/output_files.ts";
import { formatXyz, type XyzFrame } from "../io/xyz.ts";
import type { Units } from "../potentials/potential.ts";
import { potentialUnits } from "../potentials/registry.ts";
import type { ReplicaStatus } from "../core/codes.ts";
import type { System } from "../systems/system.ts";
import type { KnownMinimum } from "../potentials/known_minima.ts";
import {
  type HyperparameterSweeps,
  type Method,
  type MethodSettings,
  methodSpec,
} from "./defaults.ts";
import type { GoalStatus, SearchResult, StopReason, TracePoint } from "./run_search.ts";
import { encodeSearchState, type SearchState, STATE_FILE } from "./search_state.ts";

export const OUTPUT_FILES = {
  minima: "minima.xyz",
  summary: "summary.json",
  trace: "trace.json",
} as const;

/** Files whose presence means a folder holds a search, its saved state first. */
export const SEARCH_RUN_MARKERS = [STATE_FILE, ...Object.values(OUTPUT_FILES)];

/** ASE knows no element "LJ"; "X" (its dummy atom) is what `deno task energy` also reads as LJ. */
function xyzSymbol(element: string): string {
  return element === "LJ" ? "X" : element;
}

/** One frame per reported minimum; `energy` and `forces` are f64 at the reported point. */
export function minimaFrames(result: SearchResult): XyzFrame[] {
  const { system } = result.options;
  return result.minima.map((m, rank) => ({
    symbols: Array.from(m.species, (s) => xyzSymbol(system.elements[s])),
    positions: m.positions,
    forces: m.forces,
    box: system.box,
    info: {
      // The system with its settings (a Gupta parameter set, a box): what `energy` reads it as.
      system: system.name,
      rank: String(rank + 1),
      energy: String(m.energy),
      energy_f32: String(m.energyF32),
      fmax: m.fmax.toExponential(3),
      converged: m.converged ? "T" : "F",
      polished: m.polished ? "T" : "F",
      polish_rejected: m.polishRejected ? "T" : "F",
      refinement_evaluations: String(m.evaluations),
      count: String(m.count),
      first_evaluations: String(m.firstEvaluations),
      replica: String(m.replica),
    },
  }));
}

/** A reported minimum in summary.json (its structure is in minima.xyz, same rank). */
export interface SummaryMinimum {
  /** f64, at the reported point (polished, or as the search left it). */
  energy: number;
  energyF32: number;
  fmax: number;
  converged: boolean;
  /** Whether the point was polished in f64 (the search had brought it below its tolerance). */
  polished: boolean;
  /** A polish went further below the search's energy than the energy tolerance (to a minimum
   * no accepted polish reached) and was discarded: the point is the search's, unpolished. */
  polishRejected: boolean;
  /** f64 evaluations spent reporting it, apart from the search's. */
  refinementEvaluations: number;
  count: number;
  firstEvaluations: number;
  replica: number;
}

/** summary.json: what was run and what came out. Energies in the system's unit. */
export interface SearchSummary {
  system: string;
  nAtoms: number;
  units: Units;
  method: Method;
  replicas: number;
  maxEvaluations: number;
  seed: number;
  /** The learned optimizer's checkpoint, as given (--checkpoint); null for other methods or
   * weights given without a path. */
  checkpoint: string | null;
  /** The structures the replicas started from (--start), as given; null: seeded random ones. */
  start: string | null;
  /** Every setting and per-replica hyperparameter (a sweep as {from, to}) the run used. */
  options: HyperparameterSweeps & {
    /** The method's settings: its driver, local method and (hopping) wrapper settings. */
    settings: MethodSettings;
    /** The largest atom move per step it ran with (a learned optimizer's: its trained one in
     * the system's lengths, unless overridden). */
    maxStep: number;
    target: number | null;
    reference: number | null;
    stopAtKnown: boolean;
    syncEvery: number;
    logCapacity: number;
    keep: number;
  };
  adapter: string;
  layout: string;
  stopReason: StopReason;
  /** Message of what ended a "failed" run. */
  error?: string;
  /** The lowest reported point: its f64 energy, the GPU's f32 one, its f64 fmax, and whether it
   * is a minimum (converged) the search finished (polished). */
  bestEnergy: number | null;
  bestEnergyF32: number | null;
  bestFmax: number | null;
  bestConverged: boolean | null;
  /** The known minimum, whether it was reached and after how many evaluations per replica. */
  known: (KnownMinimum & GoalStatus) | null;
  target: GoalStatus | null;
  reference: GoalStatus | null;
  /** Replicas by how they ended: running, or converged (a local method's fmax). */
  replicaStatus: Record<ReplicaStatus, number>;
  /** Non-finite points the replicas rejected, and how many replicas had any (SearchResult). */
  rejectedNonfinite: { points: number; replicas: number };
  /** Replica exchange: pairs tested and swapped by this run (SearchResult); null without. */
  exchanges: { attempted: number; accepted: number } | null;
  /** Restarts of stale chains (--reseed), from the pool where there is one; null without. */
  reseeds: number | null;
  /** Chains found stale at once by the taboo lists (--taboo); null without. */
  tabooHits: number | null;
  /** Reseeds from the population's pool (--pool) by this run: cut-and-splice children and
   * perturbed pool members (SearchResult); null without a pool. */
  population: { crossovers: number; perturbed: number } | null;
  /** Distinct minima in the GPU's archive (told apart in f32: energy and structure). */
  distinctMinima: number;
  archiveCapacity: number;
  /** Archive entries (and replicas' unlogged bests), lowest first, refined in f64 to report
   * `minima`: more than `minima.length` where several polish to the same minimum; fewer minima
   * than --keep where the archive held fewer or REPORT_EXAMINED_PER_KEPT times keep merged. */
  candidatesExamined: number;
  /** The search's energy+force evaluations; `refinement`: f64 ones spent reporting minima. */
  evaluations: { perReplica: number; total: number; refinement: number };
  wallSeconds: number;
  minima: SummaryMinimum[];
}

/** trace.json: one point per sync, for plotting best energy against evaluations per replica. */
export interface SearchTrace {
  system: string;
  units: Units;
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
    units: potentialUnits(options.system.potential),
    method: options.method,
    replicas: options.replicas,
    maxEvaluations: options.maxEvaluations,
    seed: options.seed,
    checkpoint: options.checkpoint ?? null,
    start: options.startFile ?? null,
    options: {
      ...options.sweeps,
      settings: options.settings,
      maxStep: methodSpec(options.system, options.settings, options.learned).local.maxStep,
      target: options.target ?? null,
      reference: options.reference ?? null,
      stopAtKnown: options.stopAtKnown,
      syncEvery: options.syncEvery,
      logCapacity: options.logCapacity,
      keep: options.keep,
    },
    adapter: result.adapter,
    layout: result.layout,
    stopReason: result.stopReason,
    ...(result.error === undefined ? {} : { error: errorMessage(result.error) }),
    bestEnergy: best?.energy ?? null,
    bestEnergyF32: best?.energyF32 ?? null,
    bestFmax: best?.fmax ?? null,
    bestConverged: best?.converged ?? null,
    known: result.known ?? null,
    target: result.target ?? null,
    reference: result.reference ?? null,
    replicaStatus: result.replicaStatus,
    rejectedNonfinite: result.rejectedNonfinite,
    exchanges: result.exchanges,
    reseeds: result.reseeds,
    tabooHits: result.tabooHits,
    population: result.population,
    distinctMinima: result.distinctMinima,
    archiveCapacity: result.archiveCapacity,
    candidatesExamined: result.candidatesExamined,
    evaluations: {
      perReplica: result.evaluationsPerReplica,
      total: result.totalEvaluations,
      refinement: result.refinementEvaluations,
    },
    wallSeconds: result.wallSeconds,
    minima: result.minima.map((m) => ({
      energy: m.energy,
      energyF32: m.energyF32,
      fmax: m.fmax,
      converged: m.converged,
      polished: m.polished,
      polishRejected: m.polishRejected,
      refinementEvaluations: m.evaluations,
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
    units: potentialUnits(options.system.potential),
    method: options.method,
    replicas: options.replicas,
    evaluations: "energy+force evaluations per replica (the most any replica spent)",
    bestEnergy: "lowest energy any replica evaluated so far (f32, GPU)",
    points: result.trace,
  };
}

/** Writes the three files into `dir` (created if needed, files replaced atomically); returns
 * their paths. */
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
  await writeFileAtomic(paths.minima, formatXyz(minimaFrames(result)));
  await writeFileAtomic(paths.summary, json(searchSummary(result)));
  await writeFileAtomic(paths.trace, json(searchTrace(result)));
  return paths;
}

/** Writes a search's state into `dir` (atomically: a crash leaves the previous one). */
export async function writeSearchState(dir: string, state: SearchState): Promise<void> {
  await writeFileAtomic(`${dir}/${STATE_FILE}`, encodeSearchState(state));
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
