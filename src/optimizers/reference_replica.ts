/**
 * The f64 CPU reference of the fused optimizer kernel (shaders/optimize.wgsl): one replica, the
 * same algorithms step for step, the same random stream. Tests run both and compare trajectories;
 * the host also uses it to re-relax reported minima in f64.
 *
 * One call of `advance` is one loop iteration of the kernel and costs exactly one energy+force
 * evaluation (a local-optimizer step, or a basin-hopping hop with its new start), except when a
 * local optimizer finds itself converged, which ends the replica.
 */
import type { EnergyForcesFn } from "../potentials/types.ts";
import { referencePotential } from "../potentials/potential.ts";
import { Rng } from "../systems/rng.ts";
import type { System } from "../systems/system.ts";
import { mlpForward, PARAMETER_COUNT } from "../learned/architecture.ts";
import { atomFeatures, atomStep, MOMENTUM_DECAYS, rms } from "../learned/features.ts";
import type { Method, OptimizerSettings, ReplicaHyperparameters } from "./settings.ts";

export type ReplicaStatus = "running" | "converged" | "failed";
export const STATUS_CODES: Record<ReplicaStatus, number> = { running: 0, converged: 1, failed: 2 };

/** Stands for +infinity in energies, as in the kernel. */
export const NO_ENERGY = 3.4e38;
/** Trials for random placements (restart positions, unlike-atom partners), as in the kernel. */
export const PLACEMENT_TRIALS = 8;

export interface LoggedMinimum {
  energy: number;
  evaluations: number;
  positions: Float64Array;
}

export interface ReplicaContext {
  potential: EnergyForcesFn;
  species: ArrayLike<number>;
  nSpecies: number;
  box?: number;
  method: Method;
  settings: OptimizerSettings;
  logCapacity: number;
  /** Learned optimizer: every weight vector, concatenated (replicas pick theirs by index). */
  weights?: ArrayLike<number>;
}

/** The context of replicas of `system` on its f64 reference potential. */
export function referenceContext(
  system: System,
  method: Method,
  settings: OptimizerSettings,
  options: { logCapacity?: number; weights?: ArrayLike<number>; species?: ArrayLike<number> } = {},
): ReplicaContext {
  return {
    potential: referencePotential(system.potential),
    species: options.species ?? system.species,
    nSpecies: system.elements.length,
    box: system.box,
    method,
    settings,
    logCapacity: options.logCapacity ?? 1,
    weights: options.weights,
  };
}

export class ReferenceReplica {
  readonly n: number;
  x: Float64Array;
  f: Float64Array;
  v: Float64Array;
  w: Float64Array;
  markov: Float64Array;
  bestPositions: Float64Array;
  energy = NO_ENERGY;
  bestEnergy = NO_ENERGY;
  bestEvaluations = 0;
  fmax = Infinity;
  status: ReplicaStatus = "running";
  evaluations = 0;
  relaxSteps = 0;
  firePositive = 0;
  adamT = 0;
  fireDt = 0;
  fireAlpha = 0;
  step: number;
  dr: number;
  temperature: number;
  markovEnergy = NO_ENERGY;
  hops = 0;
  accepted = 0;
  windowAccepted = 0;
  sinceBest = 0;
  /** Learned optimizer: the force momenta, MOMENTUM_DECAYS order, and the weight vector used. */
  momenta: Float64Array[];
  weightsIndex: number;
  rng: Rng;
  log: LoggedMinimum[] = [];
  #context: ReplicaContext;

  constructor(
    context: ReplicaContext,
    positions: ArrayLike<number>,
    hyper: ReplicaHyperparameters,
    stream: number,
  ) {
    this.#context = context;
    this.n = positions.length / 3;
    this.x = Float64Array.from(positions);
    this.f = new Float64Array(3 * this.n);
    this.v = new Float64Array(3 * this.n);
    this.w = new Float64Array(3 * this.n);
    this.markov = new Float64Array(3 * this.n);
    this.bestPositions = new Float64Array(3 * this.n);
    this.step = hyper.step;
    this.dr = hyper.dr;
    this.temperature = hyper.temperature;
    this.momenta = MOMENTUM_DECAYS.map(() => new Float64Array(3 * this.n));
    this.weightsIndex = hyper.weights ?? 0;
    this.rng = new Rng(hyper.seed, stream);
    this.#constrain();
    this.#resetOptimizer();
    this.markov.set(this.x);
    this.#evaluate();
  }

  /** One kernel loop iteration; false when the replica has stopped (converged or failed). */
  advance(): boolean {
    if (this.status !== "running") return false;
    const { method, settings } = this.#context;
    if (method === "learned") {
      const wasRelaxed = this.fmax < settings.fmax;
      this.#learnedStep();
      if (!wasRelaxed && this.fmax < settings.fmax && this.status === "running") {
        this.#logMinimum();
      }
      return true;
    }
    if (method === "bh" || method === "random") {
      if (this.fmax < settings.fmax || this.relaxSteps >= settings.relaxStepCap) {
        this.#hop();
      } else {
        this.#fireStep();
        this.relaxSteps++;
      }
      return true;
    }
    if (this.fmax < settings.fmax) {
      this.status = "converged";
      this.#logMinimum();
      return false;
    }
    if (method === "gd") this.#gradientDescentStep();
    else if (method === "adam") this.#adamStep();
    else this.#fireStep();
    return true;
  }

  /** Advances until `evaluations` evaluations have been spent or the replica stops. */
  advanceTo(evaluations: number): void {
    while (this.evaluations < evaluations && this.advance());
  }

  #constrain() {
    const { box, settings } = this.#context;
    const x = this.x;
    if (box !== undefined) {
      for (let k = 0; k < x.length; k++) x[k] -= box * Math.floor(x[k] / box);
      return;
    }
    const centre = [0, 0, 0];
    for (let i = 0; i < this.n; i++) for (let c = 0; c < 3; c++) centre[c] += x[3 * i + c];
    for (let c = 0; c < 3; c++) centre[c] /= this.n;
    const radius = settings.containerRadius;
    for (let i = 0; i < this.n; i++) {
      for (let c = 0; c < 3; c++) x[3 * i + c] -= centre[c];
      const r = Math.hypot(x[3 * i], x[3 * i + 1], x[3 * i + 2]);
      if (radius > 0 && r > radius) { for (let c = 0; c < 3; c++) x[3 * i + c] *= radius / r; }
    }
  }

  #evaluate() {
    const { potential, species, box } = this.#context;
    const result = potential({ positions: this.x, species, box });
    this.f.set(result.forces);
    this.evaluations++;
    this.energy = result.energy;
    let fmax2 = 0;
    for (let i = 0; i < this.n; i++) {
      fmax2 = Math.max(fmax2, this.f[3 * i] ** 2 + this.f[3 * i + 1] ** 2 + this.f[3 * i + 2] ** 2);
    }
    this.fmax = Math.sqrt(fmax2);
    if (!Number.isFinite(result.energy) || !Number.isFinite(fmax2)) {
      this.status = "failed";
      return;
    }
    this.sinceBest++;
    if (result.energy < this.bestEnergy) {
      this.sinceBest = 0;
      this.bestEnergy = result.energy;
      this.bestEvaluations = this.evaluations;
      this.bestPositions.set(this.x);
    }
  }

  /** Adds d (atom i's 3 components) to x, shortened to maxStep if longer. */
  #moveCapped(i: number, dx: number, dy: number, dz: number) {
    const limit = this.#context.settings.maxStep;
    const length = Math.hypot(dx, dy, dz);
    const scale = length > limit ? limit / length : 1;
    this.x[3 * i] += dx * scale;
    this.x[3 * i + 1] += dy * scale;
    this.x[3 * i + 2] += dz * scale;
  }

  #gradientDescentStep() {
    const f = this.f;
    for (let i = 0; i < this.n; i++) {
      this.#moveCapped(i, this.step * f[3 * i], this.step * f[3 * i + 1], this.step * f[3 * i + 2]);
    }
    this.#constrain();
    this.#evaluate();
  }

  #adamStep() {
    const { beta1, beta2, epsilon } = this.#context.settings.adam;
    this.adamT++;
    const correction1 = 1 - beta1 ** this.adamT;
    const correction2 = 1 - beta2 ** this.adamT;
    const d = [0, 0, 0];
    for (let i = 0; i < this.n; i++) {
      for (let c = 0; c < 3; c++) {
        const k = 3 * i + c;
        const gradient = -this.f[k];
        this.v[k] = beta1 * this.v[k] + (1 - beta1) * gradient;
        this.w[k] = beta2 * this.w[k] + (1 - beta2) * gradient * gradient;
        d[c] = -this.step * (this.v[k] / correction1) /
          (Math.sqrt(this.w[k] / correction2) + epsilon);
      }
      this.#moveCapped(i, d[0], d[1], d[2]);
    }
    this.#constrain();
    this.#evaluate();
  }

  /** JAX MD's fire_descent step with ASE's maxstep (see shaders/optimize.wgsl). */
  #fireStep() {
    const { settings } = this.#context;
    const { x, f, v } = this;
    const dt = this.fireDt;
    let largest2 = 0;
    for (let i = 0; i < this.n; i++) {
      for (let c = 0; c < 3; c++) v[3 * i + c] += 0.5 * dt * f[3 * i + c];
      largest2 = Math.max(largest2, v[3 * i] ** 2 + v[3 * i + 1] ** 2 + v[3 * i + 2] ** 2);
    }
    const largest = dt * Math.sqrt(largest2);
    const scale = largest > settings.maxStep ? settings.maxStep / largest : 1;
    for (let k = 0; k < x.length; k++) x[k] += scale * dt * v[k];
    this.#constrain();
    this.#evaluate();
    if (this.status === "failed") return;
    let f2 = 0;
    let v2 = 0;
    let power = 0;
    for (let k = 0; k < x.length; k++) {
      v[k] += 0.5 * dt * f[k];
      f2 += f[k] * f[k];
      v2 += v[k] * v[k];
      power += f[k] * v[k];
    }
    const ratio = Math.sqrt(v2) / Math.max(Math.sqrt(f2), 1e-30);
    for (let k = 0; k < x.length; k++) v[k] += this.fireAlpha * (f[k] * ratio - v[k]);
    const fire = settings.fire;
    this.firePositive = power >= 0 ? this.firePositive + 1 : 0;
    if (power > 0 && this.firePositive > fire.nMin) {
      this.fireDt = Math.min(this.fireDt * fire.fInc, fire.dtMax);
      this.fireAlpha *= fire.fAlpha;
    }
    if (power < 0) {
      this.fireDt *= fire.fDec;
      this.fireAlpha = fire.alphaStart;
      v.fill(0);
    }
  }

  /** The learned optimizer's step (src/learned/features.ts; shaders/learned.wgsl). */
  #learnedStep() {
    const { settings, weights } = this.#context;
    if (weights === undefined) throw new Error("the learned method needs weights");
    const { x, f, n } = this;
    let force2 = 0;
    const momentum2 = [0, 0, 0];
    for (let k = 0; k < 3 * n; k++) {
      force2 += f[k] * f[k];
      MOMENTUM_DECAYS.forEach((decay, d) => {
        const m = this.momenta[d];
        m[k] = decay * m[k] + (1 - decay) * f[k];
        momentum2[d] += m[k] * m[k];
      });
    }
    const summary = {
      rmsForce: rms(force2, n),
      rmsMomenta: momentum2.map((sum) => rms(sum, n)),
      energyGap: Math.tanh((this.energy - this.bestEnergy) / (n * settings.energyScale)),
      sinceBest: this.sinceBest,
      step: this.evaluations,
    };
    const offset = this.weightsIndex * PARAMETER_COUNT;
    const at = (v: Float64Array, i: number) => v.subarray(3 * i, 3 * i + 3);
    for (let i = 0; i < n; i++) {
      const force = at(f, i);
      const momenta = this.momenta.map((m) => at(m, i));
      const fromBest = [0, 1, 2].map((c) => x[3 * i + c] - this.bestPositions[3 * i + c]);
      const features = atomFeatures(force, momenta, fromBest, summary, settings.bondLength);
      const outputs = mlpForward(weights, offset, features);
      const xi = [0, 1, 2].map(() => this.#standardNormal());
      const [dx, dy, dz] = atomStep(outputs, force, momenta[1], summary, settings.bondLength, xi);
      this.#moveCapped(i, dx, dy, dz);
    }
    this.#constrain();
    this.#evaluate();
  }

  #standardNormal(): number {
    const u = 1 - this.rng.uniform24();
    return Math.sqrt(-2 * Math.log(u)) * Math.cos(2 * Math.PI * this.rng.uniform24());
  }

  #resetOptimizer() {
    this.v.fill(0);
    this.w.fill(0);
    this.fireDt = this.step;
    this.fireAlpha = this.#context.settings.fire.alphaStart;
    this.firePositive = 0;
    this.adamT = 0;
    this.relaxSteps = 0;
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

  #randomInCube(halfSide: number): number[] {
    return [0, 0, 0].map(() => halfSide * (2 * this.rng.uniform24() - 1));
  }

  #randomStructure() {
    const { box, settings } = this.#context;
    const radius = settings.startRadius;
    const min2 = settings.minDistance ** 2;
    for (let i = 0; i < this.n; i++) {
      for (let trial = 0; trial < PLACEMENT_TRIALS; trial++) {
        let p: number[];
        if (box !== undefined) {
          p = [0, 0, 0].map(() => box * this.rng.uniform24());
        } else {
          p = this.#randomInCube(radius);
          const length = Math.hypot(p[0], p[1], p[2]);
          if (length > radius) {
            const scale = radius * this.rng.uniform24() / length;
            p = p.map((c) => c * scale);
          }
        }
        this.x.set(p, 3 * i);
        let clear = true;
        for (let j = 0; j < i; j++) {
          let r2 = 0;
          for (let c = 0; c < 3; c++) {
            let d = this.x[3 * j + c] - p[c];
            if (box !== undefined) d -= box * Math.round(d / box);
            r2 += d * d;
          }
          clear = clear && r2 >= min2;
        }
        if (clear) break;
      }
    }
  }

  #swapUnlikeAtoms(): boolean {
    const { species } = this.#context;
    const pick = () => Math.min(Math.floor(this.rng.uniform24() * this.n), this.n - 1);
    const i = pick();
    for (let trial = 0; trial < PLACEMENT_TRIALS; trial++) {
      const j = pick();
      if (species[j] !== species[i]) {
        for (let c = 0; c < 3; c++) {
          [this.x[3 * i + c], this.x[3 * j + c]] = [this.x[3 * j + c], this.x[3 * i + c]];
        }
        return true;
      }
    }
    return false;
  }

  #hop() {
    const { method, settings, nSpecies } = this.#context;
    this.#logMinimum();
    this.hops++;
    const rise = this.energy - this.markovEnergy;
    const accept = rise < 0 ||
      (this.temperature > 0 && this.rng.uniform24() < Math.exp(-rise / this.temperature));
    if (accept) {
      this.markovEnergy = this.energy;
      this.accepted++;
      this.windowAccepted++;
      this.markov.set(this.x);
    }
    const interval = settings.adaptInterval;
    if (interval > 0 && this.hops % interval === 0) {
      const factor = settings.adaptFactor;
      this.dr = 2 * this.windowAccepted > interval ? this.dr * factor : this.dr / factor;
      this.windowAccepted = 0;
    }
    if (method === "random") {
      this.#randomStructure();
    } else {
      this.x.set(this.markov);
      const swap = nSpecies > 1 && this.rng.uniform24() < settings.swapProbability;
      if (!(swap && this.#swapUnlikeAtoms())) {
        for (let i = 0; i < this.n; i++) {
          const d = this.#randomInCube(this.dr);
          for (let c = 0; c < 3; c++) this.x[3 * i + c] += d[c];
        }
      }
    }
    this.#constrain();
    this.#resetOptimizer();
    this.#evaluate();
  }
}
