/**
 * How much work one dispatch of a fused kernel may hold, a property of the device. llvmpipe
 * silently stops an invocation after 65,535 loop iterations in total (all loops, nested ones
 * included), so on a software rasterizer a dispatch is bounded from the loop counts each kernel
 * declares (src/methods/dispatch_plan.ts; a potential's, in its registry entry). Hardware GPUs
 * have no such limit: their dispatches are sized by time instead (OptimizerBatch), and they take
 * systems up to MAX_ATOMS.
 */
/** Iterations allowed per invocation on llvmpipe, with a margin below its 65,535 for the loops
 * the declared costs leave out: a loop in a branch that no lane takes still runs once. */
export const LOOP_BUDGET = 55_000;
/** Invocations that llvmpipe runs together as one SIMD group with one loop counter: its 256-bit
 * vectors hold 8 f32 lanes (Mesa's gallivm, lp_native_vector_width; 4 on a CPU without AVX, for
 * which 8 is a bound). The counter runs while any lane's loop does, so in the lane layout, where
 * each lane is a replica, the loops of 8 replicas that branch differently add up
 * (src/methods/dispatch_plan.ts). */
export const SIMD_LANES = 8;
/** Loop iterations one invocation may run per dispatch on this device (Infinity: no limit). */
export function loopBudget(gpu: { readonly isSoftware: boolean }): number {
  return gpu.isSoftware ? LOOP_BUDGET : Infinity;
}
