/**
 * Schedules for the ES smoothing scale σ and the outer learning rate: pure functions of the outer
 * step s = 0, 1, 2, ..., configured by JSON-able objects:
 *
 *   {kind: "constant", value}
 *   {kind: "cosine", initial, final, steps, warmup?}
 *   {kind: "exponential", initial, final, steps, warmup?}
 *
 * Warmup (Goyal et al. 2017, "Accurate, Large Minibatch SGD") is the straight line through
 * (−1, 0) and (warmup, initial): value(s) = initial · (s + 1) / (warmup + 1) for s < warmup, so it
 * never returns 0 (a zero σ has no ES gradient) and meets the decay at s = warmup. After warmup,
 * with progress p = (s − warmup) / (steps − warmup) clamped to [0, 1]:
 *
 *   cosine (Loshchilov & Hutter 2017, SGDR):  final + (initial − final) · (1 + cos πp) / 2
 *   exponential (geometric interpolation):    initial · (final / initial)^p
 *
 * so value(warmup) = initial, value(steps) = final, and final holds after `steps`.
 *
 * Bad configurations are {@link UserError}s: they come from the user's settings.
 */
import { UserError } from "../core/errors.ts";
import { quoted } from "../core/quote.ts";
import { MAX_MAGNITUDE, MIN_MAGNITUDE, withinMagnitude } from "../core/numbers.ts";

/** A fixed value. */
export interface ConstantSchedule {
  kind: "constant";
  value: number;
}

/** Optional linear warmup, then a decay from `initial` to `final` reached at step `steps`. */
export interface DecaySchedule {
  kind: "cosine" | "exponential";
  initial: number;
  final: number;
  steps: number;
  /** Warmup steps before the decay starts; default 0. */
  warmup?: number;
}

/** Any schedule configuration. */
export type ScheduleConfig = ConstantSchedule | DecaySchedule;

/** Schedule kinds, for messages and command-line help. */
export const SCHEDULE_KINDS = ["constant", "cosine", "exponential"] as const;

/**
 * Validates a parsed-JSON schedule configuration and returns it typed; throws a UserError naming
 * `name` (e.g. "sigma schedule") and the offending field otherwise.
 */
export function parseSchedule(config: unknown, name = "schedule"): ScheduleConfig {
  if (typeof config !== "object" || config === null || Array.isArray(config)) {
    throw new UserError(`${name}: expected an object like {"kind": "constant", "value": 0.01}`);
  }
  const fields = config as Record<string, unknown>;
  switch (fields.kind) {
    case "constant":
      onlyFields(name, fields, ["kind", "value"]);
      return { kind: "constant", value: positive(name, fields, "value") };
    case "cosine":
    case "exponential":
      return parseDecay(name, fields, fields.kind);
    default:
      throw new UserError(
        `${name}: kind must be one of ${SCHEDULE_KINDS.join(", ")}, got ${quoted(fields.kind)}`,
      );
  }
}

/** The schedule's value at outer step `step` (an integer >= 0). */
export function scheduleValue(config: ScheduleConfig, step: number): number {
  if (!Number.isInteger(step) || step < 0) {
    throw new RangeError(`schedule step must be an integer >= 0, got ${step}`);
  }
  const schedule = parseSchedule(config);
  if (schedule.kind === "constant") return schedule.value;
  const warmup = schedule.warmup ?? 0;
  if (step < warmup) return schedule.initial * (step + 1) / (warmup + 1);
  const progress = Math.min(1, (step - warmup) / (schedule.steps - warmup));
  return schedule.kind === "cosine"
    ? cosineDecay(schedule.initial, schedule.final, progress)
    : exponentialDecay(schedule.initial, schedule.final, progress);
}

/** final + (initial − final) · (1 + cos πp) / 2 for progress p ∈ [0, 1]. */
function cosineDecay(initial: number, final: number, progress: number): number {
  return final + (initial - final) * 0.5 * (1 + Math.cos(Math.PI * progress));
}

/** initial · (final / initial)^p for progress p ∈ [0, 1]. */
function exponentialDecay(initial: number, final: number, progress: number): number {
  return progress === 1 ? final : initial * (final / initial) ** progress;
}

function parseDecay(
  name: string,
  fields: Record<string, unknown>,
  kind: DecaySchedule["kind"],
): DecaySchedule {
  onlyFields(name, fields, ["kind", "initial", "final", "steps", "warmup"]);
  const initial = positive(name, fields, "initial");
  // A cosine may decay to zero (a learning rate); a geometric decay cannot.
  const final = kind === "cosine"
    ? nonNegative(name, fields, "final")
    : positive(name, fields, "final");
  const steps = integer(name, fields, "steps", 1);
  const warmup = fields.warmup === undefined ? 0 : integer(name, fields, "warmup", 0);
  if (warmup >= steps) {
    throw new UserError(`${name}: warmup (${warmup}) must be less than steps (${steps})`);
  }
  return { kind, initial, final, steps, warmup };
}

function onlyFields(name: string, fields: Record<string, unknown>, allowed: string[]): void {
  const unknown = Object.keys(fields).find((key) => !allowed.includes(key));
  if (unknown !== undefined) {
    throw new UserError(
      `${name}: unknown field ${quoted(unknown)} for kind ${fields.kind} (allowed: ${
        allowed.join(", ")
      })`,
    );
  }
}

function finite(name: string, fields: Record<string, unknown>, key: string): number {
  const value = fields[key];
  if (typeof value !== "number" || !Number.isFinite(value)) {
    throw new UserError(`${name}: ${key} must be a finite number, got ${quoted(value)}`);
  }
  return value;
}

/** A rate or a noise scale: within what the kernels' f32 arithmetic holds (core/numbers.ts). */
function positive(name: string, fields: Record<string, unknown>, key: string): number {
  const value = finite(name, fields, key);
  if (!(value > 0) || !withinMagnitude(value)) {
    throw new UserError(
      `${name}: ${key} must be a number from ${MIN_MAGNITUDE} to ${MAX_MAGNITUDE}, got ${value}`,
    );
  }
  return value;
}

function nonNegative(name: string, fields: Record<string, unknown>, key: string): number {
  const value = finite(name, fields, key);
  if (value < 0) throw new UserError(`${name}: ${key} must be >= 0, got ${value}`);
  return value;
}

function integer(name: string, fields: Record<string, unknown>, key: string, min: number): number {
  const value = finite(name, fields, key);
  if (!Number.isInteger(value) || value < min) {
    throw new UserError(`${name}: ${key} must be an integer >= ${min}, got ${value}`);
  }
  return value;
}
