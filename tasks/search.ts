/**
 * deno task search --system LJ38 --method bh|random|lbfgs|fire|adam|gd --replicas 1024 --max-evals 2e5
 *                  [--target E | --stop-at-known] [--seed 1] [--out runs/lj38] [method options]
 * deno task search --system LJ38 --method learned --checkpoint runs/train/checkpoint.safetensors
 * deno task search --resume DIR
 *
 * A global search on the GPU with progress on stderr; writes minima.xyz, summary.json,
 * trace.json and state.safetensors into --out. Ctrl-C or SIGTERM ends the run after the round in
 * flight and still writes them; --resume continues it.
 */
import { resolve } from "node:path";
import { parseArgs } from "node:util";
import {
  energyFlag,
  fractionFlag,
  integerFlag,
  LAYOUT_OPTION,
  layoutFlag,
  layoutHelp,
  MAX_REPLICAS,
  MAX_U32,
  positiveNumber,
  runCommand,
} from "../src/cli/args.ts";
import { UserError } from "../src/core/errors.ts";
import {
  MAX_MAGNITUDE,
  MIN_MAGNITUDE,
  parseDecimal,
  withinMagnitude,
} from "../src/core/numbers.ts";
import { Gpu } from "../src/gpu/device.ts";
import { readInputText } from "../src/io/input_files.ts";
import { RunFolder } from "../src/io/run_folder.ts";
import { command } from "../src/cli/program.ts";
import { displayPath, shippedOrPath } from "../src/cli/project.ts";
import { SIGNAL_STATUS, StopSignals } from "../src/cli/stop_signals.ts";
import { parseXyz } from "../src/io/xyz.ts";
import { DEFAULT_LOG_CAPACITY, MAX_LOG_CAPACITY } from "../src/methods/optimizer_batch.ts";
import { JAX_MD_FIRE } from "../src/methods/fire.ts";
import { ANNEAL_SHARE, annealSteps, HOLD_SHARE } from "../src/methods/anneal.ts";
import { hopTemperature, meltTemperature, POTENTIALS } from "../src/potentials/registry.ts";
import { LBFGS, MAX_LBFGS_HISTORY } from "../src/methods/lbfgs.ts";
import { TABOO_CAPACITY } from "../src/methods/kernel_layout.ts";
import { MOVE_NAMES, moveProbabilities, type MoveWeights } from "../src/methods/method_spec.ts";
import { HOP_MOVES } from "../src/methods/moves/registry.ts";
import {
  DEFAULT_MAX_STEP,
  defaultLocalSettings,
  isLocalMethodName,
  LOCAL_METHOD_NAMES,
  type LocalSettings,
} from "../src/methods/registry.ts";
import { loadLearnedOptimizer } from "../src/learned/learned_optimizer.ts";
import {
  DEFAULT_ADAPT_INTERVAL,
  DEFAULT_FMAX,
  DEFAULT_HOP_FMAX,
  DEFAULT_HOP_LOCAL,
  DEFAULT_RELAX_STEP_CAP,
  DEFAULT_STEP,
  defaultHopping,
  defaultMoves,
  defaultSweeps,
  DR_PER_BOND_LENGTH,
  type Method,
  METHODS,
  type MethodSettings,
  methodSpec,
  type Sweep,
} from "../src/search/defaults.ts";
import {
  defaultOutputDir,
  SEARCH_RUN_MARKERS,
  searchSummary,
  writeSearchOutputs,
  writeSearchState,
} from "../src/search/outputs.ts";
import { loadSearchState, STATE_FILE } from "../src/search/search_state.ts";
import { POLISH_MAX_EVALUATIONS, POLISH_SLACK, POLISH_START_FMAX } from "../src/search/refine.ts";
import { startsFromFrames } from "../src/search/starts.ts";
import { DEFAULT_CROSSOVER } from "../src/search/population.ts";
import {
  ARCHIVE_CAPACITY,
  checkHopping,
  DEFAULT_KEEP,
  DEFAULT_MAX_EVALUATIONS,
  DEFAULT_REPLICAS,
  DEFAULT_SYNC_EVERY,
  type GoalStatus,
  knownGoal,
  restoredOptions,
  runSearch,
  type SearchOptions,
  searchOptions,
  type SearchProgress,
  type SearchResult,
} from "../src/search/run_search.ts";
import { parseSystem, type System } from "../src/systems/system.ts";
import { clusterRadius } from "../src/systems/random_structures.ts";

/** A default per potential for the help text, as each entry gives it for its example system. */
function perPotential(value: (spec: System["potential"]) => number): string {
  return POTENTIALS.map((entry) => {
    const { potential } = parseSystem(entry.naming.example);
    return `${value(potential)} ${entry.units.energy} ${entry.label}`;
  }).join(", ");
}

const HELP = `Usage: ${command("search")} --system NAME [options]

Global search for low minima: REPLICAS copies of the system, each from its own seeded random
start, advanced together on the GPU. Budgets count energy+force evaluations PER REPLICA.

  --system NAME         LJ38, Au55, Ag27Au28, Si64, Au55@set=jaxmd-gold, ... (required)
  --method M            bh (basin hopping, default), random (random restarts), one local
                        relaxation per replica with lbfgs, fire, adam or gd, anneal (a
                        melt-quench: Langevin dynamics held at --temperature, cooled linearly
                        to 0, then FIRE), or learned (the meta-trained optimizer of
                        --checkpoint, run for the whole budget)
  --checkpoint FILE     learned: the checkpoint whose weights to use (train writes them), or
                        a shipped one's name (lj-hopper, gupta-hopper, ...); required with
                        --method learned, refused otherwise
  --replicas B          replicas in the batch, 1..${MAX_REPLICAS} (default: ${DEFAULT_REPLICAS})
  --max-evals N         evaluations per replica (default: ${DEFAULT_MAX_EVALUATIONS}; 2e5 is fine)
  --target E            stop once an energy within the tolerance of E is found (negative:
                        --target=-44.3)
  --reference E         count the replicas that reach E (within the tolerance) without
                        stopping, reported like the known minima (for systems the project's
                        table lacks)
  --stop-at-known       stop once the system's known minimum is reached (its global
                        minimum, else an upper bound, else its pooled reference in
                        data/pooled_minima.json)
  --start FILE.xyz      start from these structures instead of random ones: one frame for
                        every replica, or one frame per replica (atoms in any order)
  --resume DIR          continue the search saved in DIR (state.safetensors) with the options
                        it was started with; a resumed run equals an uninterrupted one
  --seed S              integer 0..${MAX_U32} (default: 1): starts and random streams
  --out DIR             output folder, new or empty and not in use by another run
                        (default: runs/SYSTEM-METHOD-seedS of the folder this runs in, or
                        ...-seedS-2, ... when that one is taken)
  --keep K              lowest distinct minima reported, 1..${ARCHIVE_CAPACITY} (default: ${DEFAULT_KEEP})
  --sync-every N        evaluations per replica between progress reads (default: ${DEFAULT_SYNC_EVERY})
  --log-capacity C      minima each replica may log between reads, 1..${MAX_LOG_CAPACITY}
                        (default: ${DEFAULT_LOG_CAPACITY})
${layoutHelp(24)}
  --json                print summary.json on stdout at the end
  -h, --help            this text

Method options, in the system's units (sigma and epsilon for LJ, Angstrom and eV otherwise),
each a plain decimal from ${MIN_MAGNITUDE} to ${MAX_MAGNITUDE} (what the f32 kernels hold).
A value LO:HI gives replica r of B the value LO + (HI - LO) r / (B - 1), to scan it in one run.
  --local M             bh, random: the local method that relaxes between hops, one of
                        ${LOCAL_METHOD_NAMES.join(", ")} (default ${DEFAULT_HOP_LOCAL})
  --moves LIST          bh: hop proposals with weights, e.g. uniform=1,surface=1 (a bare name
                        weighs 1; default for clusters: inversion=0.2 and uniform, surface
                        and symmetrise sharing the rest, bimetallics also swap=0.1; periodic
                        systems: uniform, and swap=0.1 for two elements):
                        uniform: every coordinate displaced up to dr
${HOP_MOVES.map((move) => `                        ${move.name}: ${move.summary}`).join("\n")}
  --hop-fmax F          bh, random: a relaxation ends, and the replica hops, when the largest
                        force is below F (default ${DEFAULT_HOP_FMAX}; minima are polished in f64
                        from below ${POLISH_SLACK} F and ${POLISH_START_FMAX}, whatever F)
  --relax-steps N       bh, random: ... or after N steps (default ${DEFAULT_RELAX_STEP_CAP})
  --step S|LO:HI        gd: step, length^2/energy (default ${DEFAULT_STEP.gd}); adam: learning rate,
                        length (default ${DEFAULT_STEP.adam}); fire: dt_start (default ${DEFAULT_STEP.fire});
                        lbfgs: H0 without history (default ${DEFAULT_STEP.lbfgs}); anneal: the time
                        step, unit masses (default ${DEFAULT_STEP.anneal}); not learned
  --max-step D          largest atom move per step (default ${DEFAULT_MAX_STEP}, ASE's maxstep;
                        learned: the checkpoint's training maxStep times the bond length;
                        refused for a hop-residual checkpoint, which relaxes with basin
                        hopping's own L-BFGS)
  --fmax F              gd, adam, fire, lbfgs, anneal: the relaxation ends when the largest force is
                        below F; learned: a minimum is logged each time the largest force falls
                        below F (default ${DEFAULT_FMAX})
  --dt-max T            FIRE's largest time step (default ${JAX_MD_FIRE.dtMax}, JAX MD's)
  --history M           L-BFGS: pairs kept, 1..${MAX_LBFGS_HISTORY} (default ${LBFGS.history})
  --dr D|LO:HI          bh: uniform-move amplitude per coordinate (default ${DR_PER_BOND_LENGTH} bond
                        lengths, 0.36 sigma for LJ)
  --temperature T|LO:HI bh: Metropolis kT (default ${perPotential(hopTemperature)});
                        anneal: the melt's kT (default ${perPotential(meltTemperature)})
  --anneal-steps N      anneal: evaluations of the schedule, ${HOLD_SHARE} of them held at the melt
                        (default ${ANNEAL_SHARE} of --max-evals); FIRE relaxes after it
  --adapt N             bh: adapt dr every N hops towards half accepted (default ${DEFAULT_ADAPT_INTERVAL}; 0 = fixed)
  --reseed K            bh: a chain whose lowest minimum has not improved for K hops restarts from a
                        random structure (GMIN's NEWRESTART; default 0: never)
  --taboo               bh with --reseed: each replica keeps the lowest minima of its last
                        ${TABOO_CAPACITY} stale chains, and a chain whose lowest minimum is one of them
                        is stale at once (GMIN's AVOID; default: off)
  --exchange R          bh: replica exchange (parallel tempering basin hopping) in ladders of R
                        consecutive replicas at temperatures spaced geometrically over
                        --temperature LO:HI; neighbouring rungs swap temperatures (and hop
                        sizes) at every sync by the Metropolis rule on their chains' minima
  --pool P              bh with --reseed: the batch as a population; a stale chain is reseeded
                        from the P lowest distinct minima found by all replicas (at most
                        --replicas) instead of a random structure, at the next sync
  --crossover F         with --pool: the share of those reseeds made by cut-and-splice crossover
                        of two pool members (Deaven and Ho; default ${DEFAULT_CROSSOVER} for clusters, refused
                        in a periodic box); the others start from a pool member moved by +-dr
  --container R         clusters: keep atoms within R of the centre of mass (default 0 = none)

Writes DIR/minima.xyz (extended XYZ, lowest first: f64 energy and forces, count per frame, the
system), DIR/summary.json, DIR/trace.json (best energy against evaluations per replica) and
DIR/state.safetensors (saved every minute and at the end, for --resume); docs/OUTPUTS.md
explains every field. Reported minima are polished in f64 (at most ${POLISH_MAX_EVALUATIONS} evaluations,
counted apart) only where the search brought them below its force tolerance and below
${POLISH_START_FMAX}, and only as far as the search's own energy allows (else flagged
polish_rejected); other points are reported as they are. Ctrl-C or SIGTERM stops after the
current round and writes them (exit status 130 or 143); a second signal does not interrupt the
save (kill -9 does). Exit status 2 for a bad system name, option, file or checkpoint.`;

const OPTIONS = {
  system: { type: "string" },
  method: { type: "string" },
  replicas: { type: "string" },
  "max-evals": { type: "string" },
  target: { type: "string" },
  reference: { type: "string" },
  start: { type: "string" },
  resume: { type: "string" },
  "stop-at-known": { type: "boolean", default: false },
  seed: { type: "string" },
  out: { type: "string" },
  keep: { type: "string" },
  "sync-every": { type: "string" },
  "log-capacity": { type: "string" },
  json: { type: "boolean", default: false },
  help: { type: "boolean", short: "h", default: false },
  step: { type: "string" },
  "max-step": { type: "string" },
  fmax: { type: "string" },
  "dt-max": { type: "string" },
  "relax-steps": { type: "string" },
  dr: { type: "string" },
  temperature: { type: "string" },
  "anneal-steps": { type: "string" },
  adapt: { type: "string" },
  exchange: { type: "string" },
  reseed: { type: "string" },
  taboo: { type: "boolean" },
  pool: { type: "string" },
  crossover: { type: "string" },
  local: { type: "string" },
  moves: { type: "string" },
  "hop-fmax": { type: "string" },
  history: { type: "string" },
  container: { type: "string" },
  checkpoint: { type: "string" },
  ...LAYOUT_OPTION,
} as const;

type Values = ReturnType<typeof parseFlags>["values"];

function parseFlags(args: string[]) {
  return parseArgs({ args, options: OPTIONS, allowPositionals: true });
}

/** Method options that only some methods use; giving one to another method is an error. */
const METHOD_ONLY: Partial<Record<keyof typeof OPTIONS, Method[]>> = {
  checkpoint: ["learned"],
  step: ["gd", "adam", "fire", "lbfgs", "anneal", "bh", "random"],
  fmax: ["gd", "adam", "fire", "lbfgs", "anneal", "learned"],
  local: ["bh", "random"],
  moves: ["bh"],
  "hop-fmax": ["bh", "random"],
  "relax-steps": ["bh", "random"],
  dr: ["bh"],
  temperature: ["bh", "anneal"],
  "anneal-steps": ["anneal"],
  adapt: ["bh"],
  exchange: ["bh"],
  reseed: ["bh"],
  taboo: ["bh"],
  pool: ["bh"],
  crossover: ["bh"],
};

/** Flags --resume takes besides itself: how to print, not what to run. */
const RESUME_FLAGS = new Set(["resume", "json", "help", "layout"]);

export async function main(args: string[]): Promise<void> {
  const { values, positionals } = parseFlags(args);
  if (values.help) {
    console.log(HELP);
    return;
  }
  if (positionals.length > 0) throw new UserError(`unexpected argument '${positionals[0]}'`);
  const chosenLayout = layoutFlag(values.layout);
  const { options, folder, resume } = values.resume === undefined
    ? await newSearch(values)
    : await resumedSearch(values.resume, values);
  const out = folder.path;
  // From here on a signal stops the search after the round in flight and saves what it found.
  const controller = new AbortController();
  const progress = progressPrinter();
  const signals = new StopSignals((signal) => {
    controller.abort();
    progress.end();
    console.error(`${signal}: finishing the current round, then saving`);
  });
  try {
    // A resumed search keeps its layout, so that it continues the same trajectories.
    const gpu = await Gpu.open({ layout: chosenLayout ?? resume?.layout });
    const result = await runSearch(options, {
      gpu,
      onProgress: progress.show,
      signal: controller.signal,
      resume,
      saveState: (state) => writeSearchState(out, state),
    });
    progress.end();
    await writeSearchOutputs(out, result);
    if (values.json) console.log(JSON.stringify(searchSummary(result), null, 2));
    else console.log(report(result, out));
    if (result.stopReason === "failed") throw result.error;
    if (result.stopReason === "interrupted") {
      console.error(`continue it with: ${command("search", "--resume", out)}`);
      Deno.exitCode = signals.exitStatus || SIGNAL_STATUS.SIGINT;
    }
  } finally {
    progress.end();
    signals.dispose();
    await folder.release();
  }
}

/** What claims a search's folder (src/io/run_folder.ts). */
const SEARCH_FOLDER = {
  savedState: SEARCH_RUN_MARKERS,
  what: "a search",
  resumeHint: (dir: string) => command("search", "--resume", dir),
};

/** Options from the flags and the claimed output folder, before any GPU work: a default folder
 * takes a free suffix, a given one must be new or empty and not in use. */
async function newSearch(values: Values) {
  const options = await optionsFromFlags(values);
  const folder = values.out === undefined
    ? await RunFolder.claimFree(
      defaultOutputDir(options.system, options.method, options.seed),
      { ...SEARCH_FOLDER, flag: "the default output folder" },
    )
    : await RunFolder.claimNew(values.out, { ...SEARCH_FOLDER, flag: "--out" });
  return { options, folder, resume: undefined };
}

/** The search saved in `dir`, with the options it was started with; its folder claimed. */
async function resumedSearch(dir: string, values: Values) {
  const other = Object.keys(values).find((flag) =>
    !RESUME_FLAGS.has(flag) && values[flag as keyof Values] !== undefined &&
    values[flag as keyof Values] !== false
  );
  if (other !== undefined) {
    throw new UserError(`--resume continues a search with its own options; drop --${other}`);
  }
  const folder = await RunFolder.claimExisting(dir, { ...SEARCH_FOLDER, flag: "--resume" });
  try {
    const state = await loadSearchState(`${dir}/${STATE_FILE}`);
    if (state.stopped !== null && state.stopped !== "interrupted") {
      throw new UserError(`--resume ${dir}: that search has finished (stopped: ${state.stopped})`);
    }
    const saved = state.options;
    const options = restoredOptions(saved, parseSystem(saved.system));
    if (saved.checkpoint !== null) {
      options.learned = await loadLearnedOptimizer(saved.checkpoint);
      options.checkpoint = saved.checkpoint;
      const same = state.weights !== undefined &&
        state.weights.length === options.learned.weights.length &&
        state.weights.every((w, k) => w === Math.fround(options.learned!.weights[k]));
      if (!same) {
        throw new UserError(
          `--resume ${dir}: the checkpoint ${saved.checkpoint} has changed since the search started`,
        );
      }
    }
    // What the kernel would run: settings the checks of search_state.ts let through but this
    // version cannot run (a damaged or edited file) are refused here, before any GPU work.
    try {
      methodSpec(options.system, options.settings, options.learned);
    } catch (error) {
      if (!(error instanceof TypeError || error instanceof RangeError)) throw error;
      throw new UserError(
        `--resume ${dir}: ${STATE_FILE} (a search state) holds settings this version cannot run`,
      );
    }
    return { options, folder, resume: state };
  } catch (error) {
    await folder.release();
    throw error;
  }
}

async function optionsFromFlags(values: Values): Promise<SearchOptions> {
  if (values.system === undefined) throw new UserError("--system is required (see --help)");
  const system = parseSystem(values.system);
  const method = (values.method ?? "bh") as Method;
  if (!METHODS.includes(method)) {
    throw new UserError(`--method must be one of ${METHODS.join(", ")}, got '${values.method}'`);
  }
  for (const [flag, methods] of Object.entries(METHOD_ONLY)) {
    if (values[flag as keyof Values] !== undefined && !methods.includes(method)) {
      const list = methods.length > 1
        ? `${methods.slice(0, -1).join(", ")} and ${methods.at(-1)}`
        : methods[0];
      throw new UserError(`--${flag} applies to ${list}, not --method ${method}`);
    }
  }
  if (method === "learned" && values.checkpoint === undefined) {
    throw new UserError("--method learned needs --checkpoint FILE (see --help)");
  }
  const maxEvaluations = values["max-evals"] === undefined
    ? DEFAULT_MAX_EVALUATIONS
    : integerFlag("max-evals", values["max-evals"], 1, MAX_U32);
  const settings = settingsFromFlags(system, method, values, maxEvaluations);
  const defaults = searchOptions(system, method, { settings });
  const sweeps = { ...defaultSweeps(system, settings) };
  if (values.step !== undefined) sweeps.step = sweep("step", values.step, true);
  if (values.dr !== undefined) sweeps.dr = sweep("dr", values.dr, true);
  if (values.temperature !== undefined) {
    sweeps.temperature = sweep("temperature", values.temperature, false);
  }
  const stopAtKnown = values["stop-at-known"];
  if (stopAtKnown && values.target !== undefined) {
    throw new UserError("give --target or --stop-at-known, not both");
  }
  if (stopAtKnown && knownGoal(system) === undefined) {
    throw new UserError(`--stop-at-known: no known minimum for ${system.name}`);
  }
  const count = (flag: keyof Values, fallback: number, max = MAX_U32) =>
    values[flag] === undefined ? fallback : integerFlag(flag, values[flag] as string, 1, max);
  const options: SearchOptions = {
    ...defaults,
    replicas: count("replicas", defaults.replicas, MAX_REPLICAS),
    maxEvaluations,
    seed: values.seed === undefined ? defaults.seed : integerFlag("seed", values.seed, 0),
    settings,
    sweeps,
    target: values.target === undefined ? undefined : energyFlag("target", values.target),
    reference: values.reference === undefined
      ? undefined
      : energyFlag("reference", values.reference),
    stopAtKnown,
    keep: count("keep", defaults.keep, ARCHIVE_CAPACITY),
    syncEvery: count("sync-every", defaults.syncEvery),
    logCapacity: count("log-capacity", defaults.logCapacity, MAX_LOG_CAPACITY),
  };
  if (settings.driver === "hopping" && (settings.hopping.exchangeRungs ?? 0) > 0) {
    const range = sweeps.temperature;
    if (typeof range === "number" || !(range.from > 0 && range.to > range.from)) {
      throw new UserError("--exchange needs --temperature LO:HI with 0 < LO < HI");
    }
    if (settings.hopping.exchangeRungs! > options.replicas) {
      throw new UserError("--exchange: a ladder cannot have more rungs than --replicas");
    }
  }
  checkHopping(options);
  // Last, so that mistakes in the other flags are reported without reading a file.
  if (values.start !== undefined) {
    const frames = parseXyz(await readInputText(values.start, "an XYZ file"), values.start);
    options.starts = startsFromFrames(system, frames, options.replicas, values.start);
    options.startFile = values.start;
  }
  if (values.checkpoint !== undefined) {
    const path = displayPath(await shippedOrPath(values.checkpoint, "checkpoints", ".safetensors"));
    options.learned = await loadLearnedOptimizer(path);
    // Absolute: the saved state finds it again from whatever folder --resume is run in.
    options.checkpoint = resolve(path);
    const spec = methodSpec(system, options.settings, options.learned);
    if (values["max-step"] !== undefined && spec.local.parameterCount === 0) {
      throw new UserError(
        `--max-step applies to a per-step learned optimizer; ${values.checkpoint} is a ` +
          `${options.learned.architecture.description.name} one, which relaxes with basin ` +
          "hopping's own L-BFGS",
      );
    }
  }
  return options;
}

/** The method's settings from the defaults and the method flags. */
function settingsFromFlags(
  system: System,
  method: Method,
  values: Values,
  maxEvaluations: number,
): MethodSettings {
  const maxStep = values["max-step"] === undefined
    ? undefined
    : positiveNumber("max-step", values["max-step"]);
  const fmax = values.fmax === undefined ? DEFAULT_FMAX : positiveNumber("fmax", values.fmax);
  const containerRadius = values.container === undefined
    ? 0
    : clusterContainer(system, values.container);
  if (method === "learned") return { driver: "learned", maxStep, fmax, containerRadius };
  const localName = values.local ?? (isLocalMethodName(method) ? method : DEFAULT_HOP_LOCAL);
  if (!isLocalMethodName(localName)) {
    throw new UserError(
      `--local must be one of ${LOCAL_METHOD_NAMES.join(", ")}, got '${values.local}'`,
    );
  }
  const local = localFromFlags(defaultLocalSettings(localName, maxStep), values);
  if (local.method === "anneal") {
    if (method !== "anneal") {
      throw new UserError(
        "--local anneal: an anneal is a whole search (--method anneal), not a " +
          "relaxation between hops",
      );
    }
    const steps = values["anneal-steps"] === undefined
      ? annealSteps(maxEvaluations)
      : integerFlag("anneal-steps", values["anneal-steps"], 1, MAX_U32);
    local.anneal = { ...local.anneal, steps };
  }
  if (method !== "bh" && method !== "random") {
    return { driver: "local", local, fmax, containerRadius };
  }
  const moves = method === "random"
    ? { restart: 1 }
    : values.moves === undefined
    ? defaultMoves(system)
    : parseMoves(values.moves);
  const hopping = defaultHopping(system, moves);
  if (values["hop-fmax"] !== undefined) {
    hopping.hopFmax = positiveNumber("hop-fmax", values["hop-fmax"]);
  }
  if (values["relax-steps"] !== undefined) {
    hopping.relaxStepCap = integerFlag("relax-steps", values["relax-steps"], 1);
  }
  if (values.adapt !== undefined) hopping.adaptInterval = integerFlag("adapt", values.adapt, 0);
  if (values.reseed !== undefined) {
    hopping.reseedHops = integerFlag("reseed", values.reseed, 0, MAX_U32);
  }
  if (values.exchange !== undefined) {
    hopping.exchangeRungs = integerFlag("exchange", values.exchange, 2, MAX_REPLICAS);
  }
  if (values.taboo) hopping.taboo = true;
  if (values.crossover !== undefined && values.pool === undefined) {
    throw new UserError("--crossover is the share of --pool's reseeds: give --pool P");
  }
  if (values.pool !== undefined) {
    const crossover = values.crossover === undefined
      ? (system.box === undefined ? DEFAULT_CROSSOVER : 0)
      : fractionFlag("crossover", values.crossover);
    hopping.pool = { size: integerFlag("pool", values.pool, 1, MAX_REPLICAS), crossover };
  }
  return { driver: "hopping", local, hopping, containerRadius };
}

/** --dt-max and --history apply to their own local method only. */
function localFromFlags(local: LocalSettings, values: Values): LocalSettings {
  if (values["dt-max"] !== undefined && local.method !== "fire") {
    throw new UserError(`--dt-max applies to FIRE, not the local method ${local.method}`);
  }
  if (values.history !== undefined && local.method !== "lbfgs") {
    throw new UserError(`--history applies to L-BFGS, not the local method ${local.method}`);
  }
  if (local.method === "fire" && values["dt-max"] !== undefined) {
    return { ...local, fire: { ...local.fire, dtMax: positiveNumber("dt-max", values["dt-max"]) } };
  }
  if (local.method === "lbfgs" && values.history !== undefined) {
    const history = integerFlag("history", values.history, 1, MAX_LBFGS_HISTORY);
    return { ...local, lbfgs: { ...local.lbfgs, history } };
  }
  return local;
}

/** "uniform=1,surface=0.5,swap": names with optional weights (default 1). */
function parseMoves(text: string): MoveWeights {
  const weights: MoveWeights = {};
  for (const part of text.split(",")) {
    const [name, weightText, extra] = part.split("=").map((s) => s.trim());
    if (!(MOVE_NAMES as readonly string[]).includes(name) || extra !== undefined) {
      throw new UserError(
        `--moves takes NAME[=WEIGHT],... with names ${MOVE_NAMES.join(", ")}, got '${part}'`,
      );
    }
    const weight = weightText === undefined ? 1 : parseDecimal(weightText);
    if (!(weight >= 0) || !withinMagnitude(weight, true)) {
      throw new UserError(
        `--moves: the weight of ${name} must be 0 or a number from ${MIN_MAGNITUDE} to ` +
          `${MAX_MAGNITUDE}, got '${weightText}'`,
      );
    }
    weights[name as keyof MoveWeights] = weight;
  }
  moveProbabilities(weights);
  return weights;
}

/** One value or LO:HI, each positive (or >= 0 when `positive` is false) and within what the
 * kernels hold (src/core/numbers.ts). */
function sweep(flag: string, text: string, positive: boolean): Sweep {
  const parts = text.split(":");
  const [from, to] = parts.map(parseDecimal);
  const valid = (value: number) => value >= 0 && withinMagnitude(value, !positive);
  if (parts.length > 2 || !valid(from) || !(to === undefined || valid(to))) {
    throw new UserError(
      `--${flag} takes a number ${positive ? `from ${MIN_MAGNITUDE}` : "from 0"} to ` +
        `${MAX_MAGNITUDE} or LO:HI of them, got '${text}'`,
    );
  }
  return to === undefined ? from : { from, to };
}

/** --container: 0 (none), or a sphere at least as large as the one random starts fill (a smaller
 * one would press the atoms together until the energy is no longer finite). */
function clusterContainer(system: System, text: string): number {
  const value = positiveNumber("container", text, true);
  if (value > 0 && system.box !== undefined) {
    throw new UserError(`--container is for clusters; ${system.name} is periodic`);
  }
  const least = clusterRadius(system.nAtoms, system.bondLength);
  if (value > 0 && value < least) {
    throw new UserError(
      `--container must be 0 (none) or at least ${least.toPrecision(4)} for ${system.name}, the ` +
        `radius random starts fill; got '${text}'`,
    );
  }
  return value;
}

/** Progress on stderr: one line rewritten in place on a terminal, one line per sync otherwise. */
function progressPrinter() {
  const terminal = Deno.stderr.isTerminal();
  const encoder = new TextEncoder();
  let open = false;
  return {
    show(p: SearchProgress) {
      const line = formatProgress(p);
      Deno.stderr.writeSync(encoder.encode(terminal ? `\r${line}\x1b[K` : `${line}\n`));
      open = terminal;
    },
    /** Ends the line being rewritten, so later output starts on a fresh one. */
    end() {
      if (open) Deno.stderr.writeSync(encoder.encode("\n"));
      open = false;
    },
  };
}

function formatProgress(p: SearchProgress): string {
  const percent = Math.floor(100 * p.evaluations / p.maxEvaluations);
  return [
    `evals/replica ${p.evaluations}/${p.maxEvaluations} (${percent}%)`,
    `best ${p.bestEnergy === null ? "-" : p.bestEnergy.toFixed(6)}`,
    `minima ${p.distinctMinima}${p.distinctMinima === p.archiveCapacity ? "+" : ""}`,
    `${p.rate.toExponential(2)} evals/s`,
    `ETA ${duration(p.etaSeconds)}`,
  ].join("  ");
}

function duration(seconds: number): string {
  if (!Number.isFinite(seconds)) return "-";
  const s = Math.round(seconds);
  const hms = [Math.floor(s / 3600), Math.floor(s / 60) % 60, s % 60];
  return hms.map((v, k) => (k === 0 ? String(v) : String(v).padStart(2, "0"))).join(":");
}

function report(result: SearchResult, out: string): string {
  const { options } = result;
  const best = result.minima[0];
  const full = result.distinctMinima === result.archiveCapacity;
  const learned = options.checkpoint === undefined ? "" : ` (${options.checkpoint})`;
  const lines = [
    `${options.system.name} ${options.method}${learned}, ${options.replicas} replicas, ` +
    `seed ${options.seed}`,
    best === undefined ? "best energy: nothing found" : bestLine(best),
  ];
  if (result.known) {
    lines.push(goalLine(`known ${result.known.kind}`, result.known, options.replicas));
  }
  if (result.target) lines.push(goalLine("target", result.target, options.replicas));
  if (result.reference) lines.push(goalLine("reference", result.reference, options.replicas));
  const { running, converged } = result.replicaStatus;
  const rejected = result.rejectedNonfinite;
  const fmax = options.settings.driver === "local" ? ` below fmax ${options.settings.fmax}` : "";
  const reported = result.minima.length;
  const examined = result.candidatesExamined > reported
    ? `, from ${result.candidatesExamined} candidates (several relax to the same minimum in f64)`
    : "";
  lines.push(
    `replicas at the end: ${running} running, ${converged} converged${fmax}; ` +
      `${rejected.points} non-finite points rejected by ${rejected.replicas} replicas` +
      (rejected.points > 0 ? " (each went back to its Markov minimum or restarted)" : "") +
      (result.exchanges === null
        ? ""
        : `; replica exchange: ${result.exchanges.accepted} of ${result.exchanges.attempted} ` +
          "swaps accepted") +
      (result.reseeds === null ? "" : `; ${result.reseeds} stale chains reseeded`) +
      (result.tabooHits === null ? "" : ` (${result.tabooHits} at once by the taboo list)`) +
      (result.population === null
        ? ""
        : ` (from the pool: ${result.population.crossovers} crossovers, ` +
          `${result.population.perturbed} perturbed members)`),
    `distinct minima ${result.distinctMinima} in the GPU's archive` +
      `${full ? " (it keeps the lowest)" : ""}; ${reported} reported${examined}`,
    `${result.evaluationsPerReplica} evaluations per replica (${result.totalEvaluations} in ` +
      `all; ${result.refinementEvaluations} more in f64 to report minima) in ` +
      `${result.wallSeconds.toFixed(1)} s; stopped: ${result.stopReason}`,
    `outputs in ${out}/`,
  );
  return lines.join("\n");
}

function bestLine(best: SearchResult["minima"][number]): string {
  const energies = `${best.energy.toFixed(6)} (f64; GPU f32 ${best.energyF32.toFixed(6)})`;
  if (best.polished) {
    return `best energy ${energies}, polished to fmax ${best.fmax.toExponential(1)} in ` +
      `${best.evaluations} f64 evaluations`;
  }
  if (best.polishRejected) {
    return `best energy ${energies} as the search left it, fmax ${best.fmax.toExponential(1)}: ` +
      "relaxing it in f64 went further below the search's own energy than what tells two " +
      "minima apart, so it is not polished";
  }
  return best.converged
    ? `best energy ${energies}, fmax ${best.fmax.toExponential(1)}`
    : `best energy ${energies} at an unfinished point: fmax ${best.fmax.toExponential(1)}, ` +
      "not a minimum (the search left it there)";
}

function goalLine(label: string, goal: GoalStatus & { energy: number }, replicas: number): string {
  const outcome = goal.reached
    ? `reached after ${goal.evaluationsPerReplica} evaluations per replica; by ` +
      `${goal.replicasReached} of ${replicas} replicas (median ${goal.medianReplicaEvaluations})`
    : "not reached";
  return `${label} ${goal.energy}: ${outcome}`;
}

if (import.meta.main) await runCommand("search", main);
