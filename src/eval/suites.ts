/**
 * Named evaluation suites: which systems, how many replicas, what budget per replica, and the
 * basin-hopping tuning grid and budget. "quick" takes a few minutes on 2 CPU cores (llvmpipe; the
 * first run also compiles a kernel per system and method, which Mesa then caches); the others are
 * sized for a GPU and take tens of minutes to hours on a CPU (--replicas and --max-evals scale
 * them down).
 */
import { UserError } from "../core/errors.ts";
import type { EvalMethod } from "./eval_methods.ts";
import type { TuningGrid } from "./tuning.ts";

export interface Suite {
  name: string;
  description: string;
  systems: string[];
  replicas: number;
  /** Evaluations per replica, for every method. */
  maxEvaluations: number;
  /** The methods compared without --methods; absent: DEFAULT_EVAL_METHODS (src/eval/run_eval.ts),
   * the learned optimizer against its untrained start and the baselines. */
  methods?: readonly EvalMethod[];
  /** Basin-hopping tuning on the training systems: the grid and each point's search, on at most
   * `maxSystems` of them (spread over the list) when given. */
  tuning: TuningGrid & { replicas: number; maxEvaluations: number; maxSystems?: number };
}

/** FIRE and L-BFGS, each hopping at the old 1e-3 and the default 0.03, without and with half
 * surface moves; Wales & Doye's dr = 0.36 sigma with a smaller and a larger one; kT x 0.5, 1
 * and 2. */
const FULL_GRID: TuningGrid = {
  locals: ["fire", "lbfgs"],
  hopFmax: [1e-3, 0.03],
  surfaceShares: [0, 0.5],
  drSigma: [0.25, 0.36, 0.5],
  temperatureFactors: [0.5, 1, 2],
};
const FULL_TUNING = { ...FULL_GRID, replicas: 64, maxEvaluations: 2000 };

/** The full grid's dimensions but the temperature, at a budget a CPU runs in minutes: what the
 * held-out suites tune basin hopping with (24 points on two training systems). */
const HELD_OUT_TUNING = {
  ...FULL_GRID,
  temperatureFactors: [1],
  replicas: 32,
  maxEvaluations: 1000,
  maxSystems: 2,
};

const SUITE_LIST: Suite[] = [
  {
    name: "quick",
    description: "a few minutes on a CPU: LJ13, LJ19 and Au13, which the default checkpoint " +
      "(checkpoints/hopper.safetensors) never saw",
    systems: ["LJ13", "LJ19", "Au13"],
    replicas: 64,
    maxEvaluations: 2000,
    // Every dimension of the full grid but the hop size and temperature (one kernel per local
    // method, tolerance and move mix, so few compilations on llvmpipe), on two training systems.
    tuning: {
      locals: ["fire", "lbfgs"],
      hopFmax: [1e-3, 0.03],
      surfaceShares: [0, 0.5],
      drSigma: [0.36],
      temperatureFactors: [1],
      replicas: 32,
      maxEvaluations: 500,
      maxSystems: 2,
    },
  },
  {
    name: "lj-heldout",
    description: "what checkpoints/lj-hopper.safetensors (trained on LJ10-12, 14-18, 20) never " +
      "saw: LJ13, LJ19 and LJ26 at 5,000 evaluations; tens of minutes on a CPU",
    systems: ["LJ13", "LJ19", "LJ26"],
    replicas: 256,
    maxEvaluations: 5000,
    tuning: HELD_OUT_TUNING,
  },
  {
    name: "gupta-heldout",
    description: "elements checkpoints/gupta-hopper.safetensors (trained on Cu and Ag) never " +
      "saw: Au13, Pt13 and Pd13; tens of minutes on a CPU",
    systems: ["Au13", "Pt13", "Pd13"],
    replicas: 256,
    maxEvaluations: 2000,
    tuning: HELD_OUT_TUNING,
  },
  {
    name: "bimetallic-heldout",
    description: "alloys checkpoints/bimetallic-hopper.safetensors (trained on Ag-Au) never " +
      "saw: Pd6Pt7 and Cu6Ag7; tens of minutes on a CPU",
    systems: ["Pd6Pt7", "Cu6Ag7"],
    replicas: 256,
    maxEvaluations: 2000,
    tuning: HELD_OUT_TUNING,
  },
  {
    name: "lj",
    description: "Lennard-Jones clusters with known global minima, up to the LJ38 double funnel",
    systems: ["LJ13", "LJ19", "LJ26", "LJ38", "LJ55"],
    replicas: 256,
    maxEvaluations: 20_000,
    tuning: FULL_TUNING,
  },
  {
    name: "gupta",
    description: "Gupta (Cleri-Rosato) Au, Ag, Cu, Pt and Pd clusters of 13, 19, 38 and 55 atoms",
    systems: ["Au", "Ag", "Cu", "Pt", "Pd"].flatMap((e) => [13, 19, 38, 55].map((n) => `${e}${n}`)),
    replicas: 256,
    maxEvaluations: 10_000,
    tuning: FULL_TUNING,
  },
  {
    name: "bimetallic",
    description: "Ag-Au, Pd-Pt and Cu-Ag clusters: three compositions of 13 atoms, one of 38",
    systems: [["Ag", "Au"], ["Pd", "Pt"], ["Cu", "Ag"]].flatMap(([a, b]) => [
      `${a}3${b}10`,
      `${a}6${b}7`,
      `${a}10${b}3`,
      `${a}19${b}19`,
    ]),
    replicas: 256,
    maxEvaluations: 10_000,
    tuning: FULL_TUNING,
  },
  {
    name: "si",
    description: "Stillinger-Weber silicon in a periodic box at diamond density from random " +
      "starts: basin hopping on its defaults, a melt-quench anneal and random restarts (with " +
      "--checkpoint si-hopper --methods learned,... the silicon hopper); 8 minutes on a CPU. " +
      "--systems Si216 needs --layout workgroup on a CPU, where its anneal and restarts do " +
      "not fit the loop budget (scripts/mirror_anneal.ts runs that anneal in f64)",
    systems: ["Si64"],
    replicas: 64,
    maxEvaluations: 20_000,
    methods: ["default-bh", "anneal", "random"],
    tuning: FULL_TUNING,
  },
  {
    name: "generalization",
    description: "held out from the per-atom MLP's training family LJ10-16: larger LJ clusters, " +
      "unseen elements and a composition",
    systems: ["LJ19", "LJ26", "Au13", "Ag13", "Ag6Au7"],
    replicas: 256,
    maxEvaluations: 10_000,
    tuning: FULL_TUNING,
  },
];

export const SUITES: Readonly<Record<string, Suite>> = Object.fromEntries(
  SUITE_LIST.map((suite) => [suite.name, suite]),
);

export const SUITE_NAMES: readonly string[] = SUITE_LIST.map((suite) => suite.name);

/** The hard suite (src/eval/hard.ts) is run and reported its own way: per run and per batch,
 * over seeds, beside GMIN. */
export const HARD_SUITE_NAME = "hard";

/** The suite called `name`, or a UserError listing them. */
export function suiteByName(name: string): Suite {
  if (!Object.hasOwn(SUITES, name)) {
    const known = [...SUITE_NAMES, HARD_SUITE_NAME].join(", ");
    throw new UserError(`unknown suite '${name}' (known: ${known})`);
  }
  return SUITES[name];
}
