/**
 * deno task eval [--suite quick|lj|gupta|bimetallic|si|generalization] [--methods LIST]
 *                [--replicas B] [--max-evals N] [--seed S] [--out DIR] [--checkpoint FILE] [--json]
 * deno task eval --suite hard [--systems LIST] [--methods LIST] [--seeds K] [--gmin RUN.SH] ...
 *
 * The learned optimizer against hand-designed methods at equal cost (src/eval/run_eval.ts), or
 * the hard suite beside GMIN (src/eval/hard.ts): progress on stderr, the tables on stdout, every
 * file in --out.
 */
import { parseArgs } from "node:util";
import {
  integerFlag,
  LAYOUT_OPTION,
  layoutFlag,
  layoutHelp,
  MAX_REPLICAS,
  MAX_U32,
  REDIS_OPTION,
  redisHelp,
  runCommand,
} from "../src/cli/args.ts";
import { localSearches } from "../src/eval/search_runner.ts";
import { distributedRun, RUN_FILE } from "../src/distributed/distributed_run.ts";
import { parseRedisUrl } from "../src/distributed/redis_url.ts";
import { RedisSearchRunner } from "../src/distributed/redis_searches.ts";
import { UserError } from "../src/core/errors.ts";
import { Gpu } from "../src/gpu/device.ts";
import { DEFAULT_HOP_FMAX, DEFAULT_HOP_LOCAL } from "../src/search/defaults.ts";
import { CHECKPOINT_METHODS, EVAL_METHODS, type EvalMethod } from "../src/eval/eval_methods.ts";
import { fileStem, REPORT_FILES, terminalReport, writeEvalOutputs } from "../src/eval/report.ts";
import { writeFileAtomic } from "../src/io/output_files.ts";
import { RunFolder } from "../src/io/run_folder.ts";
import { SIGNAL_STATUS, StopSignals } from "../src/cli/stop_signals.ts";
import { command } from "../src/cli/program.ts";
import { displayPath, projectFile, shippedNames, shippedOrPath } from "../src/cli/project.ts";
import {
  checkEvalOptions,
  DEFAULT_EVAL_METHODS,
  type EvalCheckpoint,
  type EvalOptions,
  loadEvalCheckpoint,
  runEvaluation,
} from "../src/eval/run_eval.ts";
import { DEFAULT_RESAMPLES } from "../src/core/statistics.ts";
import {
  HARD_SUITE_NAME,
  type Suite,
  SUITE_NAMES,
  suiteByName,
  SUITES,
} from "../src/eval/suites.ts";
import {
  CLASSIC_BH,
  HARD_DEFAULTS,
  HARD_SEARCHES,
  HARD_SYSTEMS,
  hardMarkdown,
  hardReference,
  INVERSION_BH,
  INVERSION_SHARE,
  INVERSION_TEMPERATURE_SCALE,
  POPULATION_BH,
  POPULATION_POOL,
  POPULATION_RESEED,
  runHardEvaluation,
} from "../src/eval/hard.ts";
import { type BhChoice, bhSweeps, tuningSeed, tuningSystems } from "../src/eval/tuning.ts";
import { hoppingReport } from "../src/eval/hopping_report.ts";
import { parseSystem } from "../src/systems/system.ts";

const DEFAULT_CHECKPOINT = "checkpoints/hopper.safetensors";
/** The hopping analysis: f64 trajectories per method, each this many evaluations. */
const HOPPING_STARTS = 4;
const HOPPING_EVALUATIONS = 2000;

const HELP = `Usage: ${command("eval")} [options]

Compares the learned optimizer with hand-designed methods at equal cost: every method searches
every system of the suite with the same replicas, seed (same starting structures and random
streams) and budget of evaluations PER REPLICA. Basin hopping's hop size and temperature are first
tuned on a small grid on the checkpoint's training systems of the families compared on. Reports
success rates against known global minima (else a pooled longer search's best,
data/pooled_minima.json, or the best energy any method found), evaluations to the first hit, the
replicas' best energies, distinct minima per million evaluations and wall time, and two verdicts
per system with a bootstrap 95% interval of the difference: learned against the best
hand-designed baseline, and against its untrained start.

  --suite NAME          ${SUITE_NAMES.join(", ")}, ${HARD_SUITE_NAME} (default: quick)
${SUITE_NAMES.map((n) => `                        ${n}: ${suiteLine(SUITES[n])}`).join("\n")}
                        ${HARD_SUITE_NAME}: see below
  --methods LIST        comma-separated, from ${EVAL_METHODS.join(", ")}
                        (default: ${DEFAULT_EVAL_METHODS.join(",")}; si: ${
  SUITES.si.methods!.join(",")
}); untrained is the
                        checkpoint's architecture at the weights its training started from,
                        fire-bh basin hopping with FIRE relaxations (untuned), default-bh
                        basin hopping on its defaults (untuned: needs no checkpoint), anneal
                        a melt-quench (Langevin dynamics cooled over 4/5 of the budget)
  --checkpoint FILE     the learned optimizer, whose training systems also tune bh: a file,
                        or the name of a shipped one (${
  shippedNames("checkpoints", ".safetensors").join(", ")
});
                        default: the project's ${DEFAULT_CHECKPOINT}
  --systems LIST        comma-separated systems in place of the suite's (e.g. Si64)
  --replicas B          replicas per method and system (default: the suite's)
  --max-evals N         evaluations per replica (default: the suite's)
  --seed S              integer 0..${MAX_U32} (default: 1): starts, streams, resampling
  --out DIR             output folder, new or empty and not in use (default:
                        runs/eval-SUITE of the folder this runs in, or runs/eval-SUITE-2, ...)
  --json                print report.json on stdout instead of the tables
  --no-hopping          skip the hopping analysis (f64 trajectories of the learned optimizer,
                        FIRE with restarts and basin hopping on the suite's first system,
                        and a learned hopper's decisions against its untrained start's)
${redisHelp(24, `run the searches on the workers of this Redis (${command("worker")})`)}
${layoutHelp(24)}
  -h, --help            this text

Writes DIR/report.json (everything), DIR/report.md (tables, verdicts, the tuning grid), per
system SYSTEM-energy.svg and SYSTEM-success.svg (known minima only), and per system and method
best-SYSTEM-METHOD.xyz (the lowest reported point, f64 energy and forces). With --redis each
search (a system x method shard, a tuning point) is a work item that any worker runs whole; the
report's numbers are the same as on one machine with the workers' adapter. Exit status 2 for a
bad option, suite, method or checkpoint, or a Redis that cannot be reached or refuses the
password.

--suite ${HARD_SUITE_NAME}: where global optimization is judged (${HARD_SYSTEMS.join(", ")}; the
metal clusters against pooled references until a published minimum is found), beside GMIN. For
each system and method, one batch of --replicas per seed, each replica given --max-evals; reports
per run (one replica, as one GMIN run) the share that reached the global minimum within 2e4, 5e4,
1e5 and 1e6 evaluations, and per batch the work (evaluations summed over every replica) and wall
time until any replica first reached it, median and quartiles over the seeds. GMIN's published
LJ38 runs are shown above ours. Defaults sized for a CPU: ${HARD_DEFAULTS.replicas} replicas x ${
  HARD_DEFAULTS.maxEvaluations.toLocaleString("en-US")
} evaluations, ${HARD_DEFAULTS.seeds} seeds.
  --systems LIST        comma-separated systems (default: all of the above)
  --methods LIST        searches, from ${HARD_SEARCHES.join(", ")} (default:
                        ${
  HARD_DEFAULTS.methods.join(",")
}); ${CLASSIC_BH} is bh without its symmetrise and inversion
                        moves (their share given to the uniform and surface moves), as it
                        was before them; ${INVERSION_BH} is bh tuned for centrosymmetric
                        minima (${
  INVERSION_SHARE * 100
}% inversion moves, ${INVERSION_TEMPERATURE_SCALE}x the temperature);
                        ${POPULATION_BH} is bh as a population (a chain stale for
                        ${POPULATION_RESEED} hops reseeded from the batch's ${POPULATION_POOL} lowest minima: search
                        --reseed ${POPULATION_RESEED} --pool ${POPULATION_POOL})
  --seeds K             batches per system and method, seeds S..S+K-1 (default: ${HARD_DEFAULTS.seeds})
  --gmin RUN.SH         also run GMIN (LJ systems) through this run.sh of a GMIN build: its
                        basic, symmetrise and csm inputs (needs permission to run it)
  --gmin-runs R         GMIN runs per input (default: ${HARD_DEFAULTS.gminRuns})
  --gmin-timeout S      seconds a GMIN run may take before it counts as not reached
                        (default: ${HARD_DEFAULTS.gminTimeoutSeconds})
Writes DIR/hard.json and DIR/hard.md; --json prints hard.json.`;

const OPTIONS = {
  suite: { type: "string", default: "quick" },
  methods: { type: "string" },
  systems: { type: "string" },
  seeds: { type: "string" },
  gmin: { type: "string" },
  "gmin-runs": { type: "string" },
  "gmin-timeout": { type: "string" },
  checkpoint: { type: "string" },
  replicas: { type: "string" },
  "max-evals": { type: "string" },
  seed: { type: "string", default: "1" },
  out: { type: "string" },
  json: { type: "boolean", default: false },
  "no-hopping": { type: "boolean", default: false },
  help: { type: "boolean", short: "h", default: false },
  ...LAYOUT_OPTION,
  ...REDIS_OPTION,
} as const;

type Values = ReturnType<typeof parseFlags>["values"];

function parseFlags(args: string[]) {
  return parseArgs({ args, options: OPTIONS, allowPositionals: true });
}

function suiteLine(suite: Suite): string {
  return `${suite.systems.join(" ")}; ${suite.replicas} x ${suite.maxEvaluations}`;
}

export async function main(args: string[]): Promise<void> {
  const { values, positionals } = parseFlags(args);
  if (values.help) {
    console.log(HELP);
    return;
  }
  if (positionals.length > 0) throw new UserError(`unexpected argument '${positionals[0]}'`);
  const layout = layoutFlag(values.layout);
  if (values.suite === HARD_SUITE_NAME) return await hardMain(values, layout);
  for (const flag of HARD_FLAGS) {
    if (values[flag] !== undefined) {
      throw new UserError(`--${flag} is for --suite ${HARD_SUITE_NAME}`);
    }
  }
  const redis = values.redis === undefined ? undefined : parseRedisUrl(values.redis);
  const options = await optionsFromFlags(values);
  const claim = {
    savedState: [REPORT_FILES.json, REPORT_FILES.markdown],
    leftovers: [RUN_FILE],
    what: "an evaluation",
  };
  const folder = values.out === undefined
    ? await RunFolder.claimFree(`runs/eval-${options.suite}`, {
      ...claim,
      flag: "the default output folder",
    })
    : await RunFolder.claimNew(values.out, { ...claim, flag: "--out" });
  const out = folder.path;
  // A report is written whole or not at all (its verdicts compare every method on every
  // system): a signal stops the evaluation where it is, saying so, and leaves no partial report.
  // The hopping analysis comes after the report, which a signal then leaves without it.
  let reported = false;
  const signals = new StopSignals(async (name) => {
    console.error(
      reported
        ? `${name}: stopped during the hopping analysis; the report in ${out} is complete ` +
          "without it (--no-hopping skips it)"
        : `${name}: stopped; an evaluation is written only when it is complete, so ${out} ` +
          "holds no report (run it again)",
    );
    await folder.release();
    Deno.exit(SIGNAL_STATUS[name]);
  });
  try {
    const log = (line: string) => console.error(line);
    const searches = redis === undefined
      ? localSearches(await Gpu.open({ layout }))
      : new RedisSearchRunner(await distributedRun(redis, out), layout ?? null);
    log(
      `eval ${options.suite}: ${options.methods.join(", ")} on ${options.systems.join(", ")}, ` +
        `${options.replicas} replicas x ${options.maxEvaluations} evaluations, seed ${options.seed}`,
    );
    let outcome;
    try {
      outcome = await runEvaluation(options, { searches, log });
    } finally {
      searches.close?.();
    }
    await writeEvalOutputs(out, outcome);
    reported = true;
    if (options.learned !== undefined && !values["no-hopping"]) {
      await writeHopping(out, options, outcome.report.tuning?.chosen, log);
    }
    console.log(
      values.json ? JSON.stringify(outcome.report, null, 2) : terminalReport(outcome.report, out),
    );
  } finally {
    signals.dispose();
    await folder.release();
  }
}

/**
 * The hopping analysis of the learned optimizer against FIRE with restarts and basin hopping (with
 * the tuned hop size and temperature) on the suite's first system, and its hop decisions against
 * its untrained start's, appended to report.md with its two plots.
 */
async function writeHopping(
  out: string,
  options: EvalOptions,
  chosen: BhChoice | undefined,
  log: (line: string) => void,
) {
  const system = parseSystem(options.systems[0]);
  const choice = chosen ??
    {
      local: DEFAULT_HOP_LOCAL,
      hopFmax: DEFAULT_HOP_FMAX,
      surfaceShare: 0.5,
      drSigma: 0.36,
      temperatureFactor: 1,
    };
  const sweeps = bhSweeps(system, choice);
  log(`hopping analysis on ${system.name}`);
  const hopping = hoppingReport({
    system,
    learned: options.learned!.optimizer,
    untrained: options.learned!.untrained,
    starts: HOPPING_STARTS,
    evaluations: HOPPING_EVALUATIONS,
    seed: options.seed,
    dr: sweeps.dr as number,
    temperature: sweeps.temperature as number,
  });
  const stem = `hopping-${fileStem(system.name)}`;
  await writeFileAtomic(`${out}/${stem}-steps.svg`, hopping.stepLengthsSvg);
  await writeFileAtomic(`${out}/${stem}-basins.svg`, hopping.basinsSvg);
  const markdown = `${out}/${REPORT_FILES.markdown}`;
  await writeFileAtomic(
    markdown,
    await Deno.readTextFile(markdown) +
      `\n## Hopping behaviour\n\n${hopping.markdown}\n\n![step lengths](${stem}-steps.svg)\n` +
      `![basins](${stem}-basins.svg)\n`,
  );
}

async function optionsFromFlags(values: Values): Promise<EvalOptions> {
  const suite = suiteByName(values.suite);
  const methods = parseMethods(values.methods ?? (suite.methods ?? DEFAULT_EVAL_METHODS).join(","));
  const { replicas, maxEvaluations } = budgetFlags(values, suite);
  const seed = integerFlag("seed", values.seed, 0);
  // Last, so that mistakes in the other flags are reported without reading a file.
  const checkpoint: EvalCheckpoint | undefined =
    methods.some((m) => CHECKPOINT_METHODS.includes(m)) || methods.includes("bh")
      ? await loadEvalCheckpoint(await checkpointPath(values.checkpoint))
      : undefined;
  const { tuning } = suite;
  const systems = values.systems === undefined ? suite.systems : systemsFlag(values.systems);
  const options: EvalOptions = {
    suite: suite.name,
    systems,
    methods,
    replicas,
    maxEvaluations,
    seed,
    learned: methods.some((m) => CHECKPOINT_METHODS.includes(m)) ? checkpoint : undefined,
    tuning: methods.includes("bh")
      ? {
        systems: tuningSystems(checkpoint!.trainingSystems, systems, tuning.maxSystems),
        locals: tuning.locals,
        hopFmax: tuning.hopFmax,
        surfaceShares: tuning.surfaceShares,
        drSigma: tuning.drSigma,
        temperatureFactors: tuning.temperatureFactors,
        replicas: tuning.replicas,
        maxEvaluations: tuning.maxEvaluations,
        seed: tuningSeed(seed),
      }
      : undefined,
    resamples: DEFAULT_RESAMPLES,
  };
  // Before any GPU work: a checkpoint used on a family it was not trained on, among others.
  checkEvalOptions(options);
  return options;
}

/** --systems: names parseSystem takes (a UserError naming the first it does not). */
function systemsFlag(text: string): string[] {
  const names = text.split(",").map((name) => name.trim());
  for (const name of names) parseSystem(name);
  return names;
}

/** --replicas and --max-evals, or a suite's defaults. */
function budgetFlags(
  values: Values,
  defaults: { replicas: number; maxEvaluations: number },
): { replicas: number; maxEvaluations: number } {
  return {
    replicas: values.replicas === undefined
      ? defaults.replicas
      : integerFlag("replicas", values.replicas, 1, MAX_REPLICAS),
    maxEvaluations: values["max-evals"] === undefined
      ? defaults.maxEvaluations
      : integerFlag("max-evals", values["max-evals"], 2),
  };
}

/** --checkpoint's file (a path, or a shipped checkpoint's name), by default the project's
 * DEFAULT_CHECKPOINT, as the user would write it from the working folder. */
async function checkpointPath(flag: string | undefined): Promise<string> {
  if (flag === undefined) return displayPath(projectFile(DEFAULT_CHECKPOINT));
  return displayPath(await shippedOrPath(flag, "checkpoints", ".safetensors"));
}

function parseMethods(text: string): EvalMethod[] {
  const methods = text.split(",").map((m) => m.trim());
  for (const method of methods) {
    if (!EVAL_METHODS.includes(method as EvalMethod)) {
      throw new UserError(`--methods takes ${EVAL_METHODS.join(", ")}; got '${method}'`);
    }
  }
  return methods as EvalMethod[];
}

const HARD_FLAGS = ["seeds", "gmin", "gmin-runs", "gmin-timeout"] as const;

/** --suite hard (src/eval/hard.ts). */
async function hardMain(values: Values, layout: ReturnType<typeof layoutFlag>): Promise<void> {
  if (values.redis !== undefined) {
    throw new UserError(`--redis is not supported with --suite ${HARD_SUITE_NAME} yet`);
  }
  if (values["no-hopping"]) {
    throw new UserError(`--no-hopping is not for --suite ${HARD_SUITE_NAME}`);
  }
  const { replicas, maxEvaluations } = budgetFlags(values, HARD_DEFAULTS);
  const seed = integerFlag("seed", values.seed, 0);
  const seedCount = values.seeds === undefined
    ? HARD_DEFAULTS.seeds
    : integerFlag("seeds", values.seeds, 1, 10_000);
  if (seed + seedCount - 1 > MAX_U32) throw new UserError("--seed plus --seeds exceeds a u32");
  const gmin = values.gmin === undefined ? undefined : {
    script: await gminScript(values.gmin),
    runs: values["gmin-runs"] === undefined
      ? HARD_DEFAULTS.gminRuns
      : integerFlag("gmin-runs", values["gmin-runs"], 1, 10_000),
    timeoutSeconds: values["gmin-timeout"] === undefined
      ? HARD_DEFAULTS.gminTimeoutSeconds
      : integerFlag("gmin-timeout", values["gmin-timeout"], 1, 86_400),
  };
  if (gmin === undefined && (values["gmin-runs"] ?? values["gmin-timeout"]) !== undefined) {
    throw new UserError("--gmin-runs and --gmin-timeout go with --gmin");
  }
  const methods = (values.methods ?? HARD_DEFAULTS.methods.join(",")).split(",").map((m) =>
    m.trim()
  );
  for (const method of methods) {
    if (!HARD_SEARCHES.includes(method)) {
      throw new UserError(
        `--methods takes ${HARD_SEARCHES.join(", ")} with --suite hard; got '${method}'`,
      );
    }
  }
  const systems = (values.systems ?? HARD_SYSTEMS.join(",")).split(",").map((name) => {
    const system = parseSystem(name.trim());
    hardReference(system);
    return system;
  });
  const learned = methods.includes("learned")
    ? (await loadEvalCheckpoint(await checkpointPath(values.checkpoint))).optimizer
    : undefined;
  const folder = values.out === undefined
    ? await RunFolder.claimFree(`runs/eval-${HARD_SUITE_NAME}`, {
      ...HARD_CLAIM,
      flag: "the default output folder",
    })
    : await RunFolder.claimNew(values.out, { ...HARD_CLAIM, flag: "--out" });
  const out = folder.path;
  const signals = new StopSignals(async (name) => {
    console.error(`${name}: stopped; ${out} holds no report (run it again)`);
    await folder.release();
    Deno.exit(SIGNAL_STATUS[name]);
  });
  try {
    const log = (line: string) => console.error(line);
    const seeds = Array.from({ length: seedCount }, (_, k) => seed + k);
    log(
      `eval ${HARD_SUITE_NAME}: ${methods.join(", ")} on ${
        systems.map((s) => s.name).join(", ")
      }, ` +
        `${replicas} replicas x ${maxEvaluations} evaluations, seeds ${seeds[0]}..${seeds.at(-1)}`,
    );
    const report = await runHardEvaluation(
      { systems, methods, replicas, maxEvaluations, seeds, learned, gmin },
      localSearches(await Gpu.open({ layout })),
      { log },
    );
    const markdown = hardMarkdown(report);
    await writeFileAtomic(`${out}/${HARD_FILES.json}`, JSON.stringify(report, jsonNumbers, 2));
    await writeFileAtomic(`${out}/${HARD_FILES.markdown}`, markdown);
    console.log(
      values.json
        ? JSON.stringify(report, jsonNumbers, 2)
        : `${markdown}\nWritten: ${out}/${HARD_FILES.json}, ${out}/${HARD_FILES.markdown}`,
    );
  } finally {
    signals.dispose();
    await folder.release();
  }
}

const HARD_FILES = { json: "hard.json", markdown: "hard.md" } as const;
const HARD_CLAIM = {
  savedState: [HARD_FILES.json, HARD_FILES.markdown],
  leftovers: [],
  what: "an evaluation",
};

/** JSON has no Infinity: a run or batch that never got there is null. */
function jsonNumbers(_key: string, value: unknown): unknown {
  return typeof value === "number" && !Number.isFinite(value) ? null : value;
}

/** --gmin's script: an executable file, or a UserError. */
async function gminScript(path: string): Promise<string> {
  const info = await Deno.stat(path).catch(() => null);
  if (info === null || !info.isFile) {
    throw new UserError(`--gmin: no file at ${path} (GMIN's run.sh)`);
  }
  return path;
}

if (import.meta.main) await runCommand("eval", main);
