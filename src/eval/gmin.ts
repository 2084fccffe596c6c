/**
 * GMIN, the Wales group's basin-hopping program, as the hard suite's anchor: its published LJ38
 * runs (data/gmin_lj38_hits.tsv, copied from github.com/wales-group/examples with its source in
 * the header), and runs of a local build through its `run.sh` (a build, its LJ inputs and the
 * script are kept outside the project; the suite takes the script's path with --gmin and skips
 * GMIN where it is not given). One GMIN run is one Markov chain from one random start on one
 * core: its calls to the first global minimum are one run's work, and also its batch's (a batch
 * of one).
 */
import { UserError } from "../core/errors.ts";
import GMIN_LJ38 from "../../data/gmin_lj38_hits.tsv" with { type: "text" };

/** GMIN's three LJ inputs, in `run.sh`'s names, and what each adds. */
export const GMIN_MODES = ["basic", "symmetrise", "csm"] as const;
export type GminMode = typeof GMIN_MODES[number];

export const GMIN_MODE_LABELS: Record<GminMode, string> = {
  basic: "GMIN basin hopping + NEWRESTART + AVOID",
  symmetrise: "GMIN + SYMMETRISE",
  csm: "GMIN + SYMMETRISECSM",
};

/** The published file's input names. */
const PUBLISHED_MODES: Record<string, GminMode> = {
  noSYM: "basic",
  withSYM: "symmetrise",
  withSYMCSM: "csm",
};

/** One GMIN run: energy+gradient calls and wall seconds to the first encounter of the target;
 * calls null where it never got there (the run's time limit). */
export interface GminRun {
  calls: number | null;
  seconds: number;
}

/** GMIN's published LJ38 runs (100 per input), by mode. */
export function publishedLj38Runs(): Record<GminMode, GminRun[]> {
  const runs: Record<GminMode, GminRun[]> = { basic: [], symmetrise: [], csm: [] };
  for (const line of GMIN_LJ38.split("\n")) {
    const [input, _quenches, calls, seconds] = line.split("\t");
    const mode = PUBLISHED_MODES[input];
    if (mode === undefined) continue;
    runs[mode].push({ calls: Number(calls), seconds: Number(seconds) });
  }
  return runs;
}

export interface GminRunOptions {
  /** Path of the peer's run.sh. */
  script: string;
  mode: GminMode;
  nAtoms: number;
  target: number;
  runs: number;
  firstSeed: number;
  /** Each run is stopped after this many seconds (then it never got there). */
  timeoutSeconds: number;
}

/**
 * Runs GMIN through `run.sh MODE NATOMS TARGET RUNS FIRST_SEED TIMEOUT_S`, which prints a header
 * and one tab-separated line per run: mode, atoms, seed, quenches, calls (NA: not reached), wall
 * seconds.
 */
export async function runGmin(options: GminRunOptions): Promise<GminRun[]> {
  const { script, mode, nAtoms, target, runs, firstSeed, timeoutSeconds } = options;
  const output = await new Deno.Command(script, {
    args: [mode, nAtoms, target, runs, firstSeed, timeoutSeconds].map(String),
    stdout: "piped",
    stderr: "piped",
  }).output();
  if (!output.success) {
    throw new UserError(`GMIN's run script exited with status ${output.code} (--gmin ${script})`);
  }
  const lines = new TextDecoder().decode(output.stdout).trim().split("\n").slice(1);
  const parsed = lines.map((line) => {
    const cells = line.split("\t");
    const calls = Number(cells[4]);
    const seconds = Number(cells[5]);
    if (cells.length !== 6 || !Number.isFinite(seconds)) {
      throw new UserError(`GMIN's run script printed an unexpected line (--gmin ${script})`);
    }
    return { calls: Number.isFinite(calls) ? calls : null, seconds };
  });
  if (parsed.length !== runs) {
    throw new UserError(
      `GMIN's run script printed ${parsed.length} runs of ${runs} (--gmin ${script})`,
    );
  }
  return parsed;
}
