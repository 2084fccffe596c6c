/**
 * deno task reference SYSTEM... [--replicas R] [--max-evals N] [--seed S] [--file FILE] [--json]
 *
 * Reference energies for systems without a known global minimum: a pooled basin-hopping search
 * (the default bh, the untrained hopper's search) per system, whose lowest f64 minimum is recorded
 * in data/pooled_minima.json with its run. Training's success loss and eval's gaps measure against
 * it (src/potentials/known_minima.ts). The rule: ten times the training unroll per replica,
 * so the default 10,000 evaluations serve unrolls of 1,000.
 */
import { dirname } from "node:path";
import { parseArgs } from "node:util";
import {
  integerFlag,
  LAYOUT_OPTION,
  layoutFlag,
  layoutHelp,
  MAX_REPLICAS,
  MAX_U32,
  runCommand,
} from "../src/cli/args.ts";
import { command } from "../src/cli/program.ts";
import { UserError } from "../src/core/errors.ts";
import { quoted } from "../src/core/quote.ts";
import { Gpu } from "../src/gpu/device.ts";
import { osErrorText, parseJsonText, readInputText } from "../src/io/input_files.ts";
import { pathExists, temporaryName, writeFileAtomic } from "../src/io/output_files.ts";
import { displayPath, projectFile } from "../src/cli/project.ts";
import { StopSignals } from "../src/cli/stop_signals.ts";
import { runSearch, searchOptions } from "../src/search/run_search.ts";
import type { PooledMinimum } from "../src/potentials/known_minima.ts";
import { parseSystem, type System } from "../src/systems/system.ts";

const DEFAULT_FILE = "data/pooled_minima.json";

const HELP = `Usage: ${command("reference")} SYSTEM... [options]

Runs basin hopping (its defaults) with many replicas on each system and records the lowest
minimum found (f64, converged) as the system's pooled reference in ${DEFAULT_FILE}, which
training's success loss and eval's energy gaps use where no global minimum is known. An entry
is replaced only by a lower energy. Ten times the training unroll per replica is the rule.

  --replicas R     replicas per system (default 64)
  --max-evals N    evaluations per replica (default 10000)
  --seed S         integer 0..${MAX_U32} (default 1)
  --file FILE      the JSON file to update (default: the project's ${DEFAULT_FILE})
  --json           print the new entries as JSON on stdout
${layoutHelp(19)}
  -h, --help       this text

Exit status 2 for a bad option, a system with a known global minimum or an unreadable file.`;

const OPTIONS = {
  replicas: { type: "string", default: "64" },
  "max-evals": { type: "string", default: "10000" },
  seed: { type: "string", default: "1" },
  file: { type: "string" },
  json: { type: "boolean", default: false },
  help: { type: "boolean", short: "h", default: false },
  ...LAYOUT_OPTION,
} as const;

interface PooledFile {
  about?: string;
  minima: Record<string, PooledMinimum>;
}

export async function main(args: string[]): Promise<void> {
  const { values, positionals } = parseArgs({ args, options: OPTIONS, allowPositionals: true });
  if (values.help) {
    console.log(HELP);
    return;
  }
  if (positionals.length === 0) throw new UserError("name at least one system (see --help)");
  const systems = positionals.map(parseSystem);
  for (const system of systems) checkNeedsReference(system);
  const replicas = integerFlag("replicas", values.replicas, 1, MAX_REPLICAS);
  const maxEvaluations = integerFlag("max-evals", values["max-evals"], 2);
  const seed = integerFlag("seed", values.seed, 0);
  if (values.file === "") throw new UserError("--file: the path is empty");
  const path = values.file ?? displayPath(projectFile(DEFAULT_FILE));
  // Read now to refuse a bad file before any GPU work; read again as each system ends.
  await readPooledFile(path);
  await checkWritable(path);

  const gpu = await Gpu.open({ layout: layoutFlag(values.layout) });
  const started = performance.now();
  const entries: Record<string, PooledMinimum & { kept: boolean }> = {};
  // A signal ends the search in flight after its round; what it found is recorded like any
  // (with the evaluations it spent), the systems after it are not searched.
  const controller = new AbortController();
  const signals = new StopSignals((name) => {
    controller.abort();
    console.error(`${name}: finishing the current round, then recording what was found`);
  });
  try {
    for (const [k, system] of systems.entries()) {
      if (controller.signal.aborted) break;
      const result = await runSearch(
        searchOptions(system, "bh", { replicas, maxEvaluations, seed, keep: 1 }),
        { gpu, signal: controller.signal },
      );
      if (result.stopReason === "failed") throw result.error;
      const best = result.minima.find((m) => m.converged);
      const elapsed = (performance.now() - started) / 1000;
      const eta = elapsed / (k + 1) * (systems.length - k - 1);
      if (best === undefined) {
        console.error(`${system.name}: no converged minimum; not recorded`);
        continue;
      }
      // As recorded now: another run may have recorded an entry meanwhile (it is kept, or beaten).
      const current = await readPooledFile(path);
      const previous = Object.hasOwn(current.minima, system.name)
        ? current.minima[system.name]
        : null;
      const kept = previous !== null && previous.energy <= best.energy;
      const entry: PooledMinimum = {
        energy: best.energy,
        method: "bh",
        replicas,
        evaluationsPerReplica: result.evaluationsPerReplica,
        seed,
        date: new Date().toISOString().slice(0, 10),
      };
      if (!kept) {
        // Written as each system ends, so that a stopped run keeps what it found.
        current.minima[system.name] = entry;
        await writePooledFile(path, current);
      }
      entries[system.name] = { ...entry, kept };
      console.error(
        `${system.name}: ${best.energy.toFixed(6)} (found ${best.count} time` +
          `${best.count === 1 ? "" : "s"})` +
          (kept ? `; keeping the lower ${previous!.energy.toFixed(6)} already recorded` : "") +
          ` [${k + 1}/${systems.length}, ${elapsed.toFixed(0)} s, ETA ${eta.toFixed(0)} s]`,
      );
    }
    const changed = Object.values(entries).filter((e) => !e.kept).length;
    if (values.json) console.log(JSON.stringify(entries, null, 2));
    else if (changed > 0) console.log(`updated ${changed} of ${systems.length} entries in ${path}`);
    else console.log(`${path} unchanged: no system got below its recorded reference`);
    Deno.exitCode = signals.exitStatus;
  } finally {
    signals.dispose();
  }
}

/** Writes the pooled file, entries sorted by system (atomically). */
async function writePooledFile(path: string, file: PooledFile): Promise<void> {
  const sorted = Object.fromEntries(
    Object.entries(file.minima).sort(([a], [b]) => a.localeCompare(b)),
  );
  await writeFileAtomic(path, JSON.stringify({ ...file, minima: sorted }, null, 2) + "\n");
}

/** A UserError, before any GPU work, unless the file `path` can be written (atomically: a new
 * file in its folder, renamed over it). */
async function checkWritable(path: string): Promise<void> {
  const folder = dirname(path);
  const probe = temporaryName(path);
  try {
    await Deno.writeTextFile(probe, "", { createNew: true });
    await Deno.remove(probe);
  } catch (error) {
    throw new UserError(`--file ${path}: cannot write in ${folder} (${osErrorText(error)})`);
  }
}

/** A system with a putative global minimum has its reference already. */
function checkNeedsReference(system: System) {
  if (system.known.some((k) => k.kind === "putative-global")) {
    throw new UserError(`${system.name} has a known global minimum; it needs no pooled reference`);
  }
}

async function readPooledFile(path: string): Promise<PooledFile> {
  if (!(await pathExists(path))) return { minima: {} };
  const what = "a pooled-minima file";
  const parsed = parseJsonText(await readInputText(path, what), path, what);
  const minima = (parsed as PooledFile)?.minima;
  if (typeof minima !== "object" || minima === null || Array.isArray(minima)) {
    throw new UserError(`${path} (${what}): no "minima" object`);
  }
  // Checked now, before any GPU work: each entry is compared with a new energy at the end.
  for (const [name, entry] of Object.entries(minima)) {
    if (typeof entry?.energy !== "number" || !Number.isFinite(entry.energy)) {
      throw new UserError(
        `${path} (${what}): the entry ${quoted(name)} has no energy (a finite number)`,
      );
    }
  }
  return parsed as PooledFile;
}

if (import.meta.main) await runCommand("reference", main);
