/**
 * Numbers as users write them, and the range every physical setting must stay within.
 *
 * A number in a flag, a system setting or a structure file is a plain decimal (12, -3.5, .5,
 * 2e5, 1.2E-3). JavaScript's Number() also takes hexadecimal, octal and binary (0x1, 0o7,
 * 0b1), "Infinity" and the empty string (0): none of them is what a user means by a coordinate or
 * a budget, so they are refused rather than read.
 *
 * The kernels compute in f32 (largest finite value 3.4e38, smallest normal 1.2e-38) and square,
 * multiply and add the settings they are given (r^2, dt^2 F, exp(-dE / kT)); a value beyond f32
 * reaches a shader as an infinite constant and fails to compile. Every length, energy, force,
 * time step and temperature a user gives is therefore kept within [MIN_MAGNITUDE,
 * MAX_MAGNITUDE] in magnitude (or zero where zero means "none"): squares and products of two stay
 * finite and normal, and the largest is far beyond any physical setting (lengths of a million
 * bond lengths, energies of a million epsilon or eV).
 */

/** The largest value of the GPU's u32 counters and seeds. */
export const MAX_U32 = 4294967295;

/** The largest magnitude of a physical setting or coordinate, in the system's units. */
export const MAX_MAGNITUDE = 1e6;
/** The smallest nonzero magnitude of a physical setting (far above f32's smallest normal). */
export const MIN_MAGNITUDE = 1e-12;

const DECIMAL = /^[+-]?(\d+\.?\d*|\.\d+)([eE][+-]?\d+)?$/;

/** The value of a decimal number (surrounding spaces allowed); NaN for anything else. */
export function parseDecimal(text: string): number {
  const trimmed = text.trim();
  return DECIMAL.test(trimmed) ? Number(trimmed) : NaN;
}

/** Whether `value` is a physical setting the kernels hold: zero where `zero` allows it, else
 * finite with a magnitude in [MIN_MAGNITUDE, MAX_MAGNITUDE]. */
export function withinMagnitude(value: number, zero = false): boolean {
  if (value === 0) return zero;
  const size = Math.abs(value);
  return size >= MIN_MAGNITUDE && size <= MAX_MAGNITUDE;
}
