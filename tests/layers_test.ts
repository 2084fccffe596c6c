/**
 * Layers point one way: every import in src/ goes to the same layer or one below it.
 *   core < potentials < systems, io < gpu < methods < learned < search < eval, cli
 *     < distributed, bench
 * (core: codes, layouts, statistics, random numbers; gpu: the device, the energy kernel and
 * shader assembly; methods: the fused kernel's driver, local methods, moves and their f64
 * mirrors; distributed: Redis work items and workers, over learned, search and eval; tasks/ sit
 * on top of everything). Shaders, data files and vendor/ are leaves.
 */
import assert from "node:assert/strict";
import { dirname, join, normalize } from "node:path";
import { fileURLToPath } from "node:url";

const LAYERS: Record<string, number> = {
  core: 0,
  potentials: 1,
  systems: 2,
  io: 2,
  gpu: 3,
  methods: 4,
  learned: 5,
  search: 6,
  eval: 7,
  cli: 7,
  distributed: 8,
  bench: 8,
};

const ROOT = normalize(join(dirname(fileURLToPath(import.meta.url)), ".."));

/** The layer of a path relative to the project root, or undefined for leaves (shaders, data). */
function layerOf(path: string): string | undefined {
  const [top, folder] = path.split("/");
  if (top === "src") return folder;
  return undefined;
}

/** Relative imports of a TypeScript source (static `from "..."` and dynamic `import("...")`). */
function importsOf(source: string): string[] {
  const found = [...source.matchAll(/(?:from\s+|import\s*\(\s*)["'](\.{1,2}\/[^"']+)["']/g)];
  return found.map((match) => match[1]);
}

/** Every "file -> imported file" that points up a layer, or into an unknown folder. */
export function upwardImports(files: Record<string, string>): string[] {
  const violations: string[] = [];
  for (const [file, source] of Object.entries(files)) {
    const from = layerOf(file);
    if (from === undefined) continue;
    if (!(from in LAYERS)) {
      violations.push(`${file}: folder src/${from} has no layer`);
      continue;
    }
    for (const spec of importsOf(source)) {
      const target = normalize(join(dirname(file), spec));
      const to = layerOf(target);
      if (to === undefined || to === from) continue;
      if (!(to in LAYERS) || LAYERS[to] > LAYERS[from]) {
        violations.push(`${file} -> ${target} (${from} imports ${to})`);
      }
    }
  }
  return violations;
}

async function sources(folder: string): Promise<Record<string, string>> {
  const files: Record<string, string> = {};
  for await (const entry of Deno.readDir(join(ROOT, folder))) {
    const path = `${folder}/${entry.name}`;
    if (entry.isDirectory) Object.assign(files, await sources(path));
    else if (entry.name.endsWith(".ts")) files[path] = await Deno.readTextFile(join(ROOT, path));
  }
  return files;
}

Deno.test("layers: no import in src/ points up a layer", async () => {
  const files = await sources("src");
  assert.ok(Object.keys(files).length > 50, "the source tree was read");
  assert.deepEqual(upwardImports(files), []);
  // Every layer folder exists, so the table stays in step with the tree.
  const folders = new Set(Object.keys(files).map((path) => path.split("/")[1]));
  assert.deepEqual([...folders].sort(), Object.keys(LAYERS).sort());
});

Deno.test("layers: an upward import is caught", () => {
  const files = {
    "src/gpu/a.ts": 'import { x } from "../methods/b.ts";\nconst y = await import("../core/c.ts");',
    "src/core/c.ts": 'import { z } from "../../shaders/d.wgsl" with { type: "text" };',
    "src/methods/b.ts": 'export { w } from "../eval/e.ts";',
    "src/stray/f.ts": "",
  };
  assert.deepEqual(upwardImports(files), [
    "src/gpu/a.ts -> src/methods/b.ts (gpu imports methods)",
    "src/methods/b.ts -> src/eval/e.ts (methods imports eval)",
    "src/stray/f.ts: folder src/stray has no layer",
  ]);
});
