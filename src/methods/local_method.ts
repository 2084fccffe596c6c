/**
 * A local method: one rule that moves a replica by one energy+force evaluation, with its own
 * state. The fused kernel's driver (shaders/driver.wgsl) runs it on its own until a minimum
 * (mode "local"), inside the hopping wrapper (mode "hopping"), or without stopping (mode "free",
 * the learned optimizers). Adding a method means one WGSL file, one file here with its settings,
 * its state, its loop cost and its f64 mirror, and one entry in registry.ts.
 *
 * The WGSL file defines `local_load()`, `local_store()` (move its private arrays between the
 * `vectors` planes it declared and registers), `local_reset()` (a fresh relaxation from x) and
 * `local_step()` (exactly one call of `evaluate()` or `evaluate_energy()` + `set_fmax()`). It may
 * use the driver's x[], f[], `state` (the Replica struct, e.g. `state.step`), `local` (its own
 * LocalState struct, generated from `state`), `read_plane`/`write_plane` with its planes'
 * PLANE_* constants, `capped()`, `constrain_with_sum()` and the constants it returns.
 */
import type { Layout } from "../core/layout.ts";
import type { Rng } from "../core/rng.ts";
import type { ShaderConstant } from "../gpu/shader_source.ts";

/** What a local method's f64 mirror may read and change on its replica (ReferenceReplica). */
export interface MirrorReplica {
  readonly n: number;
  /** Positions and forces, flat [atom][xyz]. */
  readonly x: Float64Array;
  readonly f: Float64Array;
  energy: number;
  fmax: number;
  readonly evaluations: number;
  readonly bestEnergy: number;
  readonly bestPositions: Float64Array;
  readonly sinceBest: number;
  /** The replica's step hyperparameter (ReplicaHyperparameters.step). */
  readonly step: number;
  /** The replica's temperature hyperparameter (kT, energy: ReplicaHyperparameters.temperature). */
  readonly temperature: number;
  /** The last evaluation's energy or largest force was not finite: skip the update (the driver
   * rejects the point next). */
  readonly diverged: boolean;
  readonly rng: Rng;
  /** Energy and forces at x: one counted evaluation, best-energy bookkeeping, fmax. */
  evaluate(): void;
  /** Centre of mass to the origin and the container (clusters), wrap into the box (periodic). */
  constrain(): void;
  /** A coordinate difference folded into the periodic box (unchanged for clusters). */
  minimumImage(d: number): number;
  /** Adds (dx, dy, dz) to atom i, shortened to `limit` if longer. */
  moveCapped(i: number, dx: number, dy: number, dz: number, limit: number): void;
}

/** A local method's f64 state and steps for one replica. */
export interface LocalMirror {
  reset(replica: MirrorReplica): void;
  step(replica: MirrorReplica): void;
}

/** Loop iterations (shaders: every loop counts, see src/methods/dispatch_plan.ts) beyond the
 * energy evaluation, for loops over N atoms (in the workgroup layout each invocation's share of
 * them: cost(OWNED_ATOMS)). */
export interface LoopCost {
  step: number;
  reset: number;
  /** local_load + local_store, once per dispatch. */
  loadStore: number;
  /** Workgroup reductions per step (reduce4) beyond the constraint's and the evaluation's. */
  reductions: number;
  /** Random draws per atom per step that the workgroup layout skips for atoms it does not own. */
  drawsPerAtom: number;
}

export interface LocalMethod {
  /** Registry name (gd, adam, fire, lbfgs) or a learned architecture's. */
  readonly name: string;
  readonly shader: string;
  /** Per-atom vec3 planes it keeps in `vectors` between dispatches. */
  readonly planes: readonly string[];
  /** Its per-replica scalar state (the WGSL struct LocalState). */
  readonly state: Layout;
  /** Generated WGSL constants (its settings, fixed for a batch). */
  readonly constants: Record<string, ShaderConstant>;
  /** Largest displacement of one atom in one step (each method says how it applies it). */
  readonly maxStep: number;
  /** Learned optimizers: parameters per weight vector (0: none). */
  readonly parameterCount: number;
  cost(n: number): LoopCost;
  /** A fresh f64 mirror for one replica; `weights` are every weight vector, concatenated. */
  mirror(options: { weights?: ArrayLike<number>; weightsIndex: number }): LocalMirror;
}

/** A hand-designed local method as its registry (registry.ts) holds it: its name in --method and
 * saved settings, its default step, its settings with their published defaults, and what makes
 * the method from them. */
export interface LocalMethodEntry<N extends string, S extends { maxStep: number }> {
  name: N;
  /** The default `step` hyperparameter (ReplicaHyperparameters.step), as measured. */
  defaultStep: number;
  /** Its settings with their published defaults; a method with a schedule fits it to
   * `maxEvaluations` where given. */
  defaults(maxStep: number, maxEvaluations?: number): S & { method: N };
  make(settings: S): LocalMethod;
  /** Its temperature hyperparameter is a melt's kT (the anneal), not a Metropolis one. */
  melts?: boolean;
}
