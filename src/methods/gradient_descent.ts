/**
 * Gradient descent: x += step F, each atom's move capped at maxStep (shaders/methods/
 * gradient_descent.wgsl). No state. The step (length^2 / energy) is the replica's `step`.
 */
import SHADER from "../../shaders/methods/gradient_descent.wgsl" with { type: "text" };
import type { LocalMethod, MirrorReplica } from "./local_method.ts";

export interface GradientDescentSettings {
  maxStep: number;
}

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
