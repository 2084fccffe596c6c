/**
 * FIRE (Bitzek et al., PRL 97, 170201 (2006)) as JAX MD's fire_descent (velocity Verlet, unit
 * masses), plus ASE's maxstep: when the largest atom displacement dt |v_i| exceeds maxStep the
 * whole step is scaled down (shaders/methods/fire.wgsl). The replica's `step` is dt_start. State:
 * dt, alpha, the count of steps with positive power, the velocity.
 */
import SHADER from "../../shaders/methods/fire.wgsl" with { type: "text" };
import COMMON from "../../shaders/methods/fire_common.wgsl" with { type: "text" };
import type { Layout } from "../core/layout.ts";
import type { ShaderConstant } from "../gpu/shader_source.ts";
import type { LocalMethod, LocalMethodEntry, MirrorReplica } from "./local_method.ts";

export interface FireConstants {
  dtMax: number;
  nMin: number;
  fInc: number;
  fDec: number;
  alphaStart: number;
  fAlpha: number;
}

/** JAX MD's defaults (dt_start 0.1 is the per-replica step). */
export const JAX_MD_FIRE: FireConstants = {
  dtMax: 0.4,
  nMin: 5,
  fInc: 1.1,
  fDec: 0.5,
  alphaStart: 0.1,
  fAlpha: 0.99,
};

export interface FireSettings {
  maxStep: number;
  fire: FireConstants;
}

/** What every FIRE-like local method's shader shares (shaders/methods/fire_common.wgsl): the
 * velocity plane's load, store and reset, and FIRE's second half step that ends each step (FIRE's
 * own shader and fire_residual.ts's). */
export const FIRE_COMMON_SHADER: string = COMMON;

/** FIRE's f64 mirror state, with its reset and the second half step, as fire_common.wgsl; every
 * FIRE-like mirror (FIRE's own and fire_residual.ts's) moves the atoms itself, then calls
 * `finish`. */
export class FireMirrorState {
  v = new Float64Array(0);
  dt = 0;
  alpha = 0;
  positive = 0;

  constructor(readonly constants: FireConstants) {}

  reset(r: MirrorReplica) {
    this.v = new Float64Array(3 * r.n);
    this.dt = r.step;
    this.alpha = this.constants.alphaStart;
    this.positive = 0;
  }

  /** One whole FIRE step (fire_step): half kick, the move scaled down to maxStep for the
   * largest atom, the evaluation, the second half step. */
  step(r: MirrorReplica, maxStep: number) {
    const { x, f } = r;
    const { v, dt } = this;
    let largest2 = 0;
    for (let i = 0; i < r.n; i++) {
      for (let k = 3 * i; k < 3 * i + 3; k++) v[k] += 0.5 * dt * f[k];
      largest2 = Math.max(largest2, v[3 * i] ** 2 + v[3 * i + 1] ** 2 + v[3 * i + 2] ** 2);
    }
    const largest = dt * Math.sqrt(largest2);
    const scale = largest > maxStep ? maxStep / largest : 1;
    for (let k = 0; k < x.length; k++) x[k] += scale * dt * v[k];
    r.constrain();
    r.evaluate();
    if (!r.diverged) this.finish(r);
  }

  /** The second half step, after `r.evaluate()` at the new positions (fire_finish_step). */
  finish(r: MirrorReplica) {
    const { x, f } = r;
    const { v, dt } = this;
    const c = this.constants;
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
    for (let k = 0; k < x.length; k++) v[k] += this.alpha * (f[k] * ratio - v[k]);
    this.positive = power >= 0 ? this.positive + 1 : 0;
    if (power > 0 && this.positive > c.nMin) {
      this.dt = Math.min(dt * c.fInc, c.dtMax);
      this.alpha *= c.fAlpha;
    }
    if (power < 0) {
      this.dt *= c.fDec;
      this.alpha = c.alphaStart;
      v.fill(0);
    }
  }
}

/** FIRE's per-replica state: dt, alpha and the count of steps with positive power. */
export const FIRE_STATE: Layout = {
  name: "LocalState",
  fields: [
    { name: "dt", type: "f32" },
    { name: "alpha", type: "f32" },
    { name: "n_positive", type: "u32" },
  ],
};

/** FIRE's constants as its shaders read them. */
export function fireShaderConstants(c: FireConstants): Record<string, ShaderConstant> {
  return {
    FIRE_DT_MAX: { f32: c.dtMax },
    FIRE_N_MIN: c.nMin,
    FIRE_F_INC: { f32: c.fInc },
    FIRE_F_DEC: { f32: c.fDec },
    FIRE_ALPHA_START: { f32: c.alphaStart },
    FIRE_F_ALPHA: { f32: c.fAlpha },
  };
}

/** Step: JAX MD's dt_start 0.1. */
export const FIRE_METHOD: LocalMethodEntry<"fire", FireSettings> = {
  name: "fire",
  defaultStep: 0.1,
  defaults: (maxStep) => ({ method: "fire", maxStep, fire: JAX_MD_FIRE }),
  make: (settings) => fire(settings),
};

export function fire(settings: FireSettings): LocalMethod {
  const c = settings.fire;
  const maxStep = settings.maxStep;
  return {
    name: "fire",
    shader: `${FIRE_COMMON_SHADER}\n${SHADER}`,
    planes: ["VELOCITY"],
    state: FIRE_STATE,
    constants: fireShaderConstants(c),
    maxStep,
    parameterCount: 0,
    cost: (n) => ({ step: 4 * n, reset: n, loadStore: 2 * n, reductions: 3, drawsPerAtom: 0 }),
    mirror: () => {
      const state = new FireMirrorState(c);
      return {
        reset: (r: MirrorReplica) => state.reset(r),
        step: (r: MirrorReplica) => state.step(r, maxStep),
      };
    },
  };
}
