/**
 * The hand-designed local methods, one entry each (LocalMethodEntry, in each method's own file:
 * its default step, its settings with their published defaults, what makes it). A learned
 * optimizer is a local method too, made by its architecture (src/learned/).
 */
import { UserError } from "../core/errors.ts";
import { ADAM_METHOD } from "./adam.ts";
import { ANNEAL_METHOD } from "./anneal.ts";
import { FIRE_METHOD } from "./fire.ts";
import { GRADIENT_DESCENT_METHOD } from "./gradient_descent.ts";
import { LBFGS_METHOD } from "./lbfgs.ts";
import type { LocalMethod, LocalMethodEntry } from "./local_method.ts";

export const LOCAL_METHODS = [
  GRADIENT_DESCENT_METHOD,
  ADAM_METHOD,
  FIRE_METHOD,
  LBFGS_METHOD,
  ANNEAL_METHOD,
] as const;

type Entry = typeof LOCAL_METHODS[number];
export type LocalMethodName = Entry["name"];
export const LOCAL_METHOD_NAMES: readonly LocalMethodName[] = LOCAL_METHODS.map((m) => m.name);

/** A method's settings, told apart by `method`. */
export type LocalSettings = ReturnType<Entry["defaults"]>;

/** Largest displacement of one atom in one step, for every method: ASE's default maxstep for
 * FIRE, 0.2 (Angstrom there). JAX MD has none; without one a first step from two atoms 0.8 bond
 * lengths apart can throw an atom out of the cluster. */
export const DEFAULT_MAX_STEP = 0.2;

/** Each method's default `step`, as its entry measured it. */
export const DEFAULT_STEP = Object.fromEntries(
  LOCAL_METHODS.map((m) => [m.name, m.defaultStep]),
) as Record<LocalMethodName, number>;

/** The entry of a method, its settings' type erased (each takes its own). */
export function localMethodEntry(
  name: LocalMethodName,
): LocalMethodEntry<LocalMethodName, { maxStep: number }> {
  return LOCAL_METHODS.find((m) => m.name === name) as LocalMethodEntry<
    LocalMethodName,
    { maxStep: number }
  >;
}

/** A method's settings with its published defaults (a schedule fitted to `maxEvaluations`). */
export function defaultLocalSettings(
  method: LocalMethodName,
  maxStep = DEFAULT_MAX_STEP,
  maxEvaluations?: number,
): LocalSettings {
  return localMethodEntry(method).defaults(maxStep, maxEvaluations) as LocalSettings;
}

export function isLocalMethodName(name: string): name is LocalMethodName {
  return (LOCAL_METHOD_NAMES as readonly string[]).includes(name);
}

export function localMethod(settings: LocalSettings): LocalMethod {
  if (!(settings.maxStep > 0)) {
    throw new UserError(`the largest step must be positive, got ${settings.maxStep}`);
  }
  return localMethodEntry(settings.method).make(settings);
}
