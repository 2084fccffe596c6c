/**
 * The hard suite: where global optimization is judged (LJ38's double funnel, LJ55, LJ75 and
 * 38-atom metal clusters and an alloy), our searches beside GMIN, in the two views that matter:
 * - per run: the fraction of runs that reached the global minimum within 2e4, 5e4, 1e5 and 1e6
 *   energy+force evaluations, where one of our replicas is one run, as one GMIN run is;
 * - per batch: the work (evaluations summed over every replica of the batch) and the wall time to
 *   the first global minimum found by ANY replica, median and quartiles over seeds; a GMIN run is a
 *   batch of one. Cooperating replicas must be judged this way, and so must any claim of speed.
 * A run or batch that never got there within its budget counts as not reached (Infinity in the
 * medians, which then read "> budget"); failed replicas cannot hide: none stops (non-finite
 * points are rejected and counted in the table).
 */
import { UserError } from "../core/errors.ts";
import { median, quantile, sortedCopy } from "../core/statistics.ts";
import type { LearnedOptimizer } from "../learned/learned_optimizer.ts";
import {
  defaultSettings,
  defaultSweeps,
  type Method,
  METHODS,
  type MethodSettings,
} from "../search/defaults.ts";
import {
  DEFAULT_REPLICAS,
  knownGoal,
  type SearchOptions,
  searchOptions,
  type SearchResult,
} from "../search/run_search.ts";
import { DEFAULT_CROSSOVER } from "../search/population.ts";
import type { KnownMinimum } from "../potentials/known_minima.ts";
import type { System } from "../systems/system.ts";
import { GMIN_MODE_LABELS, GMIN_MODES, type GminRun, publishedLj38Runs, runGmin } from "./gmin.ts";
import { textTable } from "./report.ts";
import type { SearchRunner } from "./search_runner.ts";

/** The per-run budgets of GMIN's published table (energy+gradient calls). */
export const HARD_BUDGETS = [2e4, 5e4, 1e5, 1e6] as const;

/** The hard suite's systems: LJ with CCD minima, then Gupta clusters and an alloy whose
 * references are pooled searches (data/pooled_minima.json) until a published minimum is found. */
export const HARD_SYSTEMS = ["LJ38", "LJ55", "LJ75", "Au38", "Pt38", "Pd19Pt19"] as const;

/** Basin hopping as it was before the symmetrise and inversion moves joined its default mix:
 * their shares given back to the uniform and surface moves (the baseline they are judged
 * against); a box's bond switches and kicks given back to the uniform moves. */
export const CLASSIC_BH = "bh-classic";
/** Basin hopping tuned for clusters whose minima are centrosymmetric (LJ38's truncated
 * octahedron; GMIN's CSM input guides by the inversion group too): INVERSION_SHARE of the hops
 * inversion moves, the default mix's other moves sharing the rest, at INVERSION_TEMPERATURE_SCALE
 * times the default temperature (tuned on LJ38, docs/RESULTS.md). */
export const INVERSION_BH = "bh-inversion";
export const INVERSION_SHARE = 0.6;
export const INVERSION_TEMPERATURE_SCALE = 1.5;
/** Default basin hopping as a population (src/search/population.ts): a chain stale for
 * POPULATION_RESEED hops is reseeded from the batch's POPULATION_POOL lowest distinct minima (at
 * most the batch), half by cut-and-splice crossover (clusters), half from perturbed members. */
export const POPULATION_BH = "bh-pool";
export const POPULATION_RESEED = 20;
export const POPULATION_POOL = 8;

type HoppingSettings = Extract<MethodSettings, { driver: "hopping" }>["hopping"];

/** The hard suite's variants of default basin hopping: its hopping settings and temperature. */
const BH_VARIANTS: Record<
  string,
  (system: System, hopping: HoppingSettings, replicas: number) => {
    hopping: HoppingSettings;
    temperatureScale?: number;
  }
> = {
  [CLASSIC_BH]: (_system, hopping) => {
    const { symmetrise, inversion, bond_switch, kick, ...rest } = hopping.moves;
    const half = ((symmetrise ?? 0) + (inversion ?? 0)) / 2;
    const network = (bond_switch ?? 0) + (kick ?? 0);
    const moves = {
      ...rest,
      ...(rest.uniform === undefined ? {} : { uniform: rest.uniform + half + network }),
      ...(rest.surface === undefined ? {} : { surface: rest.surface + half }),
    };
    return { hopping: { ...hopping, moves } };
  },
  [INVERSION_BH]: (system, hopping) => {
    if (system.box !== undefined) return { hopping };
    const { inversion: _inversion, ...rest } = hopping.moves;
    const total = Object.values(rest).reduce((sum, weight) => sum + weight, 0);
    const moves = Object.fromEntries(
      Object.entries(rest).map(([name, weight]) => [name, (1 - INVERSION_SHARE) * weight / total]),
    );
    return {
      hopping: { ...hopping, moves: { ...moves, inversion: INVERSION_SHARE } },
      temperatureScale: INVERSION_TEMPERATURE_SCALE,
    };
  },
  [POPULATION_BH]: (system, hopping, replicas) => ({
    hopping: {
      ...hopping,
      reseedHops: POPULATION_RESEED,
      pool: {
        size: Math.min(POPULATION_POOL, replicas),
        crossover: system.box === undefined ? DEFAULT_CROSSOVER : 0,
      },
    },
  }),
};

/** What the hard suite can run: every search method and the variants of basin hopping. */
export const HARD_SEARCHES: readonly string[] = [...METHODS, ...Object.keys(BH_VARIANTS)];

/** The search options of `search` (a HARD_SEARCHES name) on `system`, with `overrides`. */
export function hardSearchOptions(
  system: System,
  search: string,
  overrides: Partial<SearchOptions>,
): SearchOptions {
  const variant = BH_VARIANTS[search];
  if (variant === undefined) return searchOptions(system, search as Method, overrides);
  const settings = defaultSettings(system, "bh");
  if (settings.driver !== "hopping") throw new Error("basin hopping without a hopping driver");
  const { hopping, temperatureScale = 1 } = variant(
    system,
    settings.hopping,
    overrides.replicas ?? DEFAULT_REPLICAS,
  );
  const changed = { ...settings, hopping };
  const sweeps = defaultSweeps(system, changed);
  return searchOptions(system, "bh", {
    ...overrides,
    settings: changed,
    sweeps: { ...sweeps, temperature: (sweeps.temperature as number) * temperatureScale },
  });
}

/** Sized for 2 CPU cores (minutes per system and method); --replicas, --max-evals and --seeds
 * scale it up on a GPU. GMIN: runs per input, and seconds before a run counts as not reached. */
export const HARD_DEFAULTS = {
  methods: ["bh", CLASSIC_BH],
  replicas: 16,
  maxEvaluations: 50_000,
  seeds: 10,
  gminRuns: 10,
  gminTimeoutSeconds: 60,
} as const;

export interface HardGminOptions {
  /** Path of the peer's run.sh (../shared/peers/gmin/ in our workspace). */
  script: string;
  runs: number;
  timeoutSeconds: number;
}

export interface HardOptions {
  systems: System[];
  /** HARD_SEARCHES names. */
  methods: string[];
  replicas: number;
  /** Evaluations per replica. */
  maxEvaluations: number;
  /** One batch per seed. */
  seeds: number[];
  learned?: LearnedOptimizer;
  /** GMIN measured beside ours (LJ systems only: its inputs are for LJ); absent: skipped. */
  gmin?: HardGminOptions;
}

/** Median and quartiles; Infinity where more than that share never got there. */
export interface Quartiles {
  q25: number;
  median: number;
  q75: number;
}

export interface HardRow {
  /** Our method's name, or GMIN's input. */
  label: string;
  source: "ours" | "gmin-published" | "gmin-measured";
  /** Replicas per batch (1 for GMIN). */
  batchSize: number;
  /** Runs in all: replicas times seeds, or GMIN runs. */
  runs: number;
  /** Per run: the fraction that reached the minimum within each of HARD_BUDGETS evaluations;
   * null where a budget exceeds what every run was given. */
  within: (number | null)[];
  /** Per run: median evaluations to the first hit (Infinity: most never got there). */
  runMedian: number;
  /** Evaluations each run was given (GMIN: its time limit instead; null). */
  runBudget: number | null;
  /** Per batch: how many of them reached the minimum, their work (evaluations summed over the
   * batch) and wall seconds to the first hit. */
  batches: number;
  batchesReached: number;
  batchWork: Quartiles;
  batchSeconds: Quartiles;
  /** Our searches: all replicas' evaluations per second, and the non-finite points rejected. */
  evaluationsPerSecond: number | null;
  rejectedNonfinite: number | null;
}

export interface HardSystemResult {
  system: string;
  nAtoms: number;
  reference: KnownMinimum;
  /** GMIN's rows first (published, measured), then ours. */
  rows: HardRow[];
}

export interface HardReport {
  adapter: string;
  layout: string;
  replicas: number;
  maxEvaluations: number;
  seeds: number[];
  budgets: readonly number[];
  systems: HardSystemResult[];
}

export interface HardProgress {
  log(line: string): void;
}

/** The reference a hard system is measured against: a UserError if it has none. */
export function hardReference(system: System): KnownMinimum {
  const known = knownGoal(system);
  if (known === undefined) {
    throw new UserError(
      `${system.name} has no reference minimum for the hard suite (run: deno task reference ` +
        `${system.name})`,
    );
  }
  return known;
}

export async function runHardEvaluation(
  options: HardOptions,
  searches: SearchRunner,
  progress: HardProgress,
): Promise<HardReport> {
  const systems: HardSystemResult[] = [];
  for (const system of options.systems) {
    const reference = hardReference(system);
    const rows: HardRow[] = [];
    if (system.name === "LJ38") {
      const published = publishedLj38Runs();
      for (const mode of GMIN_MODES) {
        rows.push(
          gminRow(`${GMIN_MODE_LABELS[mode]} (published)`, "gmin-published", published[mode]),
        );
      }
    }
    if (options.gmin !== undefined && system.potential.kind === "lj") {
      for (const mode of GMIN_MODES) {
        progress.log(`${system.name}: GMIN ${mode}, ${options.gmin.runs} runs`);
        const runs = await runGmin({
          script: options.gmin.script,
          mode,
          nAtoms: system.nAtoms,
          target: reference.energy,
          runs: options.gmin.runs,
          firstSeed: 42,
          timeoutSeconds: options.gmin.timeoutSeconds,
        });
        rows.push(gminRow(`${GMIN_MODE_LABELS[mode]} (this machine)`, "gmin-measured", runs));
      }
    }
    for (const method of options.methods) {
      const batch = options.seeds.map((seed) =>
        hardSearchOptions(system, method, {
          replicas: options.replicas,
          maxEvaluations: options.maxEvaluations,
          seed,
          learned: method === "learned" ? options.learned : undefined,
        })
      );
      const results = await searches.runAll(batch, (k, result) => {
        const hit = result.known?.evaluationsPerReplica;
        progress.log(
          `${system.name} ${method} seed ${options.seeds[k]}: ` +
            (hit == null
              ? "no global minimum"
              : `first global minimum after ${hit * options.replicas} evaluations summed`) +
            ` (${result.wallSeconds.toFixed(1)} s)`,
        );
      });
      rows.push(ourRow(method, results, options));
    }
    systems.push({ system: system.name, nAtoms: system.nAtoms, reference, rows });
  }
  return {
    adapter: searches.adapter,
    layout: searches.layout,
    replicas: options.replicas,
    maxEvaluations: options.maxEvaluations,
    seeds: options.seeds,
    budgets: HARD_BUDGETS,
    systems,
  };
}

function quartiles(values: number[]): Quartiles {
  const sorted = sortedCopy(values);
  return {
    q25: quantile(sorted, 0.25),
    median: quantile(sorted, 0.5),
    q75: quantile(sorted, 0.75),
  };
}

function gminRow(label: string, source: HardRow["source"], runs: GminRun[]): HardRow {
  const calls = runs.map((run) => run.calls ?? Infinity);
  return {
    label,
    source,
    batchSize: 1,
    runs: runs.length,
    within: HARD_BUDGETS.map((budget) => calls.filter((c) => c <= budget).length / runs.length),
    runMedian: median(calls),
    runBudget: null,
    batches: runs.length,
    batchesReached: calls.filter(Number.isFinite).length,
    batchWork: quartiles(calls),
    batchSeconds: quartiles(runs.map((run) => run.calls === null ? Infinity : run.seconds)),
    evaluationsPerSecond: null,
    rejectedNonfinite: null,
  };
}

/** Seconds into the search when its replicas had spent `evaluations` each: interpolated between
 * the syncs around it (replicas advance in lockstep at a steady rate). */
export function secondsAt(result: SearchResult, evaluations: number): number {
  let previous = { evaluations: 0, seconds: 0 };
  for (const point of result.trace) {
    if (point.evaluations >= evaluations) {
      const span = point.evaluations - previous.evaluations;
      const share = span > 0 ? (evaluations - previous.evaluations) / span : 1;
      return previous.seconds + share * (point.seconds - previous.seconds);
    }
    previous = point;
  }
  return previous.seconds;
}

function ourRow(method: string, results: SearchResult[], options: HardOptions): HardRow {
  const hits = results.flatMap((result) => Array.from(result.replicaFirstHits ?? []));
  const runs = results.length * options.replicas;
  const work: number[] = [];
  const seconds: number[] = [];
  for (const result of results) {
    const perReplica = result.known?.evaluationsPerReplica ?? null;
    // Replicas advance in lockstep: the batch had spent replicas times the first hitter's count.
    work.push(perReplica === null ? Infinity : perReplica * options.replicas);
    seconds.push(perReplica === null ? Infinity : secondsAt(result, perReplica));
  }
  const evaluations = results.reduce((sum, r) => sum + r.totalEvaluations, 0);
  const searchSeconds = results.reduce((sum, r) => sum + r.wallSeconds, 0);
  return {
    label: method,
    source: "ours",
    batchSize: options.replicas,
    runs,
    within: HARD_BUDGETS.map((budget) =>
      budget <= options.maxEvaluations ? hits.filter((h) => h <= budget).length / runs : null
    ),
    runMedian: median(hits.concat(Array(runs - hits.length).fill(Infinity))),
    runBudget: options.maxEvaluations,
    batches: results.length,
    batchesReached: work.filter(Number.isFinite).length,
    batchWork: quartiles(work),
    batchSeconds: quartiles(seconds),
    evaluationsPerSecond: evaluations / searchSeconds,
    rejectedNonfinite: results.reduce((sum, r) => sum + r.rejectedNonfinite.points, 0),
  };
}

function percent(value: number | null): string {
  return value === null ? "-" : `${(100 * value).toFixed(0)}%`;
}

function count(value: number, budget: string): string {
  if (!Number.isFinite(value)) return `> ${budget}`;
  return Math.round(value).toLocaleString("en-US");
}

function seconds(value: number): string {
  if (!Number.isFinite(value)) return "-";
  return value < 10 ? value.toFixed(2) : value.toFixed(0);
}

/** One table per system: GMIN's rows above ours. */
export function hardTable(result: HardSystemResult, report: HardReport): string {
  const headers = [
    "search",
    "batch",
    "runs",
    ...HARD_BUDGETS.map((b) => `within ${b.toExponential(0).replace("+", "")}`),
    "run median",
    "batches reached",
    "batch work to 1st hit: median [q25, q75]",
    "batch s: median [q25, q75]",
    "non-finite",
  ];
  const rows = result.rows.map((row) => {
    const runBudget = row.runBudget === null ? "limit" : count(row.runBudget, "");
    const batchBudget = row.runBudget === null ? "limit" : count(row.runBudget * row.batchSize, "");
    const w = row.batchWork;
    const s = row.batchSeconds;
    return [
      row.label,
      String(row.batchSize),
      String(row.runs),
      ...row.within.map(percent),
      count(row.runMedian, runBudget),
      `${row.batchesReached}/${row.batches}`,
      `${count(w.median, batchBudget)} [${count(w.q25, batchBudget)}, ${
        count(w.q75, batchBudget)
      }]`,
      `${seconds(s.median)} [${seconds(s.q25)}, ${seconds(s.q75)}]`,
      row.rejectedNonfinite === null ? "-" : String(row.rejectedNonfinite),
    ];
  });
  const reference = result.reference;
  return [
    `### ${result.system}: reference ${reference.energy} (${reference.kind}: ${reference.description})`,
    "",
    textTable(headers, rows, [false, ...Array(headers.length - 1).fill(true)]),
    "",
    `Ours: ${report.replicas} replicas per batch, ${
      report.maxEvaluations.toLocaleString("en-US")
    } ` +
    `evaluations per replica, seeds ${report.seeds.join(",")}.`,
  ].join("\n");
}

export function hardMarkdown(report: HardReport): string {
  return [
    "# Hard landscapes: our searches beside GMIN",
    "",
    `Adapter: ${report.adapter} (${report.layout} layout). Per run: the share of runs (one replica, ` +
    "or one GMIN run) that reached the reference within each budget of energy+force evaluations " +
    "(- where the runs were given less). Per batch: evaluations summed over every replica of a " +
    "batch, and wall seconds, until ANY replica first reached it, over the batches (seeds; each " +
    "GMIN run is a batch of one); '> N' where most never did within N. GMIN's published " +
    "seconds are from its authors' machine.",
    "",
    ...report.systems.flatMap((system) => [hardTable(system, report), ""]),
  ].join("\n");
}
