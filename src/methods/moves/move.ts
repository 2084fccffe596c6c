/**
 * What a hop move is: one registry entry (registry.ts) with one WGSL function (shaders/moves/),
 * its f64 mirror and its declaration. The hopping wrapper (shaders/hopping.wgsl) starts every move
 * from x = the Markov chain's minimum; a move changes x in place, and the wrapper then constrains
 * and evaluates. Every invocation of a replica draws the same random numbers in the same order; an
 * atom's new position is written by its owner (shaders/layouts/).
 */
import type { Rng } from "../../core/rng.ts";
import type { ShaderConstant } from "../../gpu/shader_source.ts";

/** What decides whether a system can take a move. */
export interface MoveSystem {
  periodic: boolean;
  nSpecies: number;
}

/** What a move's constants may depend on. */
export interface MoveScale {
  /** The system's bond length (its unit of length). */
  bondLength: number;
}

/** The hopping settings the moves read (src/methods/method_spec.ts HoppingSettings). */
export interface MovePlacement extends MoveScale {
  startRadius: number;
  minDistance: number;
  surfaceOffset: number;
}

/** What a move's f64 mirror works on. */
export interface MoveContext {
  n: number;
  /** Positions, flat [atom][xyz], at the Markov chain's minimum; changed in place. */
  x: Float64Array;
  rng: Rng;
  species: ArrayLike<number>;
  box?: number;
}

export interface MoveMirrorContext extends MoveContext {
  /** The uniform amplitude this hop: the replica's adapted dr times the decision's scale. */
  dr: number;
  placement: MovePlacement;
  /** Each atom's rank (the hop controller's rank_atoms), for moves that rank atoms. */
  ranks(): ArrayLike<number>;
  /** Each atom's energy share at the Markov chain's minimum. */
  markovAtomEnergies: ArrayLike<number>;
}

/** What a move made, for analysis (HopEvent): a surface move's atom and its energy rank. */
export interface MoveOutcome {
  surface?: { atom: number; rank: number };
}

export interface HopMoveEntry {
  /** Its name in --moves, in move mixes and in saved settings. */
  readonly name: string;
  /** One line for --help. */
  readonly summary: string;
  /** WGSL defining `fn NAME_move(dr: f32) -> bool` (false: not made, then the uniform move is). */
  readonly shader: string;
  /** WGSL constants the shader reads, if any (each named after the move). */
  constants?(system: MoveScale): Record<string, ShaderConstant>;
  /** Why `system` cannot take this move, or null. */
  refusal(system: MoveSystem): string | null;
  /** The random numbers one call draws, in order (the mirror draws the same). */
  readonly draws: string;
  /** Loop iterations of one call with n atoms, for llvmpipe's budget (src/methods/dispatch_plan.ts),
   * rank_atoms excluded (the hop controller's cost). */
  cost(n: number): number;
  /** Reads atom ranks (rank_atoms: energy shares at the Markov minimum, or the controller's), so
   * the kernel keeps per-atom energies. */
  readonly ranksAtoms: boolean;
  /** The f64 mirror; null where the kernel's function returns false. */
  mirror(c: MoveMirrorContext): MoveOutcome | null;
}
