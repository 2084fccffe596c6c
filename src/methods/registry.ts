/**
 * The hand-designed local methods by name, with their settings as a discriminated union. A
 * learned optimizer is a local method too, made by its architecture (src/learned/).
 */
import { UserError } from "../core/errors.ts";
import { ADAM, adam, type AdamConstants } from "./adam.ts";
import { anneal, ANNEAL_FRICTION, type AnnealConstants, DEFAULT_ANNEAL_STEPS } from "./anneal.ts";
import { fire, type FireConstants, JAX_MD_FIRE } from "./fire.ts";
import { gradientDescent } from "./gradient_descent.ts";
import { LBFGS, lbfgs, type LbfgsConstants } from "./lbfgs.ts";
import type { LocalMethod } from "./local_method.ts";

export const LOCAL_METHOD_NAMES = ["gd", "adam", "fire", "lbfgs", "anneal"] as const;
export type LocalMethodName = typeof LOCAL_METHOD_NAMES[number];

/** Largest displacement of one atom in one step, for every method: ASE's default maxstep for
 * FIRE, 0.2 (Angstrom there). JAX MD has none; without one a first step from two atoms 0.8 bond
 * lengths apart can throw an atom out of the cluster. */
export const DEFAULT_MAX_STEP = 0.2;

/**
 * Default `step` per local method, measured on LJ13 from random starts (64 replicas, fmax 1e-3):
 * - gd 1e-3: x += step F is stable only below 2 / (stiffest Hessian eigenvalue); at 5e-3, 50 of
 *   64 replicas oscillate for 20,000 evaluations, at 1e-3 all converge within 4,900.
 * - adam 1e-2: all converge within 920 evaluations (3e-3: 1,720).
 * - fire: JAX MD's dt_start 0.1.
 * - lbfgs: H0 = 0.1 without history, GMIN's DGUESS for LJ.
 * - anneal: the time step, 0.05 (unit masses): about 24 steps per period of silicon's stiffest
 *   vibration and 12 of an LJ cluster's (src/methods/anneal.ts).
 */
export const DEFAULT_STEP: Record<LocalMethodName, number> = {
  gd: 1e-3,
  adam: 1e-2,
  fire: 0.1,
  lbfgs: 0.1,
  anneal: 0.05,
};

export type LocalSettings =
  | { method: "gd"; maxStep: number }
  | { method: "adam"; maxStep: number; adam: AdamConstants }
  | { method: "fire"; maxStep: number; fire: FireConstants }
  | { method: "lbfgs"; maxStep: number; lbfgs: LbfgsConstants }
  | { method: "anneal"; maxStep: number; anneal: AnnealConstants; fire: FireConstants };

/** A method's settings with its published defaults. */
export function defaultLocalSettings(
  method: LocalMethodName,
  maxStep = DEFAULT_MAX_STEP,
): LocalSettings {
  switch (method) {
    case "gd":
      return { method, maxStep };
    case "adam":
      return { method, maxStep, adam: ADAM };
    case "fire":
      return { method, maxStep, fire: JAX_MD_FIRE };
    case "lbfgs":
      return { method, maxStep, lbfgs: LBFGS };
    case "anneal":
      return {
        method,
        maxStep,
        anneal: { steps: DEFAULT_ANNEAL_STEPS, friction: ANNEAL_FRICTION },
        fire: JAX_MD_FIRE,
      };
  }
}

export function isLocalMethodName(name: string): name is LocalMethodName {
  return (LOCAL_METHOD_NAMES as readonly string[]).includes(name);
}

export function localMethod(settings: LocalSettings): LocalMethod {
  if (!(settings.maxStep > 0)) {
    throw new UserError(`the largest step must be positive, got ${settings.maxStep}`);
  }
  switch (settings.method) {
    case "gd":
      return gradientDescent(settings);
    case "adam":
      return adam(settings);
    case "fire":
      return fire(settings);
    case "lbfgs":
      return lbfgs(settings);
    case "anneal":
      return anneal(settings);
  }
}
