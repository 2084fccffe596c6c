/** The GPU plumbing: errors surface as exceptions, shaders load when mod.ts is imported by URL. */
import assert from "node:assert/strict";
import { testGpu } from "./gpu.ts";
import { GpuError } from "../mod.ts";

const gpu = await testGpu();

Deno.test("invalid WGSL is a GpuError carrying the compiler's message", async () => {
  const layout = gpu.device.createPipelineLayout({ bindGroupLayouts: [] });
  await assert.rejects(
    gpu.computePipeline(
      "broken",
      "@compute @workgroup_size(1) fn main() { let x: u32 = 1.5; }",
      layout,
      "main",
    ),
    // The message names the shader and quotes the compiler (naga: "the type of `x` ...").
    (e) => e instanceof GpuError && /broken/.test(e.message) && /`x`/.test(e.message),
  );
});

Deno.test("a validation error in queued work is thrown by the next check", () => {
  const buffer = gpu.device.createBuffer({ size: 16, usage: GPUBufferUsage.STORAGE });
  // Writing past the end of a buffer is a validation error, reported asynchronously.
  gpu.device.queue.writeBuffer(buffer, 8, new Float32Array(4));
  return gpu.device.queue.onSubmittedWorkDone().then(() => {
    assert.throws(() => gpu.check(), GpuError);
    gpu.check(); // reported once
    buffer.destroy();
  });
});

Deno.test("mod.ts works when imported by URL (shaders travel as text modules)", async () => {
  const root = new URL("../", import.meta.url);
  const server = Deno.serve({ hostname: "127.0.0.1", port: 0, onListen() {} }, async (request) => {
    const path = new URL(request.url).pathname;
    try {
      const body = await Deno.readFile(new URL(`.${path}`, root));
      const type = path.endsWith(".ts") ? "application/typescript" : "text/plain";
      return new Response(body, { headers: { "content-type": type } });
    } catch {
      return new Response("not found", { status: 404 });
    }
  });
  const url = `http://127.0.0.1:${server.addr.port}/mod.ts`;
  const script = `
    const { EnergyBatch, Gpu, parseSystem } = await import("${url}");
    const gpu = await Gpu.open({ log: null });
    const batch = await EnergyBatch.create(gpu, parseSystem("LJ2"), 1);
    batch.writePositions([0, 0, 0, 2 ** (1 / 6), 0, 0]);
    batch.evaluate();
    console.log((await batch.readEnergies())[0]);
  `;
  const output = await new Deno.Command(Deno.execPath(), {
    args: ["eval", "--quiet", "--no-lock", "--allow-import=127.0.0.1", script],
    env: { DENO_DIR: await Deno.makeTempDir() },
    stdout: "piped",
    stderr: "piped",
  }).output();
  await server.shutdown();
  const stderr = new TextDecoder().decode(output.stderr);
  assert.equal(output.code, 0, stderr);
  assert.ok(Math.abs(Number(new TextDecoder().decode(output.stdout)) - -1) < 1e-6);
});
