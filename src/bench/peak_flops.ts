/**
 * Achieved GFLOP/s of the energy kernel from a stated FLOP count, beside the device's fp32 peak
 * where it is known (by adapter name, or `deno task bench --peak-gflops`).
 */

/**
 * FLOPs of one ordered pair (i, j) in the Lennard-Jones atom view (shaders/potentials/
 * lennard_jones_atom.wgsl with lennard_jones.wgsl), counting each add, multiply and divide as one
 * and selects as none: d = x_j - x_i (3), r^2 (5), 1/r^2 (1), (sigma/r)^2 (1), ^6 (2), the
 * energy 4 eps (s^12 - s^6) (4), the force factor 24 eps (2 s^12 - s^6) / r^2 (5), half the
 * energy into the atom's share (2), the force -= factor d (6).
 */
export const LJ_FLOPS_PER_PAIR = 29;

/** FLOPs of one energy+force evaluation of N atoms: N (N - 1) ordered pairs (each atom computes
 * its own force from every other; the masked self term is not counted). Lennard-Jones only: the
 * other potentials' exp, sqrt and three-body terms have no agreed FLOP count. */
export function evaluationFlops(kind: string, n: number): number | null {
  return kind === "lj" ? LJ_FLOPS_PER_PAIR * n * (n - 1) : null;
}

/** fp32 peak (non-tensor, boost clock) of adapters by name, from the vendors' datasheets. */
const PEAKS: { pattern: RegExp; gflops: number; source: string }[] = [
  { pattern: /H200/i, gflops: 67_000, source: "NVIDIA H200 datasheet, SXM: FP32 67 TFLOPS" },
  { pattern: /H100/i, gflops: 67_000, source: "NVIDIA H100 datasheet, SXM: FP32 67 TFLOPS" },
  { pattern: /A100/i, gflops: 19_500, source: "NVIDIA A100 datasheet: FP32 19.5 TFLOPS" },
  { pattern: /\bL4\b/i, gflops: 30_300, source: "NVIDIA L4 datasheet: FP32 30.3 TFLOPS" },
  { pattern: /\bT4\b/i, gflops: 8_100, source: "NVIDIA T4 datasheet: FP32 8.1 TFLOPS" },
];

export interface Peak {
  gflops: number;
  source: string;
}

/** The peak for `adapter`: the flag's if given, else the table's, else null (unknown). */
export function devicePeak(adapter: string, flag?: number): Peak | null {
  if (flag !== undefined) return { gflops: flag, source: "--peak-gflops" };
  const entry = PEAKS.find((peak) => peak.pattern.test(adapter));
  return entry ? { gflops: entry.gflops, source: entry.source } : null;
}
