/**
 * A CPU peer for the batched GPU relaxations: LAMMPS' `min_style fire` (peer of FIRE) or
 * `min_style cg` (Polak-Ribiere conjugate gradients with a quadratic line search, the peer of
 * L-BFGS) on free Lennard-Jones clusters, one serial `lmp` process per core (no mpirun), each
 * running a loop of single-cluster minimisations.
 *
 * Every minimisation is, in LJ reduced units (epsilon = sigma = mass = 1):
 *
 *   clear; units lj; atom_style atomic; boundary f f f; read_data cK.data   (one cluster)
 *   pair_style lj/cut RC; pair_coeff * * 1.0 1.0     (RC >= 100 sigma: every pair, unshifted)
 *   timestep 0.005; min_style fire; min_modify norm max dmax 0.1
 *   minimize 0.0 FMAX MAXSTEPS 10*MAXSTEPS
 *
 * FIRE's other parameters are LAMMPS' defaults (29 Sep 2021: delaystep 20, dtgrow 1.1, dtshrink
 * 0.5, alpha0 0.25, alphashrink 0.99, tmax 10, tmin 0.02, integrator eulerimplicit, halfstepback
 * yes); the run reports the line LAMMPS prints. `norm max` stops when the largest per-atom force
 * magnitude is below FMAX, the same criterion as max_i |F_i| < fmax.
 *
 * The box is fixed (`boundary f f f`) and centred on each cluster, with a margin of
 * MAXSTEPS * dmax + 1 sigma beyond the cluster's extent: FIRE moves no coordinate more than dmax per
 * iteration, so no atom can leave it. (Shrink-wrapped `s s s` boundaries also work but, with a 100
 * sigma cutoff in a tiny box, run about 13 times slower in this LAMMPS.)
 */

/** The LAMMPS executable. */
export const LAMMPS_COMMAND = "lmp";

/** FIRE's largest move of any coordinate per iteration, sigma (LAMMPS' default, set explicitly). */
export const LAMMPS_FIRE_DMAX = 0.1;
/** The initial FIRE time step, tau (LAMMPS' default for `units lj`, set explicitly). */
export const LAMMPS_FIRE_TIMESTEP = 0.005;
/** Smallest pair cutoff, sigma: clusters are a few sigma across, so every pair is inside it. */
const MIN_CUTOFF = 100;

/** Open MPI refuses to start as root without the first two; one OpenMP thread per process. */
const LAMMPS_ENV = {
  OMPI_ALLOW_RUN_AS_ROOT: "1",
  OMPI_ALLOW_RUN_AS_ROOT_CONFIRM: "1",
  OMP_NUM_THREADS: "1",
};

const LOG_TAIL_CHARS = 3000;

/** Whether `lmp` runs here (false when it is not installed, fails, or may not be run). */
export async function lammpsAvailable(command = LAMMPS_COMMAND): Promise<boolean> {
  try {
    const { success } = await new Deno.Command(command, {
      args: ["-h"],
      env: LAMMPS_ENV,
      stdin: "null",
      stdout: "null",
      stderr: "null",
    }).output();
    return success;
  } catch {
    return false;
  }
}

/** Settings of each minimisation. */
export interface LammpsFireSettings {
  /** Most FIRE iterations per minimisation (default 1000); force evaluations at most 10 times. */
  maxSteps?: number;
  /** Force tolerance: stop when every atom's |F| is below it (default 1e-3 epsilon/sigma). */
  fmax?: number;
  /** The LAMMPS executable (default `lmp`). */
  command?: string;
  /** LAMMPS' minimiser (default fire). A cg iteration costs several force evaluations (its line
   * search), so rates count force evaluations, as the GPU's steps do. */
  style?: "fire" | "cg";
}

export interface LammpsFireRateOptions extends LammpsFireSettings {
  /** Free clusters, each flat [x0, y0, z0, x1, ...] in sigma. */
  clusters: Float64Array[];
  /** Concurrent `lmp` processes (default navigator.hardwareConcurrency). */
  processes?: number;
  /**
   * Rough wall time per process. Given: a short calibration sets how many minimisations each
   * process runs, cycling through its share of the clusters. Omitted: every cluster is minimised
   * once, the clusters split round-robin over the processes.
   */
  seconds?: number;
}

export interface LammpsFireRate {
  /** FIRE iterations of all processes over the wall time of the slowest process. */
  clusterStepsPerSecond: number;
  /** Minimisations run, all processes. */
  minimisations: number;
  /** Minimisations that stopped on the force tolerance (the rest hit maxSteps or another limit). */
  converged: number;
  /** FIRE iterations, all processes ("Iterations" in LAMMPS' minimisation stats). */
  steps: number;
  /** Wall time of the slowest process, start-up included, seconds. */
  wallSeconds: number;
  /** The slowest process's summed LAMMPS "Loop time" (minimiser only, no start-up or setup). */
  loopSeconds: number;
  processes: number;
  /** LAMMPS' version, from its log header, e.g. "29 Sep 2021 - Update 2". */
  version: string;
  /** LAMMPS' own line of FIRE parameters, e.g. "dmax=0.1 delaystep=20 ... halfstepback=yes". */
  fireParameters: string;
}

/**
 * LAMMPS FIRE's throughput in cluster-steps per second: `processes` serial `lmp` processes start
 * together, each minimising its clusters one after another; the rate is the total of FIRE
 * iterations over the wall time of the slowest process. That wall time includes LAMMPS start-up
 * (about 0.35 s here, mostly MPI initialisation) and each minimisation's setup; nothing is
 * subtracted, so give each process many minimisations (many clusters or `seconds` of a second or
 * more) to amortise it. `loopSeconds` reports the minimiser's own time for comparison.
 */
export async function lammpsFireRate(options: LammpsFireRateOptions): Promise<LammpsFireRate> {
  const { clusters } = options;
  const settings = checkSettings(options);
  if (clusters.length === 0) throw new Error("lammpsFireRate: no clusters");
  clusters.forEach((c, i) => checkCluster(c, `cluster ${i}`));
  const requested = options.processes ?? navigator.hardwareConcurrency;
  if (!Number.isInteger(requested) || requested < 1) {
    throw new Error(`lammpsFireRate: processes must be a positive integer, got ${requested}`);
  }
  if (options.seconds !== undefined && !(options.seconds > 0 && Number.isFinite(options.seconds))) {
    throw new Error(`lammpsFireRate: seconds must be positive, got ${options.seconds}`);
  }

  return await withTempDir(async (dir) => {
    const cutoffs = await writeClusters(dir, clusters, settings);

    // Which clusters each process minimises, in order.
    let processes: number;
    let counts: number[];
    if (options.seconds === undefined) {
      processes = Math.min(requested, clusters.length);
      counts = Array.from(
        { length: processes },
        (_, p) => Math.ceil((clusters.length - p) / processes),
      );
    } else {
      processes = requested;
      const perMinimisation = await calibrate(dir, settings, cutoffs);
      const count = Math.max(1, Math.round(options.seconds / perMinimisation));
      counts = new Array(processes).fill(count);
    }
    const schedule = counts.map((count, p) =>
      Array.from({ length: count }, (_, i) => (p + i * processes) % clusters.length)
    );

    // Inputs written first, so the clock covers only the processes.
    await Promise.all(
      schedule.map((indices, p) => writeInput(dir, `p${p}`, script(indices, settings, cutoffs))),
    );
    const start = performance.now();
    const runs = await Promise.all(schedule.map(async (indices, p) => {
      const log = await runLammps(dir, `p${p}`, settings.command);
      return { log, seconds: (performance.now() - start) / 1000, indices };
    }));

    let steps = 0;
    let converged = 0;
    let wallSeconds = 0;
    let loopSeconds = 0;
    for (const { log, seconds, indices } of runs) {
      const stats = parseStats(log.text, indices.length, log.tail);
      for (const s of stats) {
        steps += settings.style === "cg" ? s.forceEvaluations : s.steps;
        if (s.stoppingCriterion === "force tolerance") converged++;
      }
      wallSeconds = Math.max(wallSeconds, seconds);
      loopSeconds = Math.max(loopSeconds, stats.reduce((sum, s) => sum + s.loopSeconds, 0));
    }
    const first = runs[0].log.text;
    return {
      clusterStepsPerSecond: steps / wallSeconds,
      minimisations: counts.reduce((a, b) => a + b, 0),
      converged,
      steps,
      wallSeconds,
      loopSeconds,
      processes,
      version: parseVersion(first),
      fireParameters: parseFireParameters(first),
    };
  });
}

/** One LAMMPS FIRE minimisation's outcome. */
export interface LammpsMinimum {
  /** Final positions, flat like the input, in the input's frame. */
  positions: Float64Array;
  /** LAMMPS' final potential energy (not per atom), epsilon. */
  energy: number;
  /** FIRE iterations taken. */
  steps: number;
  forceEvaluations: number;
  /** LAMMPS' "Stopping criterion", e.g. "force tolerance" or "max iterations". */
  stoppingCriterion: string;
  version: string;
}

/**
 * Minimises each cluster with LAMMPS FIRE, in one `lmp` process, with exactly the input that
 * `lammpsFireRate` times, and reads back final positions and energies (for checking, not timing).
 */
export async function lammpsMinimize(
  clusters: Float64Array[],
  options: LammpsFireSettings = {},
): Promise<LammpsMinimum[]> {
  const settings = checkSettings(options);
  clusters.forEach((c, i) => checkCluster(c, `cluster ${i}`));
  if (clusters.length === 0) return [];
  return await withTempDir(async (dir) => {
    const cutoffs = await writeClusters(dir, clusters, settings);
    const indices = clusters.map((_, i) => i);
    await writeInput(dir, "min", script(indices, settings, cutoffs, true));
    const log = await runLammps(dir, "min", settings.command);
    const stats = parseStats(log.text, clusters.length, log.tail);
    const energies = [...log.text.matchAll(/^L2H_ENERGY (\S+)$/gm)].map((m) => Number(m[1]));
    if (energies.length !== clusters.length) {
      throw new Error(`lammpsMinimize: ${energies.length} energies in the log\n${log.tail}`);
    }
    const version = parseVersion(log.text);
    return await Promise.all(clusters.map(async (cluster, i) => {
      const text = await Deno.readTextFile(`${dir}/${dumpFile(i)}`);
      const positions = parseDump(text, cluster.length / 3);
      // Coincident atoms give NaN forces, which LAMMPS' FIRE reports as converged.
      if (!Number.isFinite(energies[i]) || !positions.every(Number.isFinite)) {
        throw new Error(`lammpsMinimize: cluster ${i} ended with non-finite values\n${log.tail}`);
      }
      return {
        positions,
        energy: energies[i],
        steps: stats[i].steps,
        forceEvaluations: stats[i].forceEvaluations,
        stoppingCriterion: stats[i].stoppingCriterion,
        version,
      };
    }));
  });
}

// ------------------------------------------------------------------------------------------------
// Inputs

interface Settings {
  maxSteps: number;
  fmax: number;
  command: string;
  style: "fire" | "cg";
}

function checkSettings(options: LammpsFireSettings): Settings {
  const maxSteps = options.maxSteps ?? 1000;
  const fmax = options.fmax ?? 1e-3;
  // LAMMPS reads maxiter and maxeval = 10 maxiter as 32-bit integers.
  if (!Number.isInteger(maxSteps) || maxSteps < 1 || 10 * maxSteps > 2 ** 31 - 1) {
    throw new Error(`LAMMPS FIRE: maxSteps must be a positive integer, got ${maxSteps}`);
  }
  if (!(fmax > 0 && Number.isFinite(fmax))) {
    throw new Error(`LAMMPS FIRE: fmax must be positive, got ${fmax}`);
  }
  const style = options.style ?? "fire";
  if (style !== "fire" && style !== "cg") throw new Error(`LAMMPS: unknown min_style ${style}`);
  return { maxSteps, fmax, command: options.command ?? LAMMPS_COMMAND, style };
}

function checkCluster(positions: Float64Array, label: string) {
  if (positions.length === 0 || positions.length % 3 !== 0) {
    throw new Error(`LAMMPS FIRE: ${label}: ${positions.length} coordinates, not 3 per atom`);
  }
  if (!positions.every(Number.isFinite)) {
    throw new Error(`LAMMPS FIRE: ${label}: coordinates must be finite`);
  }
}

const dataFile = (i: number) => `c${i}.data`;
const dumpFile = (i: number) => `c${i}.dump`;

/** Largest distance of an atom from the cluster's centroid. */
function centroidAndRadius(positions: Float64Array): { centre: number[]; radius: number } {
  const n = positions.length / 3;
  const centre = [0, 1, 2].map((k) => {
    let s = 0;
    for (let i = 0; i < n; i++) s += positions[3 * i + k];
    return s / n;
  });
  let radius = 0;
  for (let i = 0; i < n; i++) {
    let r2 = 0;
    for (let k = 0; k < 3; k++) r2 += (positions[3 * i + k] - centre[k]) ** 2;
    radius = Math.max(radius, Math.sqrt(r2));
  }
  return { centre, radius };
}

/** Pair cutoff for a cluster: every pair inside it now and after FIRE has tightened it. */
function cutoffFor(positions: Float64Array): number {
  return Math.max(MIN_CUTOFF, Math.ceil(4 * centroidAndRadius(positions).radius + 10));
}

/**
 * A LAMMPS data file: one atom type of mass 1, and a fixed box centred on the cluster that no atom
 * can leave within maxSteps iterations. Coordinates in shortest round-trip decimal.
 */
function dataText(positions: Float64Array, settings: Settings): string {
  const n = positions.length / 3;
  const { centre, radius } = centroidAndRadius(positions);
  const half = radius + settings.maxSteps * LAMMPS_FIRE_DMAX + 1;
  const axes = ["x", "y", "z"].map((a, k) =>
    `${centre[k] - half} ${centre[k] + half} ${a}lo ${a}hi`
  );
  const atoms = Array.from(
    { length: n },
    (_, i) => `${i + 1} 1 ${positions[3 * i]} ${positions[3 * i + 1]} ${positions[3 * i + 2]}`,
  );
  return [
    "learn2hop LJ cluster",
    "",
    `${n} atoms`,
    "1 atom types",
    "",
    ...axes,
    "",
    "Masses",
    "",
    "1 1.0",
    "",
    "Atoms # atomic",
    "",
    ...atoms,
    "",
  ].join("\n");
}

/** Writes each cluster's data file; returns each cluster's pair cutoff. */
async function writeClusters(
  dir: string,
  clusters: Float64Array[],
  settings: Settings,
): Promise<number[]> {
  await Promise.all(
    clusters.map((c, i) => Deno.writeTextFile(`${dir}/${dataFile(i)}`, dataText(c, settings))),
  );
  return clusters.map(cutoffFor);
}

/** The input script: one minimisation per index; `dump` adds final positions and energies. */
function script(
  indices: number[],
  settings: Settings,
  cutoffs: number[],
  dump = false,
): string {
  const lines: string[] = [];
  indices.forEach((index) => {
    lines.push(
      "clear",
      "units lj",
      "atom_style atomic",
      "boundary f f f",
      `read_data ${dataFile(index)}`,
      `pair_style lj/cut ${cutoffs[index]}`,
      "pair_coeff * * 1.0 1.0",
      "thermo_style custom step pe",
      "thermo_modify norm no",
      `timestep ${LAMMPS_FIRE_TIMESTEP}`,
      `min_style ${settings.style}`,
      `min_modify norm max dmax ${LAMMPS_FIRE_DMAX}`,
      `minimize 0.0 ${settings.fmax} ${settings.maxSteps} ${10 * settings.maxSteps}`,
    );
    if (dump) {
      lines.push(
        `print "L2H_ENERGY $(pe:%.17g)"`,
        `write_dump all custom ${dumpFile(index)} id x y z modify sort id format float %.17g`,
      );
    }
  });
  return lines.join("\n") + "\n";
}

// ------------------------------------------------------------------------------------------------
// Running

interface Log {
  text: string;
  /** The end of the log and of stderr, for error messages. */
  tail: string;
}

const writeInput = (dir: string, name: string, input: string) =>
  Deno.writeTextFile(`${dir}/in.${name}`, input);

/** Runs `lmp -in in.NAME -log log.NAME` in dir; throws with the log's tail when it fails. */
async function runLammps(dir: string, name: string, command: string): Promise<Log> {
  const args = ["-in", `in.${name}`, "-log", `log.${name}`, "-screen", "none", "-nocite"];
  const out = await new Deno.Command(command, {
    args,
    cwd: dir,
    env: LAMMPS_ENV,
    stdin: "null",
    stdout: "piped",
    stderr: "piped",
  }).output();
  const decoder = new TextDecoder();
  let text = "";
  try {
    text = await Deno.readTextFile(`${dir}/log.${name}`);
  } catch {
    // No log: LAMMPS failed before opening it; stdout and stderr say why.
  }
  const tail = [
    `--- log.${name} (end) ---`,
    text.slice(-LOG_TAIL_CHARS),
    "--- stdout/stderr (end) ---",
    decoder.decode(out.stdout).slice(-LOG_TAIL_CHARS),
    decoder.decode(out.stderr).slice(-LOG_TAIL_CHARS),
  ].join("\n");
  if (!out.success || /^ERROR/m.test(text)) {
    throw new Error(`${command} ${args.join(" ")} failed (exit ${out.code}):\n${tail}`);
  }
  return { text, tail };
}

/**
 * Seconds per minimisation in one process, start-up excluded: a process minimising a few clusters
 * against one that only starts, run side by side.
 */
async function calibrate(dir: string, settings: Settings, cutoffs: number[]): Promise<number> {
  const count = Math.min(cutoffs.length, 8);
  const indices = Array.from({ length: count }, (_, i) => i);
  await writeInput(dir, "startup", "units lj\n");
  await writeInput(dir, "calibrate", script(indices, settings, cutoffs));
  const start = performance.now();
  const time = async (name: string) => {
    await runLammps(dir, name, settings.command);
    return (performance.now() - start) / 1000;
  };
  const [idle, busy] = await Promise.all([time("startup"), time("calibrate")]);
  return Math.max(busy - idle, 1e-3 * busy) / count;
}

// ------------------------------------------------------------------------------------------------
// Log parsing

interface MinimisationStats {
  steps: number;
  forceEvaluations: number;
  stoppingCriterion: string;
  loopSeconds: number;
}

/** The minimisation stats of each `minimize`, in order; exactly `expected` of them. */
function parseStats(text: string, expected: number, tail: string): MinimisationStats[] {
  const iterations = [...text.matchAll(/^\s*Iterations, force evaluations = (\d+) (\d+)\s*$/gm)];
  const criteria = [...text.matchAll(/^\s*Stopping criterion = (.+?)\s*$/gm)];
  const loops = [...text.matchAll(/^Loop time of (\S+) on \d+ procs for (\d+) steps/gm)];
  if (
    iterations.length !== expected || criteria.length !== expected || loops.length !== expected
  ) {
    throw new Error(
      `LAMMPS log: expected ${expected} minimisations, found ${iterations.length} ` +
        `iteration counts, ${criteria.length} stopping criteria, ${loops.length} loop times\n${tail}`,
    );
  }
  return iterations.map((m, i) => ({
    steps: Number(m[1]),
    forceEvaluations: Number(m[2]),
    stoppingCriterion: criteria[i][1],
    loopSeconds: Number(loops[i][1]),
  }));
}

function parseVersion(text: string): string {
  return /^LAMMPS \((.+)\)\s*$/m.exec(text)?.[1] ?? "unknown";
}

/** The two-line table LAMMPS prints under "Parameters for fire:", as "name=value ...". */
function parseFireParameters(text: string): string {
  const m = /Parameters for fire:\s*\n(.*)\n(.*)\n/.exec(text);
  if (m === null) return "unknown";
  const names = m[1].trim().split(/\s+/);
  const values = m[2].trim().split(/\s+/);
  return names.map((name, i) => `${name}=${values[i] ?? "?"}`).join(" ");
}

/** Positions from a `write_dump ... custom id x y z modify sort id` file. */
function parseDump(text: string, nAtoms: number): Float64Array {
  const lines = text.trim().split("\n");
  const header = lines.findIndex((l) => l.startsWith("ITEM: ATOMS"));
  if (header < 0 || lines[header].trim() !== "ITEM: ATOMS id x y z") {
    throw new Error(`LAMMPS dump: no 'ITEM: ATOMS id x y z' header`);
  }
  const rows = lines.slice(header + 1);
  if (rows.length !== nAtoms) {
    throw new Error(`LAMMPS dump: ${rows.length} atoms, expected ${nAtoms}`);
  }
  const positions = new Float64Array(3 * nAtoms);
  rows.forEach((row, i) => {
    const [id, x, y, z] = row.trim().split(/\s+/).map(Number);
    if (id !== i + 1) throw new Error(`LAMMPS dump: row ${i + 1} has atom id ${id}`);
    positions.set([x, y, z], 3 * i);
  });
  return positions;
}

async function withTempDir<T>(body: (dir: string) => Promise<T>): Promise<T> {
  const dir = await Deno.makeTempDir({ prefix: "learn2hop_lammps_fire_" });
  try {
    return await body(dir);
  } finally {
    await Deno.remove(dir, { recursive: true });
  }
}
