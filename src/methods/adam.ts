/**
 * Adam (Kingma & Ba 2015) on the gradient -F, learning rate the replica's `step` (a length), each
 * atom's move capped at maxStep (shaders/methods/adam.wgsl). State: the step count and both
 * moments.
 */
import SHADER from "../../shaders/methods/adam.wgsl" with { type: "text" };
import type { LocalMethod, LocalMethodEntry, MirrorReplica } from "./local_method.ts";

export interface AdamConstants {
  beta1: number;
  beta2: number;
  epsilon: number;
}

export const ADAM: AdamConstants = { beta1: 0.9, beta2: 0.999, epsilon: 1e-8 };

export interface AdamSettings {
  maxStep: number;
  adam: AdamConstants;
}

/** Step 1e-2: on LJ13 from random starts (64 replicas, fmax 1e-3) all converge within 920
 * evaluations (3e-3: 1,720). */
export const ADAM_METHOD: LocalMethodEntry<"adam", AdamSettings> = {
  name: "adam",
  defaultStep: 1e-2,
  defaults: (maxStep) => ({ method: "adam", maxStep, adam: ADAM }),
  make: (settings) => adam(settings),
};

export function adam(settings: AdamSettings): LocalMethod {
  const { beta1, beta2, epsilon } = settings.adam;
  return {
    name: "adam",
    shader: SHADER,
    planes: ["MOMENT1", "MOMENT2"],
    state: { name: "LocalState", fields: [{ name: "t", type: "u32" }] },
    constants: {
      ADAM_BETA1: { f32: beta1 },
      ADAM_BETA2: { f32: beta2 },
      ADAM_EPSILON: { f32: epsilon },
    },
    maxStep: settings.maxStep,
    parameterCount: 0,
    cost: (n) => ({ step: n, reset: n, loadStore: 2 * n, reductions: 0, drawsPerAtom: 0 }),
    mirror: () => {
      let t = 0;
      let m = new Float64Array(0);
      let v = new Float64Array(0);
      return {
        reset(r: MirrorReplica) {
          t = 0;
          m = new Float64Array(3 * r.n);
          v = new Float64Array(3 * r.n);
        },
        step(r: MirrorReplica) {
          t++;
          const correction1 = 1 - beta1 ** t;
          const correction2 = 1 - beta2 ** t;
          const d = [0, 0, 0];
          for (let i = 0; i < r.n; i++) {
            for (let c = 0; c < 3; c++) {
              const k = 3 * i + c;
              const gradient = -r.f[k];
              m[k] = beta1 * m[k] + (1 - beta1) * gradient;
              v[k] = beta2 * v[k] + (1 - beta2) * gradient * gradient;
              d[c] = -r.step * (m[k] / correction1) / (Math.sqrt(v[k] / correction2) + epsilon);
            }
            r.moveCapped(i, d[0], d[1], d[2], settings.maxStep);
          }
          r.constrain();
          r.evaluate();
        },
      };
    },
  };
}
