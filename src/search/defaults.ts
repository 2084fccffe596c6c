/**
 * The search methods by name, their settings as a discriminated union on the driver, the default
 * settings and per-replica hyperparameters per method and system, and the sweeps that spread one
 * hyperparameter over the replicas of a batch. Lengths and energies are in the system's units:
 * reduced (sigma, epsilon) for LJ, Angstrom and eV for Gupta and silicon.
 */
import { UserError } from "../core/errors.ts";
import type { LearnedOptimizer } from "../learned/learned_optimizer.ts";
import {
  DEFAULT_MAX_STEP,
  DEFAULT_STEP,
  defaultLocalSettings,
  isLocalMethodName,
  localMethod,
  localMethodEntry,
  type LocalSettings,
} from "../methods/registry.ts";
import {
  DEFAULT_HOP_LOCAL,
  defaultHopping,
  defaultMoves,
  DR_PER_BOND_LENGTH,
} from "../methods/basin_hopping.ts";
import type { HoppingSettings, MethodSpec, MoveWeights } from "../methods/method_spec.ts";
import { hopTemperature, meltTemperature } from "../potentials/registry.ts";
import type { System } from "../systems/system.ts";

export { DEFAULT_STEP } from "../methods/registry.ts";
export {
  DEFAULT_ADAPT_FACTOR,
  DEFAULT_ADAPT_INTERVAL,
  DEFAULT_HOP_FMAX,
  DEFAULT_HOP_LOCAL,
  DEFAULT_RELAX_STEP_CAP,
  defaultHopping,
  defaultMoves,
  DR_PER_BOND_LENGTH,
  SURFACE_OFFSET_PER_BOND_LENGTH,
} from "../methods/basin_hopping.ts";

export const METHODS = [
  "gd",
  "adam",
  "fire",
  "lbfgs",
  "anneal",
  "bh",
  "random",
  "learned",
] as const;
export type Method = typeof METHODS[number];

/** Settings of a search's method, by what drives the local method (src/methods/method_spec.ts):
 * plain data, recorded in summary.json. */
export type MethodSettings =
  | { driver: "local"; local: LocalSettings; fmax: number; containerRadius: number }
  | { driver: "hopping"; local: LocalSettings; hopping: HoppingSettings; containerRadius: number }
  | {
    /** A learned optimizer: its architecture says what the kernel runs (free-running steps, or
     * basin hopping with learned decisions). */
    driver: "learned";
    /** The largest move per step (length); undefined: the checkpoint's trained one. */
    maxStep?: number;
    fmax: number;
    containerRadius: number;
  };

/** Budget per replica: LJ38 basin hopping from random starts typically needs 1e4 to 1e6. */
export const DEFAULT_MAX_EVALUATIONS = 100_000;

/** Convergence of a local relaxation, and of the minima the learned optimizer logs. */
export const DEFAULT_FMAX = 1e-3;

/** The default settings of `method` on `system` for a search of `maxEvaluations` per replica
 * (the anneal cools over ANNEAL_SHARE of them). */
export function defaultSettings(
  system: System,
  method: Method,
  maxEvaluations = DEFAULT_MAX_EVALUATIONS,
): MethodSettings {
  const containerRadius = 0;
  if (method === "learned") return { driver: "learned", fmax: DEFAULT_FMAX, containerRadius };
  if (isLocalMethodName(method)) {
    const local = defaultLocalSettings(method, DEFAULT_MAX_STEP, maxEvaluations);
    return { driver: "local", local, fmax: DEFAULT_FMAX, containerRadius };
  }
  const moves: MoveWeights = method === "random" ? { restart: 1 } : defaultMoves(system);
  return {
    driver: "hopping",
    local: defaultLocalSettings(DEFAULT_HOP_LOCAL, DEFAULT_MAX_STEP),
    hopping: defaultHopping(system, moves),
    containerRadius,
  };
}

/** What the kernel runs for these settings; the learned driver needs its optimizer. */
export function methodSpec(
  system: System,
  settings: MethodSettings,
  learned?: LearnedOptimizer,
): MethodSpec {
  if (settings.driver === "learned") {
    if (learned === undefined) {
      throw new UserError("the learned method needs weights (a checkpoint: --checkpoint FILE)");
    }
    return learned.spec(system, settings);
  }
  const local = localMethod(settings.local);
  if (settings.driver === "local") {
    return {
      local,
      driver: { mode: "local", fmax: settings.fmax },
      containerRadius: settings.containerRadius,
    };
  }
  return {
    local,
    driver: { mode: "hopping", hopping: settings.hopping },
    containerRadius: settings.containerRadius,
  };
}

/** A per-replica value: the same for every replica, or spread linearly from `from` (replica 0)
 * to `to` (the last replica), so one batch can scan a hyperparameter. */
export type Sweep = number | { from: number; to: number };

/** Replica r of B gets from + (to - from) r / (B - 1); a single replica gets `from`. */
export function sweepValue(sweep: Sweep, replica: number, replicas: number): number {
  if (typeof sweep === "number") return sweep;
  if (replicas === 1) return sweep.from;
  return sweep.from + (sweep.to - sweep.from) * replica / (replicas - 1);
}

/** The hyperparameters a batch may vary between replicas. */
export interface HyperparameterSweeps {
  /** GD step (length^2 / energy), Adam learning rate (length), FIRE dt_start (unit masses),
   * L-BFGS's H0 (length^2 / energy). */
  step: Sweep;
  /** Basin hopping: largest displacement per coordinate of a uniform move (length). */
  dr: Sweep;
  /** Basin hopping: Metropolis temperature kT (energy). */
  temperature: Sweep;
}

/** Default per-replica hyperparameters; dr and temperature are 0 (unused) except for basin
 * hopping and the learned method (basin hopping's, which a learned hopper's decisions scale; the
 * per-step architecture uses none of them), and the anneal's temperature (its melt). */
export function defaultSweeps(system: System, settings: MethodSettings): HyperparameterSweeps {
  const hopping = settings.driver === "learned" ||
    (settings.driver === "hopping" && !settings.hopping.moves.restart);
  return {
    step: DEFAULT_STEP[settings.driver === "learned" ? DEFAULT_HOP_LOCAL : settings.local.method],
    dr: hopping ? DR_PER_BOND_LENGTH * system.bondLength : 0,
    temperature: hopping
      ? hopTemperature(system.potential)
      : settings.driver === "local" && localMethodEntry(settings.local.method).melts
      ? meltTemperature(system.potential)
      : 0,
  };
}
