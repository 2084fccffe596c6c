/**
 * The WebGPU device of one test module. `deno test` runs each module in its own isolate of one
 * process; each releases its device as soon as its tests are done, instead of leaving every
 * module's device to be torn down together when the process exits.
 */
import { Gpu } from "../mod.ts";

export async function testGpu(): Promise<Gpu> {
  const gpu = await Gpu.open({ log: null });
  globalThis.addEventListener("unload", () => gpu.destroy());
  return gpu;
}
