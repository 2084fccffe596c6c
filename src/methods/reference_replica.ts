/**
 * The f64 CPU reference of the fused optimizer kernel (shaders/driver.wgsl and the files it
 * assembles): one replica, the same driver, hopping wrapper, moves and local method (each
 * method's f64 mirror), step for step, with the same random stream. Tests run both and compare
 * trajectories; the host also uses it to re-relax reported minima in f64.
 *
 * One call of `advance` is one loop iteration of the kernel and costs exactly one energy+force
 * evaluation (a local-method step, a hop with its new start, or the rejection of a non-finite
 * point with its new one), except when a local-mode replica finds itself converged, which ends it.
 */
import { NO_ENERGY, type ReplicaStatus } from "../core/codes.ts";
import { Rng } from "../core/rng.ts";
import type { EnergyForcesFn } from "../potentials/types.ts";
import { referencePotential } from "../potentials/registry.ts";
import type { System } from "../systems/system.ts";
import { energyTolerance } from "../systems/energy_tolerance.ts";
import {
  DEFAULT_DECISION,
  type HopControlMirror,
  type HopDecision,
  type HopView,
} from "./hop_control.ts";
import { TABOO_CAPACITY } from "./kernel_layout.ts";
import type { LocalMirror, MirrorReplica } from "./local_method.ts";
import {
  compiledMoves,
  driverFmax,
  hopControl,
  type MethodSpec,
  moveProbabilities,
  ranksAtoms,
  type ReplicaHyperparameters,
  restartPlacement,
} from "./method_spec.ts";
import type { MoveContext, MoveMirrorContext } from "./moves/move.ts";
import { HOP_MOVES, type MoveName } from "./moves/registry.ts";
import { restartMove } from "./moves/restart.ts";
import { uniformMove } from "./moves/uniform.ts";

export interface LoggedMinimum {
  energy: number;
  evaluations: number;
  positions: Float64Array;
}

/** The move a hop made (a move that cannot be made, such as a swap that finds no unlike partner,
 * makes the uniform move). */
export type HopMove = MoveName;

/** What one hop decided and did, for analysis (`ReferenceReplica.onHop`). Lengths in the
 * system's unit. */
export interface HopEvent {
  /** Evaluations spent before the hop's new start is evaluated. */
  evaluations: number;
  /** Steps of the relaxation the hop ended (the step cap when it was cut off). */
  relaxSteps: number;
  /** The relaxed minimum's energy, and the Markov chain's before the Metropolis test. */
  energy: number;
  markovEnergy: number;
  /** Whether the Metropolis test moved the chain to the relaxed minimum. */
  accepted: boolean;
  decision: HopDecision;
  /** The uniform move's amplitude this hop: the adapted dr times the decision's scale. */
  dr: number;
  move: HopMove;
  /** Surface moves: the atom moved, and its rank by energy share at the Markov minimum
   * (`surfaceRank`: 0 is the highest share, basin hopping's own choice). */
  surface?: { atom: number; rank: number };
  /** From the Markov minimum to the proposed start, as the move made it (before the cluster is
   * recentred, a rigid translation, or wrapped into the box; minimum image): root mean square
   * over atoms and the largest single atom's. */
  rmsDisplacement: number;
  maxDisplacement: number;
}

export interface ReplicaContext {
  potential: EnergyForcesFn;
  species: ArrayLike<number>;
  nSpecies: number;
  box?: number;
  spec: MethodSpec;
  logCapacity: number;
  /** Learned optimizers: every weight vector, concatenated (replicas pick theirs by index). */
  weights?: ArrayLike<number>;
  /** Where restarts place atoms (restart moves, and rejected points outside hopping), and the
   * system's bond length (the moves' unit). */
  placement: { startRadius: number; minDistance: number; bondLength: number };
  /** Reseeding: a chain's lowest minimum improves when it falls by more than this (the system's
   * energy tolerance). */
  reseedTolerance: number;
}

/** The context of replicas of `system` on its f64 reference potential. */
export function referenceContext(
  system: System,
  spec: MethodSpec,
  options: { logCapacity?: number; weights?: ArrayLike<number>; species?: ArrayLike<number> } = {},
): ReplicaContext {
  return {
    potential: referencePotential(system.potential),
    species: options.species ?? system.species,
    nSpecies: system.elements.length,
    box: system.box,
    spec,
    logCapacity: options.logCapacity ?? 1,
    weights: options.weights,
    placement: { ...restartPlacement(system, spec), bondLength: system.bondLength },
    reseedTolerance: energyTolerance(system),
  };
}

export class ReferenceReplica implements MirrorReplica {
  readonly n: number;
  x: Float64Array;
  f: Float64Array;
  markov: Float64Array;
  markovAtomEnergies: Float64Array;
  atomEnergies: Float64Array;
  bestPositions: Float64Array;
  energy = NO_ENERGY;
  bestEnergy = NO_ENERGY;
  bestEvaluations = 0;
  fmax = Infinity;
  status: ReplicaStatus = "running";
  evaluations = 0;
  relaxSteps = 0;
  /** Hopping: the current relaxation ends below the hop tolerance times this. */
  hopFmaxScale = 1;
  step: number;
  dr: number;
  temperature: number;
  markovEnergy = NO_ENERGY;
  hops = 0;
  accepted = 0;
  windowAccepted = 0;
  sinceBest = 0;
  /** Non-finite points rejected (the kernel's rejected_nonfinite). */
  rejectedNonfinite = 0;
  /** Reseeding (the kernel's chain_best, stale_hops, reseeds). */
  chainBest = NO_ENERGY;
  staleHops = 0;
  reseeds = 0;
  /** The taboo list (the kernel's taboo and taboo_saved: the last TABOO_CAPACITY entries) and
   * the chains it found stale (taboo_hits). */
  taboo: number[] = [];
  tabooSaved = 0;
  tabooHits = 0;
  rng: Rng;
  log: LoggedMinimum[] = [];
  /** Called at the end of every hop (the new start evaluated); observing changes nothing. */
  onHop?: (event: HopEvent) => void;
  /** Each registered move's probability (src/methods/moves/registry.ts order), in f32. */
  readonly moves: number[];
  readonly local: LocalMirror;
  readonly control: HopControlMirror | undefined;
  #context: ReplicaContext;
  /** The moves the kernel compiles in (kernel_source.ts), and whether it keeps per-atom energies. */
  #compiled: Set<MoveName>;
  #atomEnergiesKept: boolean;

  constructor(
    context: ReplicaContext,
    positions: ArrayLike<number>,
    hyper: ReplicaHyperparameters,
    stream: number,
  ) {
    this.#context = context;
    const { spec } = context;
    this.#compiled = compiledMoves(spec, {
      periodic: context.box !== undefined,
      nSpecies: context.nSpecies,
    });
    this.#atomEnergiesKept = ranksAtoms(this.#compiled);
    this.n = positions.length / 3;
    this.x = Float64Array.from(positions);
    this.f = new Float64Array(3 * this.n);
    this.markov = new Float64Array(3 * this.n);
    this.markovAtomEnergies = new Float64Array(this.n);
    this.atomEnergies = new Float64Array(this.n);
    this.bestPositions = new Float64Array(3 * this.n);
    this.step = hyper.step;
    this.dr = hyper.dr;
    this.temperature = hyper.temperature;
    const weights = spec.driver.mode === "hopping" ? hyper.moves ?? spec.driver.hopping.moves : {};
    const p = spec.driver.mode === "hopping" ? moveProbabilities(weights) : undefined;
    // The kernel holds them, and sums them, in f32.
    this.moves = HOP_MOVES.map((move) => Math.fround(p?.[move.name] ?? 0));
    this.rng = new Rng(hyper.seed, stream);
    this.local = spec.local.mirror({ weights: context.weights, weightsIndex: hyper.weights ?? 0 });
    const control = hopControl(spec);
    if (control !== undefined && context.weights === undefined) {
      throw new Error("a hop controller needs weights");
    }
    this.control = control?.mirror({ weights: context.weights!, weightsIndex: hyper.weights ?? 0 });
    this.#startChain();
  }

  /** A new chain from x (the kernel's start_chain): centred (or wrapped), the local method reset,
   * x the Markov chain's start, which accepts its next minimum; one evaluation. */
  #startChain(): void {
    this.markovEnergy = NO_ENERGY;
    this.chainBest = NO_ENERGY;
    this.staleHops = 0;
    this.relaxSteps = 0;
    this.hopFmaxScale = 1;
    this.constrain();
    this.local.reset(this);
    this.markov.set(this.x);
    this.evaluate();
  }

  /** The last evaluation's energy or largest force was not finite (the kernel's diverged()). */
  get diverged(): boolean {
    return !Number.isFinite(this.energy) || !Number.isFinite(this.fmax);
  }

  /** A new chain from `positions`, placed by the host (the kernel's place(): a reseed from the
   * population's pool); one evaluation. */
  place(positions: ArrayLike<number>): void {
    this.x.set(positions);
    this.#endStaleChain();
    this.#startChain();
  }

  /** One kernel loop iteration; false when the replica has converged (local mode). */
  advance(): boolean {
    if (this.status !== "running") return false;
    const { driver } = this.#context.spec;
    const fmax = driverFmax(driver);
    if (this.diverged) {
      this.#rejectNonfinite();
      return true;
    }
    if (driver.mode === "free") {
      const wasRelaxed = this.fmax < fmax;
      this.local.step(this);
      if (!wasRelaxed && this.fmax < fmax && this.status === "running") this.#logMinimum();
      return true;
    }
    if (driver.mode === "hopping") {
      if (
        this.fmax < fmax * this.hopFmaxScale || this.relaxSteps >= driver.hopping.relaxStepCap
      ) {
        this.#hop();
      } else {
        this.local.step(this);
        this.relaxSteps++;
      }
      return true;
    }
    if (this.fmax < fmax) {
      this.status = "converged";
      this.#logMinimum();
      return false;
    }
    this.local.step(this);
    return true;
  }

  /** Advances until `evaluations` evaluations have been spent or the replica stops. */
  advanceTo(evaluations: number): void {
    while (this.evaluations < evaluations && this.advance());
  }

  constrain(): void {
    const { box, spec } = this.#context;
    const x = this.x;
    if (box !== undefined) {
      for (let k = 0; k < x.length; k++) x[k] -= box * Math.floor(x[k] / box);
      return;
    }
    const centre = [0, 0, 0];
    for (let i = 0; i < this.n; i++) for (let c = 0; c < 3; c++) centre[c] += x[3 * i + c];
    for (let c = 0; c < 3; c++) centre[c] /= this.n;
    const radius = spec.containerRadius;
    for (let i = 0; i < this.n; i++) {
      for (let c = 0; c < 3; c++) x[3 * i + c] -= centre[c];
      const r = Math.hypot(x[3 * i], x[3 * i + 1], x[3 * i + 2]);
      if (radius > 0 && r > radius) { for (let c = 0; c < 3; c++) x[3 * i + c] *= radius / r; }
    }
  }

  minimumImage(d: number): number {
    const box = this.#context.box;
    return box === undefined ? d : d - box * Math.round(d / box);
  }

  evaluate(): void {
    const { potential, species, box } = this.#context;
    const result = potential({ positions: this.x, species, box });
    this.f.set(result.forces);
    if (result.atomEnergies !== undefined) this.atomEnergies.set(result.atomEnergies);
    this.evaluations++;
    this.energy = result.energy;
    let fmax2 = 0;
    for (let i = 0; i < this.n; i++) {
      fmax2 = Math.max(fmax2, this.f[3 * i] ** 2 + this.f[3 * i + 1] ** 2 + this.f[3 * i + 2] ** 2);
    }
    this.fmax = Math.sqrt(fmax2);
    if (!Number.isFinite(result.energy)) return;
    this.sinceBest++;
    if (result.energy < this.bestEnergy) {
      this.sinceBest = 0;
      this.bestEnergy = result.energy;
      this.bestEvaluations = this.evaluations;
      this.bestPositions.set(this.x);
    }
  }

  moveCapped(i: number, dx: number, dy: number, dz: number, limit: number): void {
    const length = Math.hypot(dx, dy, dz);
    const scale = length > limit ? limit / length : 1;
    this.x[3 * i] += dx * scale;
    this.x[3 * i + 1] += dy * scale;
    this.x[3 * i + 2] += dz * scale;
  }

  /** The kernel's reject_nonfinite: back to the Markov minimum and a uniform move (hopping), else
   * a random restart; one evaluation. */
  #rejectNonfinite() {
    const { spec, species, box, placement } = this.#context;
    this.rejectedNonfinite++;
    const c: MoveContext = { n: this.n, x: this.x, rng: this.rng, species, box };
    if (spec.driver.mode === "hopping") {
      this.x.set(this.markov);
      uniformMove(c, this.dr);
    } else {
      restartMove(c, placement.startRadius, placement.minDistance);
    }
    this.constrain();
    this.local.reset(this);
    this.relaxSteps = 0;
    this.evaluate();
  }

  /** Kept like the kernel's log: append while there is room, else replace the highest if lower. */
  #logMinimum() {
    const entry = {
      energy: this.energy,
      evaluations: this.evaluations,
      positions: Float64Array.from(this.x),
    };
    if (this.log.length < this.#context.logCapacity) {
      this.log.push(entry);
      return;
    }
    let slot = 0;
    for (let k = 1; k < this.log.length; k++) {
      if (this.log[k].energy > this.log[slot].energy) slot = k;
    }
    if (entry.energy < this.log[slot].energy) this.log[slot] = entry;
  }

  /** GMIN's AVOID (shaders/hopping.wgsl, on_taboo_list). */
  #onTabooList(energy: number): boolean {
    return this.taboo.some((e) => Math.abs(energy - e) <= this.#context.reseedTolerance);
  }

  /** The kernel's end_stale_chain: the reseed counted, and with a taboo list the stale chain's
   * lowest minimum on it, in f32, once; the oldest entry makes room. */
  #endStaleChain(): void {
    this.reseeds++;
    const { spec } = this.#context;
    if (spec.driver.mode !== "hopping" || spec.driver.hopping.taboo !== true) return;
    if (this.chainBest === NO_ENERGY || this.#onTabooList(this.chainBest)) return;
    this.taboo[this.tabooSaved % TABOO_CAPACITY] = Math.fround(this.chainBest);
    this.tabooSaved++;
  }

  /** The hopping wrapper (shaders/hopping.wgsl). */
  #hop() {
    const { spec } = this.#context;
    if (spec.driver.mode !== "hopping") throw new Error("hop outside the hopping mode");
    const hopping = spec.driver.hopping;
    this.#logMinimum();
    this.hops++;
    const { evaluations, relaxSteps, energy, markovEnergy } = this;
    const decision = this.control?.decide(this.#view()) ?? DEFAULT_DECISION;
    this.hopFmaxScale = decision.hopFmaxScale;
    const temperature = this.temperature * decision.temperatureScale;
    const rise = this.energy - this.markovEnergy;
    const accept = rise < 0 ||
      (temperature > 0 && this.rng.uniform24() < Math.exp(-rise / temperature));
    if (accept) {
      this.markovEnergy = this.energy;
      this.accepted++;
      this.windowAccepted++;
      this.markov.set(this.x);
      this.markovAtomEnergies.set(this.atomEnergies);
    }
    const interval = hopping.adaptInterval;
    if (interval > 0 && this.hops % interval === 0) {
      const factor = hopping.adaptFactor;
      this.dr = 2 * this.windowAccepted > interval ? this.dr * factor : this.dr / factor;
      this.windowAccepted = 0;
    }
    const reseedHops = hopping.reseedHops ?? 0;
    if (reseedHops > 0) {
      if (this.energy < this.chainBest - this.#context.reseedTolerance) {
        this.chainBest = this.energy;
        this.staleHops = 0;
        if (hopping.taboo === true && this.#onTabooList(this.chainBest)) {
          this.tabooHits++;
          this.staleHops = reseedHops;
        }
      } else {
        this.staleHops++;
      }
    }
    let proposal: Pick<HopEvent, "move" | "surface">;
    if (reseedHops > 0 && hopping.pool === undefined && this.staleHops >= reseedHops) {
      // GMIN's NEWRESTART, as the kernel.
      this.#endStaleChain();
      this.staleHops = 0;
      this.chainBest = NO_ENERGY;
      this.markovEnergy = NO_ENERGY;
      const { species, box, placement } = this.#context;
      restartMove(
        { n: this.n, x: this.x, rng: this.rng, species, box },
        placement.startRadius,
        placement.minDistance,
      );
      proposal = { move: "restart" };
    } else {
      this.x.set(this.markov);
      proposal = this.#propose(decision);
    }
    const displacement = this.#displacement();
    this.constrain();
    this.local.reset(this);
    this.relaxSteps = 0;
    this.evaluate();
    this.onHop?.({
      evaluations,
      relaxSteps,
      energy,
      markovEnergy,
      accepted: accept,
      decision: { ...decision },
      dr: this.dr * decision.drScale,
      ...proposal,
      ...displacement,
    });
  }

  /** How far x is from the Markov minimum (HopEvent). */
  #displacement(): { rmsDisplacement: number; maxDisplacement: number } {
    let sum = 0;
    let max2 = 0;
    for (let i = 0; i < this.n; i++) {
      let r2 = 0;
      for (let k = 3 * i; k < 3 * i + 3; k++) {
        r2 += this.minimumImage(this.x[k] - this.markov[k]) ** 2;
      }
      sum += r2;
      max2 = Math.max(max2, r2);
    }
    return { rmsDisplacement: Math.sqrt(sum / this.n), maxDisplacement: Math.sqrt(max2) };
  }

  /** What the hop controller sees (its mirror reads x at the time of the call). */
  #view(): HopView {
    const { spec, species, nSpecies } = this.#context;
    const hopping = spec.driver.mode === "hopping" ? spec.driver.hopping : undefined;
    return {
      n: this.n,
      x: this.x,
      f: this.f,
      species,
      nSpecies,
      energy: this.energy,
      bestEnergy: this.bestEnergy,
      markovEnergy: this.markovEnergy,
      fmax: this.fmax,
      hopFmax: (hopping?.hopFmax ?? 0) * this.hopFmaxScale,
      relaxSteps: this.relaxSteps,
      relaxStepCap: hopping?.relaxStepCap ?? 0,
      sinceBest: this.sinceBest,
      hops: this.hops,
      windowAccepted: this.windowAccepted,
      adaptInterval: hopping?.adaptInterval ?? 0,
      dr: this.dr,
      markovAtomEnergies: this.markovAtomEnergies,
      atomEnergies: this.#atomEnergiesKept ? this.atomEnergies : undefined,
      box: this.#context.box,
    };
  }

  /** The move probabilities after the decision's logits, like the kernel's move_probabilities,
   * in registry order. */
  #moveProbabilities(d: HopDecision): number[] {
    const p = this.moves;
    if (this.control === undefined) return p;
    const w = HOP_MOVES.map((move, k) => p[k] * Math.exp(d.logits[move.name] ?? 0));
    const uniform = Math.max(0, p.reduce((rest, value) => rest - value, 1));
    const total = w.reduce((sum, value) => sum + value, uniform);
    return w.map((value) => value / total);
  }

  /** One move, chosen like the kernel's `propose` (compiled-in moves: kernel_source.ts; the
   * registry's order); what it made. */
  #propose(decision: HopDecision): Pick<HopEvent, "move" | "surface"> {
    const { spec, species, box } = this.#context;
    if (spec.driver.mode !== "hopping") throw new Error("hop outside the hopping mode");
    const compiled = this.#compiled;
    const dr = this.dr * decision.drScale;
    const c: MoveMirrorContext = {
      n: this.n,
      x: this.x,
      rng: this.rng,
      species,
      box,
      dr,
      placement: { ...this.#context.placement, surfaceOffset: spec.driver.hopping.surfaceOffset },
      ranks: () => this.control?.rankAtoms(this.#view()) ?? this.markovAtomEnergies,
      markovAtomEnergies: this.markovAtomEnergies,
    };
    if (compiled.size > 0) {
      const u = this.rng.uniform24();
      const p = this.#moveProbabilities(decision);
      let until = 0;
      for (const [k, move] of HOP_MOVES.entries()) {
        until = Math.fround(until + p[k]);
        if (!compiled.has(move.name) || !(u < until)) continue;
        const outcome = move.mirror(c);
        if (outcome !== null) return { move: move.name, ...outcome };
        break;
      }
    }
    uniformMove(c, dr);
    return { move: "uniform" };
  }
}
