/**
 * deno task reference SYSTEM... [--replicas R] [--max-evals N] [--seed S] [--file FILE] [--json]
 *
 * Reference energies for systems without a known global minimum: a pooled basin-hopping search
 * (the default bh, the untrained hopper's search) per system, whose lowest f64 minimum is recorded
 * in data/pooled_minima.json with its run. Training's success loss and eval's gaps measure against
 * it (src/systems/known_minima.ts). The rule: ten times the training unroll per replica,
 * so the default 10,000 evaluations serve unrolls of 1,000.
 */
import { dirname } from "node:path";
import { parseArgs } from "node:util";
import {
  integerFlag,
  LAYOUT_OPTION,
  layoutFlag,
  layoutHelp,
  MAX_U32,
  runTask,
} from "../src/cli/args.ts";
import { UserError } from "../src/core/errors.ts";
import { Gpu } from "../src/gpu/device.ts";
import { readInputText, requestRead } from "../src/io/input_files.ts";
import { pathExists, prepareOutputDir, writeFileAtomic } from "../src/io/output_files.ts";
import { runSearch, searchOptions } from "../src/search/run_search.ts";
import type { PooledMinimum } from "../src/systems/known_minima.ts";
import { parseSystem, type System } from "../src/systems/system.ts";

const DEFAULT_FILE = "data/pooled_minima.json";

const HELP = `Usage: deno task reference SYSTEM... [options]

Runs basin hopping (its defaults) with many replicas on each system and records the lowest
minimum found (f64, converged) as the system's pooled reference in ${DEFAULT_FILE}, which
training's success loss and eval's energy gaps use where no global minimum is known. An entry
is replaced only by a lower energy. Ten times the training unroll per replica is the rule.

  --replicas R     replicas per system (default 64)
  --max-evals N    evaluations per replica (default 10000)
  --seed S         integer 0..${MAX_U32} (default 1)
  --file FILE      the JSON file to update (default ${DEFAULT_FILE})
  --json           print the new entries as JSON on stdout
${layoutHelp(19)}
  -h, --help       this text

Exit status 2 for a bad option, a system with a known global minimum or an unreadable file.`;

const OPTIONS = {
  replicas: { type: "string", default: "64" },
  "max-evals": { type: "string", default: "10000" },
  seed: { type: "string", default: "1" },
  file: { type: "string", default: DEFAULT_FILE },
  json: { type: "boolean", default: false },
  help: { type: "boolean", short: "h", default: false },
  ...LAYOUT_OPTION,
} as const;

interface PooledFile {
  about?: string;
  minima: Record<string, PooledMinimum>;
}

await runTask(async () => {
  const { values, positionals } = parseArgs({
    args: Deno.args,
    options: OPTIONS,
    allowPositionals: true,
  });
  if (values.help) {
    console.log(HELP);
    return;
  }
  if (positionals.length === 0) throw new UserError("name at least one system (see --help)");
  const systems = positionals.map(parseSystem);
  for (const system of systems) checkNeedsReference(system);
  const replicas = integerFlag("replicas", values.replicas, 1);
  const maxEvaluations = integerFlag("max-evals", values["max-evals"], 2);
  const seed = integerFlag("seed", values.seed, 0);
  const file = await readPooledFile(values.file);
  await prepareOutputDir(dirname(values.file), { runMarkers: [], flag: "--file" });

  const gpu = await Gpu.open({ layout: layoutFlag(values.layout) });
  const started = performance.now();
  const entries: Record<string, PooledMinimum & { kept: boolean }> = {};
  for (const [k, system] of systems.entries()) {
    const result = await runSearch(
      searchOptions(system, "bh", { replicas, maxEvaluations, seed, keep: 1 }),
      { gpu },
    );
    if (result.stopReason === "failed") throw result.error;
    const best = result.minima.find((m) => m.converged);
    const elapsed = (performance.now() - started) / 1000;
    const eta = elapsed / (k + 1) * (systems.length - k - 1);
    if (best === undefined) {
      console.error(`${system.name}: no converged minimum; not recorded`);
      continue;
    }
    const previous = Object.hasOwn(file.minima, system.name) ? file.minima[system.name] : null;
    const kept = previous !== null && previous.energy <= best.energy;
    const entry: PooledMinimum = {
      energy: best.energy,
      method: "bh",
      replicas,
      evaluationsPerReplica: result.evaluationsPerReplica,
      seed,
      date: new Date().toISOString().slice(0, 10),
    };
    if (!kept) file.minima[system.name] = entry;
    entries[system.name] = { ...entry, kept };
    console.error(
      `${system.name}: ${best.energy.toFixed(6)} (found ${best.count} time` +
        `${best.count === 1 ? "" : "s"})` +
        (kept ? `; keeping the lower ${previous!.energy.toFixed(6)} already recorded` : "") +
        ` [${k + 1}/${systems.length}, ${elapsed.toFixed(0)} s, ETA ${eta.toFixed(0)} s]`,
    );
  }
  const sorted = Object.fromEntries(
    Object.entries(file.minima).sort(([a], [b]) => a.localeCompare(b)),
  );
  await writeFileAtomic(
    values.file,
    JSON.stringify({ ...file, minima: sorted }, null, 2) + "\n",
  );
  if (values.json) console.log(JSON.stringify(entries, null, 2));
  else console.log(`updated ${values.file}`);
});

/** A system with a putative global minimum has its reference already. */
function checkNeedsReference(system: System) {
  if (system.known.some((k) => k.kind === "putative-global")) {
    throw new UserError(`${system.name} has a known global minimum; it needs no pooled reference`);
  }
}

async function readPooledFile(path: string): Promise<PooledFile> {
  await requestRead(path);
  if (!(await pathExists(path))) return { minima: {} };
  const text = await readInputText(path, "--file");
  let parsed: unknown;
  try {
    parsed = JSON.parse(text);
  } catch {
    throw new UserError(`${path}: not JSON`);
  }
  const minima = (parsed as PooledFile)?.minima;
  if (typeof minima !== "object" || minima === null || Array.isArray(minima)) {
    throw new UserError(`${path}: no "minima" object`);
  }
  return parsed as PooledFile;
}
