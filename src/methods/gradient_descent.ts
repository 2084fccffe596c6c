/**
 * Gradient descent: x += step F, each atom's move capped at maxStep (shaders/methods/
 * gradient_descent.wgsl). No state. The step (length^2 / energy) is the replica's `step`.
 */
import SHADER from "../../shaders/methods/gradient_descent.wgsl" with { type: "text" };
import type { LocalMethod, LocalMethodEntry, MirrorReplica } from "./local_method.ts";

export interface GradientDescentSettings {
  maxStep: number;
}

/** x += step F is stable only below 2 / (the stiffest Hessian eigenvalue): on LJ13 from random
 * starts (64 replicas, fmax 1e-3), at step 5e-3 50 of 64 replicas oscillate for 20,000
 * evaluations, at 1e-3 all converge within 4,900. */
export const GRADIENT_DESCENT_METHOD: LocalMethodEntry<"gd", GradientDescentSettings> = {
  name: "gd",
  defaultStep: 1e-3,
  defaults: (maxStep) => ({ method: "gd", maxStep }),
  make: (settings) => gradientDescent(settings),
};

export function gradientDescent(settings: GradientDescentSettings): LocalMethod {
  return {
    name: "gd",
    shader: SHADER,
    planes: [],
    state: { name: "LocalState", fields: [] },
    constants: {},
    maxStep: settings.maxStep,
    parameterCount: 0,
    cost: (n) => ({ step: n, reset: 0, loadStore: 0, reductions: 0, drawsPerAtom: 0 }),
    mirror: () => ({
      reset() {},
      step(r: MirrorReplica) {
        for (let i = 0; i < r.n; i++) {
          const [fx, fy, fz] = r.f.subarray(3 * i, 3 * i + 3);
          r.moveCapped(i, r.step * fx, r.step * fy, r.step * fz, settings.maxStep);
        }
        r.constrain();
        r.evaluate();
      },
    }),
  };
}
