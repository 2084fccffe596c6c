/**
 * A melt-quench anneal (shaders/methods/anneal.wgsl): Langevin molecular dynamics whose
 * temperature holds at the replica's `temperature` (kT, energy) for the first HOLD_SHARE of the
 * anneal's `steps` evaluations, then falls linearly to 0 at `steps`; after that the replica relaxes
 * with FIRE (shaders/methods/fire_common.wgsl) until the driver's fmax. The usual way amorphous
 * silicon is made in simulation (a liquid quenched, e.g. Ishimaru, Munetoh & Motooka, PRB 56,
 * 15133 (1997) with Stillinger-Weber), and the baseline a hop-based search of a network solid is
 * judged against.
 *
 * Units are the system's, with unit masses (as FIRE's): time is length sqrt(mass / energy); the
 * replica's `step` is the MD time step dt, its `temperature` the melt's kT. Each step is velocity
 * Verlet (each atom's move capped at maxStep, which a hot random start needs) followed by the
 * Ornstein-Uhlenbeck part of Langevin dynamics, v <- c v + sqrt((1 - c^2) kT) xi with
 * c = exp(-friction dt) and xi three standard normals per atom (the BBK/"VVO" splitting), so at a
 * fixed temperature every velocity component has variance kT. The schedule reads the replica's
 * evaluation count, so a restart (a rejected non-finite point) continues where the schedule was.
 */
import SHADER from "../../shaders/methods/anneal.wgsl" with { type: "text" };
import type { Layout } from "../core/layout.ts";
import {
  FIRE_COMMON_SHADER,
  FIRE_STATE,
  type FireConstants,
  FireMirrorState,
  fireShaderConstants,
  JAX_MD_FIRE,
} from "./fire.ts";
import type { LocalMethod, LocalMethodEntry, MirrorReplica } from "./local_method.ts";

export interface AnnealConstants {
  /** Evaluations of the schedule (hold, then linear cooling to 0); FIRE after. */
  steps: number;
  /** Langevin friction (1 / time). */
  friction: number;
}

/** The share of the schedule held at the melt temperature before cooling starts. */
export const HOLD_SHARE = 0.2;

/** Friction 1 per unit time: velocities forget themselves over about one vibration period of
 * Stillinger-Weber silicon with unit masses (the Si-Si stretch's stiffness, ~27 eV/A^2, gives a
 * period near 1.2). */
export const ANNEAL_FRICTION = 1;

/** The schedule's length without a budget to derive it from (the search sets 4/5 of its budget:
 * ANNEAL_SHARE). */
export const DEFAULT_ANNEAL_STEPS = 10_000;

/** The share of a search's evaluation budget its anneal spends on its schedule; the rest
 * relaxes. */
export const ANNEAL_SHARE = 0.8;

/** The schedule's length for a budget of `maxEvaluations` per replica. */
export function annealSteps(maxEvaluations: number): number {
  return Math.max(1, Math.round(ANNEAL_SHARE * maxEvaluations));
}

export interface AnnealSettings {
  maxStep: number;
  anneal: AnnealConstants;
  /** The relaxation after the schedule. */
  fire: FireConstants;
}

/** FIRE's state, and whether the schedule has ended and FIRE taken over. */
export const ANNEAL_STATE: Layout = {
  name: "LocalState",
  fields: [...FIRE_STATE.fields, { name: "quenched", type: "u32" }],
};

/** kT at evaluation count e of a schedule of `steps` from `melt`. */
export function annealTemperature(melt: number, e: number, steps: number): number {
  const hold = holdSteps(steps);
  if (e < hold) return melt;
  return e < steps ? melt * (steps - e) / (steps - hold) : 0;
}

function holdSteps(steps: number): number {
  return Math.round(HOLD_SHARE * steps);
}

/** Step: the time step, 0.05 (unit masses): about 24 steps per period of silicon's stiffest
 * vibration and 12 of an LJ cluster's. Its temperature is the melt's. */
export const ANNEAL_METHOD: LocalMethodEntry<"anneal", AnnealSettings> = {
  name: "anneal",
  defaultStep: 0.05,
  defaults: (maxStep, maxEvaluations) => ({
    method: "anneal",
    maxStep,
    anneal: {
      steps: maxEvaluations === undefined ? DEFAULT_ANNEAL_STEPS : annealSteps(maxEvaluations),
      friction: ANNEAL_FRICTION,
    },
    fire: JAX_MD_FIRE,
  }),
  make: (settings) => anneal(settings),
  melts: true,
};

export function anneal(settings: AnnealSettings): LocalMethod {
  const { maxStep } = settings;
  const { steps, friction } = settings.anneal;
  if (!(Number.isInteger(steps) && steps >= 1)) {
    throw new RangeError(`an anneal's steps must be a positive integer, got ${steps}`);
  }
  return {
    name: "anneal",
    shader: `${FIRE_COMMON_SHADER}\n${SHADER}`,
    planes: ["VELOCITY"],
    state: ANNEAL_STATE,
    constants: {
      ...fireShaderConstants(settings.fire),
      ANNEAL_STEPS: steps,
      ANNEAL_HOLD: holdSteps(steps),
      ANNEAL_FRICTION: { f32: friction },
    },
    maxStep,
    parameterCount: 0,
    // FIRE's step after the schedule is the dearer branch (the dynamics: 2 atom loops).
    cost: (n) => ({ step: 4 * n, reset: n, loadStore: 2 * n, reductions: 3, drawsPerAtom: 6 }),
    mirror: () => {
      const fire = new FireMirrorState(settings.fire);
      let quenched = false;
      return {
        reset: (r: MirrorReplica) => fire.reset(r),
        step(r: MirrorReplica) {
          const e = r.evaluations;
          if (e >= steps) {
            if (!quenched) {
              fire.reset(r);
              quenched = true;
            }
            fire.step(r, maxStep);
            return;
          }
          const { f } = r;
          const v = fire.v;
          const dt = r.step;
          for (let i = 0; i < r.n; i++) {
            for (let k = 3 * i; k < 3 * i + 3; k++) v[k] += 0.5 * dt * f[k];
            r.moveCapped(i, dt * v[3 * i], dt * v[3 * i + 1], dt * v[3 * i + 2], maxStep);
          }
          r.constrain();
          r.evaluate();
          if (r.diverged) return;
          const c = Math.exp(-friction * dt);
          const noise = Math.sqrt((1 - c * c) * annealTemperature(r.temperature, e, steps));
          for (let k = 0; k < v.length; k++) {
            v[k] = c * (v[k] + 0.5 * dt * f[k]) + noise * r.rng.normal24();
          }
        },
      };
    },
  };
}
