/**
 * What a search reports for the points it found, in f64 on the host. The GPU relaxes in f32, and
 * its energies carry f32 rounding (a few 1e-5 on LJ13 and growing with N), so every reported
 * point is re-evaluated in f64. The polish only finishes what the search reached:
 *   - it starts only from a point the search itself brought below its force tolerance, and never
 *     from one whose largest force is above POLISH_START_FMAX, whatever tolerance the user gave
 *     (`--hop-fmax 5` or `--fmax 1e5` do not turn the polish into the search);
 *   - it is FIRE in f64 (the kernel's own algorithm, `ReferenceReplica`) until the largest force
 *     is below REFINE_FMAX, at most POLISH_MAX_EVALUATIONS evaluations, counted and reported apart
 *     from the search's: the energy error left, about fmax^2 / 2k for a mode of stiffness k, is
 *     far below the 1e-6 to which the Cambridge Cluster Database quotes energies;
 *   - a polish that ends more than the energy tolerance (what tells two minima apart) below the
 *     search's own f32 energy has gone on to another minimum, which the search may never have
 *     reached: unless another point's accepted polish shows that it did, the polish is
 *     discarded, and the point is reported as the search left it, flagged (`polishRejected`).
 * Any other point (a relaxation still under way when the search stopped) is reported exactly as
 * it is, unfinished.
 */
import { fire, JAX_MD_FIRE } from "../methods/fire.ts";
import { referenceContext, ReferenceReplica } from "../methods/reference_replica.ts";
import type { System } from "../systems/system.ts";
import type { ArchiveEntry } from "./archive.ts";
import {
  DEFAULT_FINGERPRINT_TOLERANCE,
  fingerprintDistance,
  structureFingerprint,
} from "./fingerprint.ts";

/** Largest per-atom force at which a re-relaxation stops (force units of the system). */
export const REFINE_FMAX = 1e-6;
/** Evaluations a full re-relaxation (`refineStructure`) may spend. */
export const REFINE_MAX_EVALUATIONS = 20_000;
/** Evaluations a search's minimum may spend being polished, counted and reported apart from the
 * search's own: from a GPU minimum (fmax 1e-3) FIRE needs a few hundred, from the hop tolerance
 * 0.03 up to about a thousand (Au55). */
export const POLISH_MAX_EVALUATIONS = 5_000;
/**
 * A point counts as brought below the search's force tolerance F when its f64 fmax is below
 * F times this. The GPU judged it in f32: its force sums carry rounding errors of order 1e-5 in
 * the system's force unit, which 25% of F (2.5e-4 at fmax 1e-3) covers.
 */
export const POLISH_SLACK = 1.25;
/**
 * The largest force (f64, at the point the GPU left) from which a point is ever polished, in the
 * system's force unit (epsilon/sigma, eV/A), independent of the search's tolerance: basin
 * hopping's default hop tolerance 0.03 with POLISH_SLACK. A point further from its minimum is
 * unfinished search work.
 */
export const POLISH_START_FMAX = 0.0375;
/** Largest atom displacement per FIRE step: the structures start within ~1e-3 of the minimum,
 * so a small cap only guards against a saddle-like start being thrown far. */
export const REFINE_MAX_STEP = 0.05;
/**
 * FIRE's starting and largest time step (unit masses). JAX MD's dt_max 0.4 lets the step grow past
 * velocity Verlet's stability limit 2 / omega of the stiffest mode (an LJ38 minimum: largest
 * Hessian eigenvalue 940 epsilon/sigma^2, so 2 / omega = 0.065): from 18 LJ38 minima found by the
 * GPU, 12 never got below fmax 1e-6 in 20,000 steps at dt_max 0.4 or 0.1, while at 0.05 all
 * converged within 240 steps (Au55 within 1,060, mostly ~250; Si64 within 170).
 */
export const REFINE_DT = 0.05;

export interface Refinement {
  /** f64 energy at `positions`. */
  energy: number;
  /** Largest per-atom force there; above REFINE_FMAX when `converged` is false. */
  fmax: number;
  /** fmax <= REFINE_FMAX: a minimum to the precision energies are quoted at. */
  converged: boolean;
  /** Flat xyz, recentred at the centre of mass (clusters) or wrapped into the box. */
  positions: Float64Array;
  /** f64 forces at `positions`, flat like them. */
  forces: Float64Array;
  /** Whether FIRE moved the point (false: the point exactly as the search left it). */
  polished: boolean;
  /** The polish went further below the search's energy than the energy tolerance, to a minimum
   * no accepted polish reached, and was discarded: the point is reported as the search left it. */
  polishRejected: boolean;
  /** Where the discarded polish went, kept to recognise a minimum the search did reach after all
   * (`refineMinima`); never reported. */
  discardedPolish?: Refinement;
  /** f64 evaluations spent here, the first (at the given point) included. */
  evaluations: number;
}

/** A distinct minimum as a search reports it: refined in f64, copies merged. */
export interface ReportedMinimum extends Refinement {
  /** The lowest energy the GPU reported for it (f32 arithmetic). */
  energyF32: number;
  species: Uint32Array;
  /** How often replicas found it (archive counts of every entry that refined to it). */
  count: number;
  /** Fewest evaluations a replica had spent when it found it, and that replica. */
  firstEvaluations: number;
  replica: number;
}

/** FIRE in f64 from `positions` until the largest force is below REFINE_FMAX or
 * `maxEvaluations` are spent. */
export function refineStructure(
  system: System,
  positions: ArrayLike<number>,
  species: ArrayLike<number> = system.species,
  maxEvaluations = REFINE_MAX_EVALUATIONS,
): Refinement {
  const replica = new ReferenceReplica(
    referenceContext(system, {
      local: fire({ maxStep: REFINE_MAX_STEP, fire: { ...JAX_MD_FIRE, dtMax: REFINE_DT } }),
      driver: { mode: "local", fmax: REFINE_FMAX },
      containerRadius: 0,
    }, { species }),
    positions,
    { step: REFINE_DT, dr: 0, temperature: 0, seed: 0 },
    0,
  );
  replica.advanceTo(maxEvaluations);
  return {
    energy: replica.energy,
    fmax: replica.fmax,
    converged: replica.fmax <= REFINE_FMAX,
    positions: replica.x,
    forces: replica.f,
    polished: replica.evaluations > 1,
    polishRejected: false,
    evaluations: replica.evaluations,
  };
}

/** What the search knew of a point it found: its own tolerance and energy. */
export interface SearchPoint {
  /** The search's force tolerance: the hop tolerance, or a local method's fmax. */
  searchFmax: number;
  /** The energy the GPU computed there (f32 arithmetic). */
  searchEnergy: number;
  /** Within what energy two minima are the same (energyTolerance of the system). */
  energyTolerance: number;
}

/**
 * What a search may report for a point it found (see the file comment): the point polished in
 * f64 when the search brought it below its tolerance (and below POLISH_START_FMAX) and the polish
 * stayed within the energy tolerance of the search's energy; else the point exactly as it is,
 * with its f64 energy and forces. Evaluations include a discarded polish's.
 */
export function reportPoint(
  system: System,
  positions: ArrayLike<number>,
  species: ArrayLike<number>,
  point: SearchPoint,
): Refinement {
  const asFound = refineStructure(system, positions, species, 1);
  const start = Math.min(POLISH_SLACK * point.searchFmax, POLISH_START_FMAX);
  if (!(asFound.fmax <= start)) return asFound;
  const polished = refineStructure(system, positions, species, POLISH_MAX_EVALUATIONS);
  if (polished.energy >= point.searchEnergy - point.energyTolerance) return polished;
  return {
    ...asFound,
    polishRejected: true,
    evaluations: 1 + polished.evaluations,
    discardedPolish: polished,
  };
}

/** The reported minima of a search and how they came from its archive. */
export interface ReportedMinima {
  /** Distinct minima, lowest f64 energy first, at most `keep`. */
  minima: ReportedMinimum[];
  /** Candidates refined (archive entries and unlogged replica bests). */
  examined: number;
  /** f64 evaluations spent, discarded polishes included. */
  evaluations: number;
}

/**
 * The `keep` lowest distinct minima among `candidates` (lowest GPU energy first): each is
 * reported (`reportPoint`), and those that arrive at the same minimum (energies within the
 * tolerance, fingerprints within the archive's default tolerance, both polished or both not) are
 * merged: counts and refinement evaluations add up, the first-found cost is the fewest
 * evaluations. Candidates are taken in order until `keep` distinct minima are in hand or
 * `maxExamined` candidates have been refined.
 */
export function reportMinima(
  system: System,
  candidates: ArchiveEntry[],
  options: { keep: number; maxExamined: number; energyTolerance: number; searchFmax: number },
): ReportedMinima {
  const ordered = [...candidates].sort((a, b) => a.energy - b.energy);
  let examined = 0;
  let reported: ReportedMinimum[] = [];
  // Each minimum's fingerprint, computed once over the rounds below.
  const fingerprints = new Map<ReportedMinimum, Float64Array>();
  const limit = Math.min(ordered.length, options.maxExamined);
  while (examined < limit) {
    const batch = ordered.slice(
      examined,
      Math.min(limit, examined + options.keep - reported.length),
    );
    examined += batch.length;
    reported = refineMinima(system, [...reported, ...batch], options, fingerprints);
    if (reported.length >= options.keep) break;
  }
  return {
    minima: reported.slice(0, options.keep).map(({ discardedPolish: _, ...minimum }) => minimum),
    examined,
    evaluations: reported.reduce((total, m) => total + m.evaluations, 0),
  };
}

/**
 * Reports every entry (`reportPoint`; entries already reported are kept as they are) and merges
 * those that arrive at the same minimum, lowest refined energy first. `fingerprints` caches each
 * minimum's structure fingerprint across calls.
 */
export function refineMinima(
  system: System,
  entries: (ArchiveEntry | ReportedMinimum)[],
  tolerances: { energyTolerance: number; searchFmax: number },
  fingerprints: Map<ReportedMinimum, Float64Array> = new Map(),
): ReportedMinimum[] {
  const fingerprintOf = (minimum: ReportedMinimum) => {
    let fingerprint = fingerprints.get(minimum);
    if (fingerprint === undefined) {
      fingerprint = structureFingerprint(minimum.positions, minimum.species, system.box);
      fingerprints.set(minimum, fingerprint);
    }
    return fingerprint;
  };
  const refined = entries.map((entry): ReportedMinimum =>
    "energyF32" in entry ? entry : {
      ...reportPoint(system, entry.positions, entry.species, {
        searchFmax: tolerances.searchFmax,
        searchEnergy: entry.energy,
        energyTolerance: tolerances.energyTolerance,
      }),
      energyF32: entry.energy,
      species: entry.species,
      count: entry.count,
      firstEvaluations: entry.firstEvaluations,
      replica: entry.replica,
    }
  );
  acceptReachedPolishes(system, refined, tolerances.energyTolerance, fingerprints, fingerprintOf);
  refined.sort((a, b) => a.energy - b.energy);
  const merged: { minimum: ReportedMinimum; fingerprint: Float64Array }[] = [];
  // A point whose f64 energy is not finite (atoms on top of each other) is no minimum to report.
  for (const minimum of refined.filter((m) => Number.isFinite(m.energy))) {
    const fingerprint = fingerprintOf(minimum);
    const same = merged.find((kept) =>
      kept.minimum.polished === minimum.polished &&
      minimum.energy - kept.minimum.energy <= tolerances.energyTolerance &&
      fingerprintDistance(kept.fingerprint, fingerprint) <= DEFAULT_FINGERPRINT_TOLERANCE
    );
    if (same === undefined) merged.push({ minimum, fingerprint });
    else absorb(same.minimum, minimum);
  }
  return merged.map(({ minimum }) => minimum);
}

/**
 * A discarded polish that ended at a minimum another point's accepted polish reached (same
 * energy within the tolerance, same structure) went to a minimum the search did reach after all
 * (a basin whose f32 points lie further above its bottom than the tolerance, as on flat Gupta
 * and silicon landscapes): that point is reported polished.
 */
function acceptReachedPolishes(
  system: System,
  minima: ReportedMinimum[],
  tolerance: number,
  fingerprints: Map<ReportedMinimum, Float64Array>,
  fingerprintOf: (minimum: ReportedMinimum) => Float64Array,
) {
  const reached = minima.filter((m) => m.polished);
  for (const minimum of minima) {
    const polish = minimum.discardedPolish;
    if (polish === undefined) continue;
    const fingerprint = structureFingerprint(polish.positions, minimum.species, system.box);
    const same = reached.some((r) =>
      Math.abs(r.energy - polish.energy) <= tolerance &&
      fingerprintDistance(fingerprintOf(r), fingerprint) <= DEFAULT_FINGERPRINT_TOLERANCE
    );
    if (!same) continue;
    const { evaluations } = minimum;
    Object.assign(minimum, polish, { evaluations, polishRejected: false });
    delete minimum.discardedPolish;
    fingerprints.set(minimum, fingerprint);
  }
}

/** Adds `copy` (no lower in energy, as the list is sorted) into `kept`. */
function absorb(kept: ReportedMinimum, copy: ReportedMinimum) {
  kept.count += copy.count;
  kept.evaluations += copy.evaluations;
  kept.energyF32 = Math.min(kept.energyF32, copy.energyF32);
  kept.polishRejected ||= copy.polishRejected;
  if (copy.firstEvaluations < kept.firstEvaluations) {
    kept.firstEvaluations = copy.firstEvaluations;
    kept.replica = copy.replica;
  }
}
