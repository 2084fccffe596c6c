/** Shared by the tests: structures with known energies and a finite-difference gradient. */
import type { EnergyForcesFn, Structure } from "../mod.ts";
import { type TuningOptions, tuningSeed } from "../src/eval/tuning.ts";
import tinyConfig from "../configs/tiny.json" with { type: "json" };
import type { Gpu } from "../src/gpu/device.ts";
import { runSearch, type SearchOptions, type SearchResult } from "../src/search/run_search.ts";
import {
  decodeSearchState,
  encodeSearchState,
  type SearchState,
} from "../src/search/search_state.ts";

/* Without a login session Mesa's Vulkan driver prints "error: XDG_RUNTIME_DIR is invalid or not
 * set" on stderr (README): harmless, but the commands the tests run are judged by their stderr.
 * They inherit a private one where the machine gives none. */
if (!Deno.env.get("XDG_RUNTIME_DIR")) {
  Deno.env.set("XDG_RUNTIME_DIR", Deno.makeTempDirSync({ prefix: "learn2hop-xdg-" }));
}

/** Central finite-difference forces, -dE/dx ~ -(E(x + h) - E(x - h)) / 2h, per coordinate. */
export function finiteDifferenceForces(
  energy: EnergyForcesFn,
  structure: Structure,
  h: number,
): Float64Array {
  const positions = Float64Array.from(structure.positions);
  const forces = new Float64Array(positions.length);
  for (let k = 0; k < positions.length; k++) {
    const x = positions[k];
    positions[k] = x + h;
    const plus = energy({ ...structure, positions }).energy;
    positions[k] = x - h;
    const minus = energy({ ...structure, positions }).energy;
    positions[k] = x;
    forces[k] = -(plus - minus) / (2 * h);
  }
  return forces;
}

export function maxAbs(values: ArrayLike<number>): number {
  let m = 0;
  for (let k = 0; k < values.length; k++) m = Math.max(m, Math.abs(values[k]));
  return m;
}

export function maxAbsDifference(a: ArrayLike<number>, b: ArrayLike<number>): number {
  let m = 0;
  for (let k = 0; k < a.length; k++) m = Math.max(m, Math.abs(a[k] - b[k]));
  return m;
}

/** Conventional fcc crystal: cells^3 cubic cells of side a, 4 atoms each. */
export function fccCrystal(cells: number, a: number): { positions: Float64Array; box: number } {
  const basis = [[0, 0, 0], [0.5, 0.5, 0], [0.5, 0, 0.5], [0, 0.5, 0.5]];
  return latticePositions(cells, a, basis);
}

/** Cubic diamond crystal: cells^3 cubic cells of side a, 8 atoms each. */
export function diamondCrystal(cells: number, a: number): { positions: Float64Array; box: number } {
  const fcc = [[0, 0, 0], [0.5, 0.5, 0], [0.5, 0, 0.5], [0, 0.5, 0.5]];
  const basis = [...fcc, ...fcc.map(([x, y, z]) => [x + 0.25, y + 0.25, z + 0.25])];
  return latticePositions(cells, a, basis);
}

function latticePositions(cells: number, a: number, basis: number[][]) {
  const positions: number[] = [];
  for (let i = 0; i < cells; i++) {
    for (let j = 0; j < cells; j++) {
      for (let k = 0; k < cells; k++) {
        for (const [x, y, z] of basis) positions.push((i + x) * a, (j + y) * a, (k + z) * a);
      }
    }
  }
  return { positions: Float64Array.from(positions), box: cells * a };
}

/** Centre atom plus the 12 vertices of a regular icosahedron at distance `radius`. */
export function icosahedron13(radius: number): Float64Array {
  const phi = (1 + Math.sqrt(5)) / 2;
  const vertices: number[][] = [[0, 0, 0]];
  for (const s1 of [-1, 1]) {
    for (const s2 of [-1, 1]) {
      vertices.push([0, s1, s2 * phi], [s1, s2 * phi, 0], [s2 * phi, 0, s1]);
    }
  }
  const scale = radius / Math.hypot(1, phi);
  return Float64Array.from(vertices.flat(), (x) => x * scale);
}

/** Golden-section minimum of f on [a, b]. */
export function minimize1d(f: (x: number) => number, a: number, b: number, tolerance = 1e-12) {
  const g = (Math.sqrt(5) - 1) / 2;
  let c = b - g * (b - a);
  let d = a + g * (b - a);
  while (b - a > tolerance) {
    if (f(c) < f(d)) b = d;
    else a = c;
    c = b - g * (b - a);
    d = a + g * (b - a);
  }
  return (a + b) / 2;
}

/** Runs a command-line task (tasks/NAME.ts) with the permissions its deno.json entry grants. */
export async function runTaskFile(
  name: string,
  permissions: string[],
  args: string[],
): Promise<{ code: number; stdout: string; stderr: string }> {
  const task = new URL(`../tasks/${name}.ts`, import.meta.url).pathname;
  const output = await new Deno.Command(Deno.execPath(), {
    args: ["run", ...permissions, task, ...args],
    env: taskEnv(),
    clearEnv: true,
    stdout: "piped",
    stderr: "piped",
  }).output();
  const decode = (bytes: Uint8Array) => new TextDecoder().decode(bytes);
  return { code: output.code, stdout: decode(output.stdout), stderr: decode(output.stderr) };
}

/** The environment for a task the tests run: theirs, without the INIT_CWD of the `deno task
 * test` running them (a task would move there: src/cli/args.ts). */
export function taskEnv(): Record<string, string> {
  const env = Deno.env.toObject();
  delete env.INIT_CWD;
  return env;
}

/**
 * A long run of `command` with `args` (the tests' environment: taskEnv, plus `env`), to be
 * stopped by a signal: `progress(n)` waits until its stderr holds n search progress lines (or
 * other lines),
 * `finish()` reads the rest and gives its exit status, stdout and stderr.
 */
export function spawnRun(command: string, args: string[], env: Record<string, string> = {}) {
  const child = new Deno.Command(command, {
    args,
    env: { ...taskEnv(), ...env },
    clearEnv: true,
    stdout: "piped",
    stderr: "piped",
  }).spawn();
  const stdout = new Response(child.stdout).text();
  const reader = child.stderr.pipeThrough(new TextDecoderStream()).getReader();
  let stderr = "";
  return {
    child,
    /** Waits until stderr holds `lines` matches of `pattern` (search progress lines). */
    async progress(lines: number, pattern = /evals\/replica/g): Promise<void> {
      while ((stderr.match(pattern) ?? []).length < lines) {
        const { value, done } = await reader.read();
        if (done) throw new Error(`no progress before exit: ${stderr}`);
        stderr += value;
      }
    },
    async finish(): Promise<{ code: number; stdout: string; stderr: string }> {
      for (let chunk = await reader.read(); !chunk.done; chunk = await reader.read()) {
        stderr += chunk.value;
      }
      return { code: (await child.status).code, stdout: await stdout, stderr };
    },
  };
}

/** A training config small enough for tests (configs/tiny.json: LJ7 and LJ8, 5 members x 2
 * tasks, 30 evaluations; also the fault run of deno task bench --distributed). */
export const TINY_TRAIN_CONFIG = tinyConfig;

/** Basin hopping's tuning for the tiny eval suites of the tests: two hop sizes on LJ7. */
export const TINY_TUNING: TuningOptions = {
  systems: ["LJ7"],
  locals: ["lbfgs"],
  hopFmax: [0.03],
  surfaceShares: [0.5],
  drSigma: [0.25, 0.5],
  temperatureFactors: [1],
  replicas: 8,
  maxEvaluations: 100,
  seed: tuningSeed(5),
};

/** Runs a search stopped after its `syncs`-th sync (as by Ctrl-C), and the state it saved on the
 * way out, through bytes: what --resume continues. */
export async function interruptedSearch(
  gpu: Gpu,
  options: SearchOptions,
  syncs: number,
): Promise<{ result: SearchResult; saved: SearchState | undefined }> {
  const controller = new AbortController();
  let done = 0;
  let saved: SearchState | undefined;
  const result = await runSearch(options, {
    gpu,
    signal: controller.signal,
    onProgress: () => {
      if (++done === syncs) controller.abort();
    },
    saveState: (state) => {
      saved = decodeSearchState(encodeSearchState(state), "test");
      return Promise.resolve();
    },
  });
  return { result, saved };
}
