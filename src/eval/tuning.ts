/**
 * Basin hopping tuned before it is compared: a small grid over its local method, hop tolerance,
 * share of surface moves, hop size and temperature, run on the learned optimizer's TRAINING
 * systems (its checkpoint's config) of the families evaluated (tuningSystems), never on the
 * evaluated systems themselves, each point a short search from
 * seeded random starts. The point with the lowest mean best energy
 * per atom (mean over the systems of the mean over the replicas) is chosen, so basin hopping gets
 * the same chance to fit the training family as the learned optimizer had.
 *
 * Hop sizes are given in sigma-equivalents, sigma being the LJ length with bond length
 * 2^(1/6) sigma: dr = drSigma * bondLength / 2^(1/6) for any system (0.36 is Wales & Doye's LJ
 * value). Temperatures are factors of the potential's basin-hopping kT (0.8 epsilon for LJ).
 * Basin hopping still adapts dr during the run (DEFAULT_ADAPT_INTERVAL); the grid sets its start.
 * The surface share is the weight of surface moves against uniform ones (bimetallics keep their
 * swaps, periodic systems have no surface moves: defaultMoves).
 */
import type { LocalMethodName } from "../methods/registry.ts";
import type { MoveWeights } from "../methods/method_spec.ts";
import { defaultLocalSettings } from "../methods/registry.ts";
import { hopTemperature } from "../potentials/registry.ts";
import {
  defaultHopping,
  defaultMoves,
  defaultSettings,
  defaultSweeps,
  type HyperparameterSweeps,
  type MethodSettings,
} from "../search/defaults.ts";
import { searchOptions } from "../search/run_search.ts";
import type { SearchRunner } from "./search_runner.ts";
import { Rng } from "../core/rng.ts";
import { parseSystem, type System } from "../systems/system.ts";
import { mean } from "../core/statistics.ts";
import { familyOf } from "../learned/coverage.ts";

/** Sigma per bond length: the LJ bond length is 2^(1/6) sigma. */
export const SIGMA_PER_BOND_LENGTH = 2 ** (-1 / 6);

/** The values tried: every hop size with every temperature factor. */
export interface TuningGrid {
  locals: LocalMethodName[];
  hopFmax: number[];
  surfaceShares: number[];
  drSigma: number[];
  temperatureFactors: number[];
}

export interface TuningOptions extends TuningGrid {
  /** The training systems (names). */
  systems: string[];
  replicas: number;
  maxEvaluations: number;
  /** Seeds the starts and streams (`tuningSeed` of the evaluation's seed). */
  seed: number;
}

/** One grid point's basin-hopping settings. */
export interface BhChoice {
  local: LocalMethodName;
  hopFmax: number;
  /** Surface moves' share of the surface + uniform moves. */
  surfaceShare: number;
  drSigma: number;
  temperatureFactor: number;
}

export interface TuningPoint extends BhChoice {
  /** Mean over the systems of the mean replica best energy per atom (f32); lower is better. */
  score: number;
  perSystem: Record<string, number>;
}

export interface BhTuning {
  options: TuningOptions;
  /** Every grid point, in the grid's order. */
  points: TuningPoint[];
  chosen: TuningPoint;
}

/**
 * The training systems basin hopping is tuned on: those of the families the evaluation compares
 * on (a checkpoint trained on several families would otherwise tune the cluster searches on
 * silicon), at most `count` spread evenly over them, first and last included; all the training
 * systems where none is of those families.
 */
export function tuningSystems(training: string[], evaluated: string[], count?: number): string[] {
  const families = new Set(evaluated.map((name) => familyOf(parseSystem(name))));
  const same = training.filter((name) => families.has(familyOf(parseSystem(name))));
  const pool = same.length > 0 ? same : training;
  if (count === undefined || count >= pool.length) return pool;
  if (count === 1) return [pool[0]];
  return Array.from(
    { length: count },
    (_, k) => pool[Math.round(k * (pool.length - 1) / (count - 1))],
  );
}

/**
 * The tuning runs' seed, derived from the evaluation's so that tuning never sees the evaluation's
 * starts (the training family may contain evaluated systems, such as LJ13).
 */
export function tuningSeed(seed: number): number {
  return new Rng(seed, -2).nextUint32();
}

/** Basin hopping's settings on `system` for a grid point. */
export function bhSettings(system: System, choice: BhChoice): MethodSettings {
  const defaults = defaultSettings(system, "bh");
  if (defaults.driver !== "hopping") throw new Error("bh is a hopping method");
  const moves: MoveWeights = { ...defaultMoves(system) };
  if (system.box === undefined) {
    const mixed = (moves.uniform ?? 0) + (moves.surface ?? 0);
    moves.uniform = mixed * (1 - choice.surfaceShare);
    moves.surface = mixed * choice.surfaceShare;
  }
  return {
    ...defaults,
    local: defaultLocalSettings(choice.local, defaults.local.maxStep),
    hopping: { ...defaultHopping(system, moves), hopFmax: choice.hopFmax },
  };
}

/** Basin hopping's per-replica hop size and temperature on `system` for a grid point. */
export function bhSweeps(system: System, choice: BhChoice): HyperparameterSweeps {
  return {
    ...defaultSweeps(system, bhSettings(system, choice)),
    dr: choice.drSigma * system.bondLength * SIGMA_PER_BOND_LENGTH,
    temperature: choice.temperatureFactor * hopTemperature(system.potential),
  };
}

/** Every combination, local methods outermost, then hop tolerances, surface shares, hop sizes
 * and temperatures. */
export function gridPoints(grid: TuningGrid): BhChoice[] {
  return grid.locals.flatMap((local) =>
    grid.hopFmax.flatMap((hopFmax) =>
      grid.surfaceShares.flatMap((surfaceShare) =>
        grid.drSigma.flatMap((drSigma) =>
          grid.temperatureFactors.map((temperatureFactor) => ({
            local,
            hopFmax,
            surfaceShare,
            drSigma,
            temperatureFactor,
          }))
        )
      )
    )
  );
}

/** A grid point in words, for logs and reports. */
export function describeChoice(choice: BhChoice): string {
  return `${choice.local}, hop fmax ${choice.hopFmax}, surface share ${choice.surfaceShare}, ` +
    `dr ${choice.drSigma} sigma-eq., kT x ${choice.temperatureFactor}`;
}

/** The lowest-scoring point; the first of equal ones. */
export function chooseTuningPoint(points: TuningPoint[]): TuningPoint {
  return points.reduce((best, p) => p.score < best.score ? p : best);
}

/** Runs the grid (one short search per point and system) and chooses a point. */
export async function tuneBasinHopping(
  options: TuningOptions,
  context: { searches: SearchRunner; log?: (line: string) => void },
): Promise<BhTuning> {
  const choices = gridPoints(options);
  const systems = options.systems.map(parseSystem);
  const searches = systems.flatMap((system) =>
    choices.map((choice) =>
      searchOptions(system, "bh", {
        replicas: options.replicas,
        maxEvaluations: options.maxEvaluations,
        seed: options.seed,
        settings: bhSettings(system, choice),
        sweeps: bhSweeps(system, choice),
        keep: 1,
      })
    )
  );
  let done = 0;
  const results = await context.searches.runAll(searches, () => {
    done++;
    if (done % choices.length === 0) {
      context.log?.(`tuning bh: ${done} of ${searches.length} grid searches done`);
    }
  });
  const perSystem = choices.map(() => ({} as Record<string, number>));
  for (const [s, system] of systems.entries()) {
    for (const k of choices.keys()) {
      const result = results[s * choices.length + k];
      perSystem[k][system.name] = mean(result.replicaBestEnergies) / system.nAtoms;
    }
  }
  const points = choices.map((choice, k) => ({
    ...choice,
    score: mean(Object.values(perSystem[k])),
    perSystem: perSystem[k],
  }));
  return { options, points, chosen: chooseTuningPoint(points) };
}
