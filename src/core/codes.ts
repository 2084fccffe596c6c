/**
 * Codes and sentinels shared by the fused kernel (emitted as WGSL constants by
 * src/methods/kernel_source.ts) and its f64 mirror.
 */

/** A replica never stops for a non-finite energy or force: the point is rejected and counted
 * (Replica.rejected_nonfinite, shaders/driver.wgsl), so "converged" is the only end besides the
 * budget. */
export type ReplicaStatus = "running" | "converged";
export const STATUS_CODES: Record<ReplicaStatus, number> = { running: 0, converged: 1 };
export const STATUS_NAMES = Object.keys(STATUS_CODES) as ReplicaStatus[];

/** Stands for +infinity in energies (the largest f32 is 3.4028e38): the first relaxed minimum is
 * always accepted. */
export const NO_ENERGY = 3.4e38;

/** Trials for random placements (restart positions, unlike-atom partners); bounded for the loop
 * budget. */
export const PLACEMENT_TRIALS = 8;
