/**
 * A hop controller: what may take the hopping wrapper's decisions (shaders/hopping.wgsl) in place
 * of its hand-designed defaults. At every hop it sees the replica's relaxed minimum and returns
 * multipliers of the defaults (each 1 unless the controller says otherwise) and residual logits of
 * the move mix, and it may rank the atoms a surface move chooses from. Without a controller the
 * kernel runs the defaults exactly (shaders/hop_control_default.wgsl). A learned controller
 * (src/learned/hopper.ts) is a residual on basin hopping: zero outputs are basin hopping.
 *
 * The WGSL of a controller defines `hop_decide() -> HopDecision` (HopDecision's logits hold one
 * slot per registered move, at MOVE_INDEX_<NAME>; called at each hop, after the
 * relaxed minimum is logged and before the Metropolis test; it may read `state`, x[], f[],
 * `settings` and `weights` at `state.weights`), and `rank_atoms()`, called before a surface move
 * with x[] at the Markov chain's minimum, which fills `atom_rank[]` (the default: each atom's
 * energy share there; the surface move takes the highest). HopDecision is generated from
 * HOP_DECISION_LAYOUT below (set its fields by name); atom_rank[] is declared by the layouts.
 */
import type { Layout } from "../core/layout.ts";
import type { ShaderConstant } from "../gpu/shader_source.ts";
import { HOP_MOVES, type RegisteredMoveName } from "./moves/registry.ts";

/** The decisions of one hop, as multipliers of the defaults and residual logits. */
export interface HopDecision {
  /** Metropolis temperature of this hop: the replica's temperature times this. */
  temperatureScale: number;
  /** The uniform move's amplitude: the replica's (adapted) dr times this. */
  drScale: number;
  /** The next relaxation ends below the hop tolerance times this. */
  hopFmaxScale: number;
  /** Added to the log of each registered move's probability (absent: 0; uniform's is fixed at
   * 0); then renormalised. */
  logits: Partial<Record<RegisteredMoveName, number>>;
}

/** HopDecision as the kernel holds it (its WGSL struct, generated). */
export const HOP_DECISION_LAYOUT: Layout = {
  name: "HopDecision",
  fields: [
    { name: "temperature_scale", type: "f32" },
    { name: "dr_scale", type: "f32" },
    { name: "hop_fmax_scale", type: "f32" },
    {
      name: "logits",
      type: "f32",
      count: HOP_MOVES.length,
      doc: "one per registered move, at MOVE_INDEX_<NAME>",
    },
  ],
};

/** The decisions without a controller. */
export const DEFAULT_DECISION: HopDecision = {
  temperatureScale: 1,
  drScale: 1,
  hopFmaxScale: 1,
  logits: Object.fromEntries(HOP_MOVES.map((move) => [move.name, 0])),
};

/** What a controller's f64 mirror sees of its replica at a hop (ReferenceReplica). */
export interface HopView {
  readonly n: number;
  /** The relaxed minimum (at `hop_decide`), or the Markov chain's minimum (at `rankAtoms`). */
  readonly x: Float64Array;
  readonly f: Float64Array;
  readonly species: ArrayLike<number>;
  readonly nSpecies: number;
  readonly energy: number;
  readonly bestEnergy: number;
  readonly markovEnergy: number;
  readonly fmax: number;
  /** The hop tolerance of the relaxation that just ended (the driver's times its scale). */
  readonly hopFmax: number;
  readonly relaxSteps: number;
  readonly relaxStepCap: number;
  readonly sinceBest: number;
  /** Hops so far, this one included, and how many of the current adaptation window's were
   * accepted before this one. */
  readonly hops: number;
  readonly windowAccepted: number;
  readonly adaptInterval: number;
  readonly dr: number;
  /** Per-atom energies at the Markov chain's minimum. */
  readonly markovAtomEnergies: Float64Array;
  /** Per-atom energies at x, where the kernel computes them (ATOM_ENERGIES: moves that rank
   * atoms), else undefined. */
  readonly atomEnergies: Float64Array | undefined;
  /** The periodic box's side, undefined for a cluster. */
  readonly box: number | undefined;
}

export interface HopControlMirror {
  decide(view: HopView): HopDecision;
  /** Each atom's rank for the surface move (highest moves), x at the Markov minimum. */
  rankAtoms(view: HopView): Float64Array;
}

export interface HopControl {
  readonly name: string;
  readonly shader: string;
  readonly constants: Record<string, ShaderConstant>;
  /** Parameters per weight vector. */
  readonly parameterCount: number;
  /** Loop iterations of `hop_decide` plus `rank_atoms` for N atoms, of which the invocation owns
   * `owned` (the lane layout: all N; the workgroup layout's loops over its own atoms), without
   * their reductions (dispatch_plan.ts). */
  cost(n: number, owned: number): number;
  /** Workgroup reductions (reduce4) of `hop_decide` plus `rank_atoms`. */
  readonly reductions: number;
  mirror(options: { weights: ArrayLike<number>; weightsIndex: number }): HopControlMirror;
}
