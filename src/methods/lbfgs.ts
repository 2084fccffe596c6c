/**
 * L-BFGS (Nocedal, Math. Comp. 35, 773 (1980); Liu & Nocedal, Math. Prog. 45, 503 (1989)) in the
 * style of GMIN's mylbfgs (Wales), with every trial point one counted evaluation
 * (shaders/methods/lbfgs.wgsl):
 * - the step is d = -H g from the two-loop recursion over the last `history` pairs
 *   s = x_{k+1} - x_k, y = g_{k+1} - g_k, with H0 = gamma I, gamma = s.y / y.y of the newest pair
 *   (without history, H0 = the replica's `step` I: GMIN's DGUESS, 0.1 for LJ);
 * - d not downhill (g.d >= 0): the history is forgotten and d = -step g;
 * - d is scaled so that no atom moves more than maxStep (ASE's LBFGS maxstep rule);
 * - a step that raises the energy by more than maxRise (|E| + N), a rounding allowance for the
 *   f32 kernel, is retried from the previous point at `backtrack` times the length, up to
 *   `maxBacktracks` times; then it is taken and the history forgotten (GMIN resets too);
 * - a pair enters the history only with positive curvature s.y > 0.
 */
import SHADER from "../../shaders/methods/lbfgs.wgsl" with { type: "text" };
import { UserError } from "../core/errors.ts";
import type { LocalMethod, LocalMethodEntry, MirrorReplica } from "./local_method.ts";

export interface LbfgsConstants {
  /** Pairs (s, y) kept: GMIN's MUPDATE (4), scipy's default 10. */
  history: number;
  /** Each retry's length relative to the last try. */
  backtrack: number;
  maxBacktracks: number;
  /** Energy rise allowed per (|E| + N), so f32 rounding does not count as a rise. */
  maxRise: number;
}

/** History 5; halving up to 5 times; a rise allowance of 1e-6 (|E| + N), 2e-4 for LJ38, about
 * 20 times the f32 rounding of its energy (tests/gpu_energy_test.ts). */
export const LBFGS: LbfgsConstants = {
  history: 5,
  backtrack: 0.5,
  maxBacktracks: 5,
  maxRise: 1e-6,
};

/** Largest history: 2 m + 2 planes of 3 N floats per replica. */
export const MAX_LBFGS_HISTORY = 32;

export interface LbfgsSettings {
  maxStep: number;
  lbfgs: LbfgsConstants;
}

export function checkLbfgs(constants: LbfgsConstants): void {
  const { history, backtrack, maxBacktracks, maxRise } = constants;
  if (!Number.isInteger(history) || history < 1 || history > MAX_LBFGS_HISTORY) {
    throw new UserError(
      `the L-BFGS history must be an integer from 1 to ${MAX_LBFGS_HISTORY}, got ${history}`,
    );
  }
  if (!(backtrack > 0 && backtrack < 1)) {
    throw new UserError(`the L-BFGS backtrack factor must lie in (0, 1), got ${backtrack}`);
  }
  if (!Number.isInteger(maxBacktracks) || maxBacktracks < 0 || maxBacktracks > 50) {
    throw new UserError(`the L-BFGS backtracks must be an integer from 0 to 50`);
  }
  if (!(maxRise >= 0 && maxRise < 1)) {
    throw new UserError(`the L-BFGS energy-rise allowance must lie in [0, 1), got ${maxRise}`);
  }
}

/** Step: H0 = 0.1 without history, GMIN's DGUESS for LJ. */
export const LBFGS_METHOD: LocalMethodEntry<"lbfgs", LbfgsSettings> = {
  name: "lbfgs",
  defaultStep: 0.1,
  defaults: (maxStep) => ({ method: "lbfgs", maxStep, lbfgs: LBFGS }),
  make: (settings) => lbfgs(settings),
};

export function lbfgs(settings: LbfgsSettings): LocalMethod {
  const c = settings.lbfgs;
  checkLbfgs(c);
  const m = c.history;
  const maxStep = settings.maxStep;
  const planes = [
    ...Array.from({ length: m }, (_, k) => `S${k}`),
    ...Array.from({ length: m }, (_, k) => `Y${k}`),
    "PREVIOUS",
    "PREVIOUS_GRADIENT",
  ];
  return {
    name: "lbfgs",
    shader: SHADER,
    planes,
    state: {
      name: "LocalState",
      fields: [
        { name: "count", type: "u32", doc: "history pairs held" },
        { name: "newest", type: "u32", doc: "slot of the newest pair" },
        { name: "backtracks", type: "u32", doc: "retries of the current step so far" },
        { name: "energy_before", type: "f32", doc: "energy at the previous point" },
        { name: "gamma", type: "f32", doc: "H0's scale, s.y / y.y of the newest pair" },
        { name: "rho", type: "f32", count: m, doc: "1 / s.y per slot" },
      ],
    },
    constants: {
      LBFGS_HISTORY: m,
      LBFGS_BACKTRACK: { f32: c.backtrack },
      LBFGS_MAX_BACKTRACKS: c.maxBacktracks,
      LBFGS_MAX_RISE: { f32: c.maxRise },
    },
    maxStep,
    parameterCount: 0,
    cost: (n) => ({
      step: (4 * m + 7) * n,
      reset: 0,
      loadStore: 0,
      reductions: 2 * m + 3,
      drawsPerAtom: 0,
    }),
    mirror: () => new LbfgsMirror(c, maxStep),
  };
}

/** The f64 mirror, array for array and slot for slot like the kernel. */
class LbfgsMirror {
  #count = 0;
  #newest = 0;
  #backtracks = 0;
  #energyBefore = 0;
  #gamma = 0;
  #rho: Float64Array;
  #s: Float64Array[] = [];
  #y: Float64Array[] = [];
  #previous = new Float64Array(0);
  #previousGradient = new Float64Array(0);

  constructor(readonly constants: LbfgsConstants, readonly maxStep: number) {
    this.#rho = new Float64Array(constants.history);
  }

  reset(r: MirrorReplica) {
    if (this.#previous.length !== 3 * r.n) {
      const plane = () => new Float64Array(3 * r.n);
      this.#s = Array.from({ length: this.constants.history }, plane);
      this.#y = Array.from({ length: this.constants.history }, plane);
      this.#previous = plane();
      this.#previousGradient = plane();
    }
    this.#count = 0;
    this.#newest = 0;
    this.#backtracks = 0;
  }

  #slot(k: number): number {
    const m = this.constants.history;
    return (this.#newest + m - k) % m;
  }

  #directionStep(r: MirrorReplica) {
    const { x, f } = r;
    const q = Float64Array.from(f, (value) => -value);
    this.#previous.set(x);
    this.#previousGradient.set(q);
    this.#energyBefore = r.energy;
    const alpha = new Float64Array(this.constants.history);
    for (let k = 0; k < this.#count; k++) {
      const slot = this.#slot(k);
      const a = this.#rho[slot] * dot(this.#s[slot], q);
      alpha[slot] = a;
      axpy(-a, this.#y[slot], q);
    }
    const h0 = this.#count > 0 ? this.#gamma : r.step;
    for (let k = 0; k < q.length; k++) q[k] *= h0;
    for (let k = this.#count; k > 0; k--) {
      const slot = this.#slot(k - 1);
      const b = alpha[slot] - this.#rho[slot] * dot(this.#y[slot], q);
      axpy(b, this.#s[slot], q);
    }
    if (!(dot(q, f) < 0)) {
      this.#count = 0;
      for (let k = 0; k < q.length; k++) q[k] = -r.step * f[k];
    }
    let largest2 = 0;
    for (let i = 0; i < r.n; i++) {
      largest2 = Math.max(largest2, q[3 * i] ** 2 + q[3 * i + 1] ** 2 + q[3 * i + 2] ** 2);
    }
    const largest = Math.sqrt(largest2);
    const scale = largest > this.maxStep ? this.maxStep / largest : 1;
    for (let k = 0; k < x.length; k++) x[k] -= scale * q[k];
    r.constrain();
  }

  step(r: MirrorReplica) {
    const { x, f, n } = r;
    const c = this.constants;
    if (this.#backtracks === 0) {
      this.#directionStep(r);
    } else {
      for (let k = 0; k < x.length; k++) {
        const previous = this.#previous[k];
        x[k] = previous + c.backtrack * r.minimumImage(x[k] - previous);
      }
      r.constrain();
    }
    r.evaluate();
    if (r.diverged) return;
    const allowance = c.maxRise * (Math.abs(this.#energyBefore) + n);
    if (r.energy > this.#energyBefore + allowance) {
      if (this.#backtracks < c.maxBacktracks) {
        this.#backtracks++;
        return;
      }
      this.#backtracks = 0;
      this.#count = 0;
      return;
    }
    this.#backtracks = 0;
    const s = new Float64Array(3 * n);
    const y = new Float64Array(3 * n);
    for (let k = 0; k < x.length; k++) {
      s[k] = r.minimumImage(x[k] - this.#previous[k]);
      y[k] = -f[k] - this.#previousGradient[k];
    }
    const sy = dot(s, y);
    if (!(sy > 0)) return;
    const slot = (this.#newest + 1) % c.history;
    this.#s[slot].set(s);
    this.#y[slot].set(y);
    this.#newest = slot;
    this.#rho[slot] = 1 / sy;
    this.#gamma = sy / dot(y, y);
    this.#count = Math.min(this.#count + 1, c.history);
  }
}

function dot(a: ArrayLike<number>, b: ArrayLike<number>): number {
  let sum = 0;
  for (let k = 0; k < a.length; k++) sum += a[k] * b[k];
  return sum;
}

/** b += a x */
function axpy(a: number, x: ArrayLike<number>, b: Float64Array) {
  for (let k = 0; k < b.length; k++) b[k] += a * x[k];
}
