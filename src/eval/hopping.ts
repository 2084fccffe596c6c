/**
 * Hopping behaviour of an optimizer, from trajectories of its f64 mirror (ReferenceReplica, the
 * same algorithm as the GPU kernel): how long its steps are, how the energy changes per step, and
 * how often it moves from one basin of attraction to another.
 *
 * Basins are identified by quenching: every `quenchEvery` evaluations the current positions are
 * relaxed in f64 by FIRE (small time step, to fmax 1e-4) and the basin is named by the energy of
 * the minimum reached (the trajectory's "inherent structure"). A basin change is a quench whose
 * minimum differs in energy by more than 1e-3 from the previous quench's. Counting per 1000
 * evaluations makes methods comparable; basin hopping changes basins by design once per
 * relaxation, a descent method never after its first minimum.
 */
import { fire, JAX_MD_FIRE } from "../methods/fire.ts";
import type { MethodSpec, ReplicaHyperparameters } from "../methods/method_spec.ts";
import { referenceContext, ReferenceReplica } from "../methods/reference_replica.ts";
import type { Method } from "../search/defaults.ts";
import type { System } from "../systems/system.ts";

const QUENCH_FMAX = 1e-4;
const QUENCH_DT = 0.05;
const QUENCH_MAX_EVALUATIONS = 5000;
const SAME_BASIN_ENERGY = 1e-3;

export interface HoppingTrajectory {
  method: Method;
  /** Root-mean-square atom displacement of every step. */
  stepLengths: number[];
  /** Energy change of every step. */
  energyChanges: number[];
  /** [evaluations, minimum energy] of every quench. */
  quenches: [number, number][];
  basinChanges: number;
  evaluations: number;
}

export interface HoppingOptions {
  system: System;
  method: Method;
  spec: MethodSpec;
  hyper: ReplicaHyperparameters;
  start: ArrayLike<number>;
  evaluations: number;
  quenchEvery: number;
  /** Learned optimizer: its weight vector. */
  weights?: ArrayLike<number>;
}

export function hoppingTrajectory(options: HoppingOptions): HoppingTrajectory {
  const { system, method, spec } = options;
  const context = referenceContext(system, spec, { weights: options.weights });
  const replica = new ReferenceReplica(context, options.start, options.hyper, 0);
  const n = system.nAtoms;
  const stepLengths: number[] = [];
  const energyChanges: number[] = [];
  const quenches: [number, number][] = [];
  let basinChanges = 0;
  let previous = Float64Array.from(replica.x);
  let previousEnergy = replica.energy;
  while (replica.evaluations < options.evaluations && replica.advance()) {
    let sum = 0;
    for (let k = 0; k < 3 * n; k++) {
      let d = replica.x[k] - previous[k];
      if (system.box !== undefined) d -= system.box * Math.round(d / system.box);
      sum += d * d;
    }
    stepLengths.push(Math.sqrt(sum / n));
    energyChanges.push(replica.energy - previousEnergy);
    previous = Float64Array.from(replica.x);
    previousEnergy = replica.energy;
    if (replica.evaluations % options.quenchEvery === 0) {
      const minimum = quench(system, replica.x);
      const last = quenches.at(-1);
      if (last && Math.abs(last[1] - minimum) > SAME_BASIN_ENERGY) basinChanges++;
      quenches.push([replica.evaluations, minimum]);
    }
  }
  return {
    method,
    stepLengths,
    energyChanges,
    quenches,
    basinChanges,
    evaluations: replica.evaluations,
  };
}

/** The energy of the minimum that f64 FIRE reaches from `positions`. */
export function quench(system: System, positions: ArrayLike<number>): number {
  const replica = new ReferenceReplica(
    referenceContext(system, {
      local: fire({ maxStep: 0.1 * system.bondLength, fire: { ...JAX_MD_FIRE, dtMax: QUENCH_DT } }),
      driver: { mode: "local", fmax: QUENCH_FMAX },
      containerRadius: 0,
    }),
    positions,
    { step: QUENCH_DT, dr: 0, temperature: 0, seed: 0 },
    0,
  );
  replica.advanceTo(QUENCH_MAX_EVALUATIONS);
  return replica.energy;
}

/** Counts of `values` in `edges.length - 1` bins [edges[i], edges[i + 1]); outside ones dropped. */
export function histogram(values: number[], edges: number[]): number[] {
  const counts = new Array(edges.length - 1).fill(0);
  for (const v of values) {
    for (let i = 0; i + 1 < edges.length; i++) {
      if (v >= edges[i] && v < edges[i + 1]) {
        counts[i]++;
        break;
      }
    }
  }
  return counts;
}

/** `bins + 1` logarithmically spaced edges from `low` to `high`. */
export function logEdges(low: number, high: number, bins: number): number[] {
  return Array.from({ length: bins + 1 }, (_, i) => low * (high / low) ** (i / bins));
}

/** Basin changes per 1000 evaluations. */
export function basinChangeRate(trajectory: HoppingTrajectory): number {
  return 1000 * trajectory.basinChanges / trajectory.evaluations;
}
