/**
 * Codes and sentinels shared by the fused kernel (emitted as WGSL constants by
 * src/methods/kernel_source.ts) and its f64 mirror.
 */

export type ReplicaStatus = "running" | "converged" | "failed";
export const STATUS_CODES: Record<ReplicaStatus, number> = { running: 0, converged: 1, failed: 2 };
export const STATUS_NAMES = Object.keys(STATUS_CODES) as ReplicaStatus[];

/** Stands for +infinity in energies (the largest f32 is 3.4028e38): the first relaxed minimum is
 * always accepted. */
export const NO_ENERGY = 3.4e38;

/** Trials for random placements (restart positions, unlike-atom partners); bounded for the loop
 * budget. */
export const PLACEMENT_TRIALS = 8;
