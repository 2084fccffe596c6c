/**
 * A trained learned optimizer as a value: its architecture, its weights, and the largest move it
 * was trained with, so it knows its own settings for any system (lengths in the system's bond
 * length, energies per atom in LEARNED_ENERGY_SCALE).
 */
import { UserError } from "../core/errors.ts";
import type { MethodSpec } from "../methods/method_spec.ts";
import type { System } from "../systems/system.ts";
import { ARCHITECTURES, type LearnedArchitecture } from "./architectures.ts";
import { checkMatches, type Checkpoint, configField, loadCheckpoint } from "./checkpoint.ts";
import { MAX_MAGNITUDE, MIN_MAGNITUDE, withinMagnitude } from "../core/numbers.ts";
import { CheckpointError } from "./safetensors.ts";
import { checkCovers, checkpointCoverage, type Coverage } from "./coverage.ts";

/**
 * The energy per atom by which the energy-gap feature tanh((E - E_best) / (N scale)) divides, 1
 * in the system's energy unit (epsilon for LJ, eV for Gupta and silicon). Binding energies per
 * atom of the supported potentials are 3 to 9 such units, so the feature tells small gaps apart
 * and saturates only for gaps of that order. The same for every system, as in meta-training.
 */
export const LEARNED_ENERGY_SCALE = 1;

/** Largest move per step when a checkpoint records none, in bond lengths (DEFAULT_MAX_STEP of
 * the LJ bond). */
export const DEFAULT_LEARNED_MAX_STEP = 0.2;

export class LearnedOptimizer {
  constructor(
    readonly architecture: LearnedArchitecture,
    readonly weights: Float32Array,
    /** The largest atom move per step, in bond lengths (the training config's `maxStep`). */
    readonly maxStepBondLengths = DEFAULT_LEARNED_MAX_STEP,
    /** The families it was trained on (coverage.ts); undefined: any system. */
    readonly coverage?: Coverage,
  ) {
    const count = architecture.description.parameterCount;
    if (weights.length !== count) {
      throw new UserError(`the learned optimizer takes ${count} weights, got ${weights.length}`);
    }
  }

  /** What the kernel runs for it on `system`; `maxStep` overrides the trained largest move
   * (length), `fmax` is where a free-running optimizer logs minima. A UserError for a system
   * outside the families it was trained on. */
  spec(
    system: System,
    settings: { maxStep?: number; fmax: number; containerRadius: number },
  ): MethodSpec {
    checkCovers(this.coverage, system);
    return this.architecture.spec(system, {
      maxStep: settings.maxStep ?? this.maxStepBondLengths * system.bondLength,
      fmax: settings.fmax,
      containerRadius: settings.containerRadius,
      energyScale: LEARNED_ENERGY_SCALE,
    });
  }
}

/** The architecture a checkpoint names, or a CheckpointError listing the known ones. */
export function architectureOf(checkpoint: Checkpoint): LearnedArchitecture {
  const architecture = ARCHITECTURES[checkpoint.architecture.name];
  if (architecture === undefined) {
    throw new CheckpointError(
      `checkpoint architecture '${checkpoint.architecture.name}' is not known to this build ` +
        `(known: ${Object.keys(ARCHITECTURES).join(", ")})`,
    );
  }
  return architecture;
}

/**
 * The learned optimizer of a meta-training checkpoint (src/learned/checkpoint.ts). Throws a
 * UserError (a CheckpointError for the contents) when the file is missing or unreadable, is not a
 * valid checkpoint, or was trained for another architecture or feature list. Its spec refuses
 * systems outside the families it was trained on.
 */
export async function loadLearnedOptimizer(path: string): Promise<LearnedOptimizer> {
  if (path === "") throw new UserError("the checkpoint's path is empty");
  return learnedOptimizerOf(await loadCheckpoint(path), path);
}

/** The learned optimizer of a checkpoint read from `path` (CheckpointErrors as
 * `loadLearnedOptimizer`). */
export function learnedOptimizerOf(checkpoint: Checkpoint, path: string): LearnedOptimizer {
  const architecture = architectureOf(checkpoint);
  checkMatches(checkpoint, {
    architecture: architecture.description,
    features: architecture.features,
  });
  checkUsableWeights(path, checkpoint.theta);
  const { config } = checkpoint;
  const maxStep = configField(config, "maxStep");
  const coverage = checkpointCoverage(config, path);
  if (maxStep === undefined) {
    return new LearnedOptimizer(architecture, checkpoint.theta, undefined, coverage);
  }
  // The kernel takes it as an f32 constant: a value beyond what f32 holds fails to compile.
  if (typeof maxStep !== "number" || !(maxStep > 0) || !withinMagnitude(maxStep)) {
    throw new CheckpointError(
      `${path} (a checkpoint): its config's maxStep must be a number from ${MIN_MAGNITUDE} to ` +
        `${MAX_MAGNITUDE} (bond lengths)`,
    );
  }
  return new LearnedOptimizer(architecture, checkpoint.theta, maxStep, coverage);
}

/**
 * A CheckpointError unless every weight lies within what the kernels' f32 products hold
 * (core/numbers.ts): a finite but huge weight (a diverged run, an edited file) would overflow the
 * network's outputs on every replica. The checkpoint format itself holds any finite f32.
 */
export function checkUsableWeights(path: string, theta: Float32Array): void {
  const huge = theta.findIndex((w) => Math.abs(w) > MAX_MAGNITUDE);
  if (huge >= 0) {
    throw new CheckpointError(
      `${path} (a checkpoint): theta[${huge}] is ${theta[huge]}; weights lie within ` +
        `+-${MAX_MAGNITUDE}`,
    );
  }
}
