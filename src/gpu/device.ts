/**
 * The one place that opens the WebGPU adapter and device.
 *
 * - Asks for the adapter's own limits: WebGPU's defaults (16 KiB of workgroup memory, 8 storage
 *   buffers per stage, 128 MiB per binding) are smaller than what hardware, or llvmpipe, offers.
 * - Validation errors never pass silently: pipelines are built inside error scopes that throw with
 *   the shader compiler's messages, and errors from queued work are collected through
 *   `uncapturederror` and thrown by `check()`, which every readback calls.
 * - Device loss is reported on stderr and turns later calls into errors.
 */

import { defaultLayout, type ThreadLayout } from "./thread_layout.ts";

export class GpuError extends Error {
  override name = "GpuError";
}

const NO_ADAPTER_HELP = "no WebGPU adapter found. On Linux without a GPU install Mesa's software " +
  "renderer: apt-get install -y mesa-vulkan-drivers libvulkan1 (or libgl1-mesa-dri for GL), " +
  "then choose it with DENO_WEBGPU_BACKEND=vulkan or gl if needed";

export interface GpuOptions {
  /** Where to say which adapter is used; defaults to stderr. Pass null for silence. */
  log?: ((message: string) => void) | null;
  /** The kernels' thread layout (src/gpu/thread_layout.ts); defaults to the adapter's. */
  layout?: ThreadLayout;
}

export class Gpu {
  readonly device: GPUDevice;
  readonly adapterName: string;
  readonly isSoftware: boolean;
  /** The thread layout every batch on this device uses unless told otherwise. */
  readonly layout: ThreadLayout;
  #pending: string[] = [];
  #lost: string | undefined;

  private constructor(
    device: GPUDevice,
    adapterName: string,
    isSoftware: boolean,
    layout: ThreadLayout | undefined,
  ) {
    this.device = device;
    this.adapterName = adapterName;
    this.isSoftware = isSoftware;
    this.layout = layout ?? defaultLayout({ isSoftware });
    device.addEventListener("uncapturederror", (event) => {
      this.#pending.push((event as GPUUncapturedErrorEvent).error.message);
    });
    device.lost.then((info) => {
      if (info.reason === "destroyed") return;
      this.#lost = `GPU device lost (${info.reason}): ${info.message}`;
      console.error(`learn2hop: ${this.#lost}`);
    });
  }

  static async open(options: GpuOptions = {}): Promise<Gpu> {
    if (!("gpu" in navigator) || navigator.gpu === undefined) {
      throw new GpuError(`WebGPU is not available in this runtime; ${NO_ADAPTER_HELP}`);
    }
    const adapter = await navigator.gpu.requestAdapter({ powerPreference: "high-performance" });
    if (adapter === null) throw new GpuError(NO_ADAPTER_HELP);
    const requiredLimits: Record<string, number> = {};
    for (
      const key of [
        "maxStorageBufferBindingSize",
        "maxBufferSize",
        "maxComputeWorkgroupStorageSize",
        "maxComputeInvocationsPerWorkgroup",
        "maxComputeWorkgroupSizeX",
        "maxComputeWorkgroupsPerDimension",
        "maxStorageBuffersPerShaderStage",
      ] as const
    ) {
      requiredLimits[key] = adapter.limits[key];
    }
    const device = await adapter.requestDevice({ requiredLimits });
    const info = adapter.info;
    const name = info.description || [info.vendor, info.architecture, info.device]
      .filter(Boolean).join(" ") ||
      "unknown adapter";
    const software = info.isFallbackAdapter || /llvmpipe|swiftshader/i.test(name);
    const gpu = new Gpu(device, name, software, options.layout);
    const log = options.log === undefined ? (m: string) => console.error(m) : options.log;
    log?.(
      `learn2hop: WebGPU adapter: ${name} (${software ? "software" : "hardware"}), ` +
        `${gpu.layout} layout`,
    );
    return gpu;
  }

  /** Compiles a compute pipeline; throws with the compiler's messages if the WGSL is invalid. */
  async computePipeline(
    label: string,
    code: string,
    layout: GPUPipelineLayout,
    entryPoint: string,
  ): Promise<GPUComputePipeline> {
    this.check();
    this.device.pushErrorScope("validation");
    const module = this.device.createShaderModule({ label, code });
    const pipeline = this.device.createComputePipeline({
      label: `${label}:${entryPoint}`,
      layout,
      compute: { module, entryPoint },
    });
    const error = await this.device.popErrorScope();
    if (error !== null) {
      throw new GpuError(`shader '${label}' entry '${entryPoint}' failed:\n${error.message}`);
    }
    return pipeline;
  }

  /** Throws the first validation error raised by queued work since the last check. */
  check(): void {
    if (this.#lost !== undefined) throw new GpuError(this.#lost);
    if (this.#pending.length > 0) {
      const messages = this.#pending.splice(0);
      throw new GpuError(`WebGPU validation error: ${messages.join("\n")}`);
    }
  }

  /** Copies `size` bytes of `source` into a fresh mappable buffer and returns them. */
  async read(source: GPUBuffer, size: number, offset = 0): Promise<ArrayBuffer> {
    const staging = this.device.createBuffer({
      size,
      usage: GPUBufferUsage.MAP_READ | GPUBufferUsage.COPY_DST,
    });
    const encoder = this.device.createCommandEncoder();
    encoder.copyBufferToBuffer(source, offset, staging, 0, size);
    this.device.queue.submit([encoder.finish()]);
    await staging.mapAsync(GPUMapMode.READ);
    const copy = staging.getMappedRange().slice(0);
    staging.unmap();
    staging.destroy();
    this.check();
    return copy;
  }

  destroy(): void {
    this.device.destroy();
  }
}
