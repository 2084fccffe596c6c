/**
 * The fused optimizer kernel against its f64 mirror (ReferenceReplica): same starts, same random
 * streams, compared at checkpoints spanning several dispatches.
 *
 * Tolerances: the kernel works in f32 (epsilon 1.2e-7) and the reference in f64, from the same
 * f32-rounded start. Descent dynamics contract toward a minimum, so rounding differences stay near
 * f32 precision rather than growing: measured worst cases over 300 steps were ~2e-6 relative in
 * energy (3.5e-5 for Adam, whose m / sqrt(v) amplifies rounding where gradients are tiny) and
 * 2.6e-4 in positions (random restarts); each test prints its worst case. The bounds, 1e-4 and
 * 1e-3 (0.1% of a bond), sit 3-100x above those. FIRE's velocity resets make some trajectories
 * chaotic over longer runs (one LJ13 replica parts from the reference between 200 and 300 steps);
 * L-BFGS from a random start or after a hop is chaotic within tens of steps (its history amplifies
 * rounding about tenfold every ten steps while forces are large), and there the energy may differ
 * by the forces times the position difference. The cases stay within the horizon where they agree.
 *
 * Evaluation counts must match exactly: the reference's potential is wrapped to count its calls.
 */
import assert from "node:assert/strict";
import { testGpu } from "./gpu.ts";
import {
  defaultLocalSettings,
  LOCAL_METHOD_NAMES,
  localMethod,
  type LocalMethodName,
  type MethodSpec,
  OptimizerBatch,
  parseSystem,
  POTENTIALS,
  randomStructures,
  referenceContext,
  referencePotential,
  ReferenceReplica,
  type ReplicaHyperparameters,
  type System,
  THREAD_LAYOUTS,
  type ThreadLayout,
  UserError,
} from "../mod.ts";
import { LOOP_BUDGET } from "../src/gpu/loop_budget.ts";
import { anneal } from "../src/methods/anneal.ts";
import { planDispatch } from "../src/methods/dispatch_plan.ts";
import { JAX_MD_FIRE } from "../src/methods/fire.ts";
import type { HoppingSettings, MoveWeights } from "../src/methods/method_spec.ts";
import { kernelShape } from "../src/methods/optimizer_batch.ts";
import { defaultHopping } from "../src/search/defaults.ts";
import { HOP_MOVES } from "../src/methods/moves/registry.ts";

const gpu = await testGpu();

interface Case {
  system: string;
  /** A label: the local method, or the hopping method and its local one. */
  label: string;
  spec: (system: System) => MethodSpec;
  step: number;
  checkpoints: number[];
  replicas?: number;
  /** Per-replica move mixes (hopping only). */
  moves?: (replica: number) => MoveWeights;
  /** Start from the random structures relaxed this many f64 FIRE steps (L-BFGS from a random
   * start, and after a hop, is chaotic: f32 rounding grows about tenfold every ten steps there,
   * so its comparisons start from minima and end within that horizon, after two hops). */
  prerelax?: number;
  /** Atom 1 starts on atom 0 (a non-finite energy): every replica must reject that point. */
  coincident?: boolean;
  /** Some replica must have reseeded a stale chain by the last checkpoint. */
  reseeds?: boolean;
  /** Some replica's taboo list must have found a chain stale by the last checkpoint. */
  tabooHits?: boolean;
  /** A move some replica must have made by the last checkpoint (a new move's case). */
  makes?: string;
  /** At each checkpoint but the last, the host places the next replica's start into every
   * replica whose chain is stale (the pool's reseeds: OptimizerBatch.place). */
  places?: boolean;
}

/** `count` random starts of `system`, each relaxed `steps` steps by f64 FIRE (0: as they are). */
function starts(system: System, count: number, steps: number): Float32Array {
  const random = randomStructures(system, 2, count);
  if (steps === 0) return Float32Array.from(random);
  const n = 3 * system.nAtoms;
  const out = new Float32Array(count * n);
  for (let r = 0; r < count; r++) {
    const replica = new ReferenceReplica(
      referenceContext(system, local("fire")()),
      random.subarray(n * r, n * (r + 1)),
      { step: 0.1, dr: 0, temperature: 0, seed: 1 },
      r,
    );
    replica.advanceTo(steps);
    out.set(replica.x, n * r);
  }
  return out;
}

/** One local relaxation; fmax 0 never converges, so a comparison covers every step. */
function local(method: LocalMethodName, maxStep = 0.2, containerRadius = 0) {
  return (): MethodSpec => ({
    local: localMethod(defaultLocalSettings(method, maxStep)),
    driver: { mode: "local", fmax: 0 },
    containerRadius,
  });
}

/** A melt-quench anneal whose schedule ends after `steps` evaluations (then FIRE). */
function annealing(steps: number) {
  return (): MethodSpec => ({
    local: anneal({ maxStep: 0.2, anneal: { steps, friction: 1 }, fire: JAX_MD_FIRE }),
    driver: { mode: "local", fmax: 0 },
    containerRadius: 0,
  });
}

/** The hopping wrapper over `method` with short relaxations (hops at fmax 1e-2 or the cap). */
function hopping(method: LocalMethodName, settings: Partial<HoppingSettings>, maxStep = 0.2) {
  return (system: System): MethodSpec => ({
    local: localMethod(defaultLocalSettings(method, maxStep)),
    driver: {
      mode: "hopping",
      hopping: {
        ...defaultHopping(system, { uniform: 1 }),
        hopFmax: 1e-2,
        ...settings,
      },
    },
    containerRadius: 0,
  });
}

/** LJ7 hopping that finds its few minima again within the trajectories' horizon: relaxations to
 * 0.05, a chain stale after one hop without a new lowest minimum, with a taboo list. */
const LJ7_TABOO: Partial<HoppingSettings> = {
  relaxStepCap: 200,
  hopFmax: 0.05,
  reseedHops: 1,
  taboo: true,
};

/** The layouts the trajectories run in: the adapter's shape of each, and the workgroup layout in
 * the hardware shape (32 invocations per replica, reductions by a tree), which llvmpipe would not
 * choose itself. */
const SHAPES: {
  name: string;
  layout: ThreadLayout;
  workgroup?: { threads: number; reductionTree: boolean };
}[] = [
  ...THREAD_LAYOUTS.map((layout) => ({ name: layout, layout })),
  {
    name: "workgroup of 32, tree",
    layout: "workgroup",
    workgroup: { threads: 32, reductionTree: true },
  },
];

async function compareTrajectories(c: Case, shape: (typeof SHAPES)[number]) {
  const { layout, workgroup } = shape;
  const system = parseSystem(c.system);
  const replicas = c.replicas ?? 5;
  const spec = c.spec(system);
  // Every replica its own hyperparameters: one batch can sweep them.
  const hyper = (r: number): ReplicaHyperparameters => ({
    step: c.step * (1 + 0.05 * r),
    dr: 0.3 + 0.05 * r,
    temperature: 0.5 + 0.2 * r,
    seed: 11 + r,
    moves: c.moves?.(r),
  });
  const batch = await OptimizerBatch.create(gpu, system, replicas, { spec, layout, workgroup });
  const start = starts(system, replicas, c.prerelax ?? 0);
  const n = 3 * system.nAtoms;
  if (c.coincident) {
    for (let r = 0; r < replicas; r++) start.copyWithin(n * r + 3, n * r, n * r + 3);
  }
  batch.initialize(start, hyper);
  const calls = new Array(replicas).fill(0);
  const potential = referencePotential(system.potential);
  const references = Array.from({ length: replicas }, (_, r) =>
    new ReferenceReplica(
      {
        ...referenceContext(system, spec, { logCapacity: batch.logCapacity }),
        potential: (structure) => {
          calls[r]++;
          return potential(structure);
        },
      },
      start.subarray(n * r, n * (r + 1)),
      hyper(r),
      r,
    ));
  const made = new Set<string>();
  for (const reference of references) reference.onHop = (event) => made.add(event.move);
  const worst = { energy: 0, position: 0 };
  for (const checkpoint of c.checkpoints) {
    const { replicas: state } = await batch.advanceTo(checkpoint);
    const positions = await batch.readPositions();
    for (let r = 0; r < replicas; r++) {
      const reference = references[r];
      reference.advanceTo(state.evaluations[r]);
      const label = `${c.system} ${c.label} (${shape.name}) replica ${r} at ${checkpoint}`;
      assert.equal(state.status[r], reference.status, label);
      assert.equal(state.evaluations[r], checkpoint, `${label}: exact evaluation count`);
      assert.equal(reference.evaluations, checkpoint);
      assert.equal(calls[r], checkpoint, `${label}: one potential call per counted evaluation`);
      const energyError = Math.abs(state.energy[r] - reference.energy) /
        Math.max(1, Math.abs(reference.energy));
      let positionError = 0;
      for (let k = 0; k < n; k++) {
        let d = positions[n * r + k] - reference.x[k];
        if (system.box !== undefined) d -= system.box * Math.round(d / system.box);
        positionError = Math.max(positionError, Math.abs(d));
      }
      worst.energy = Math.max(worst.energy, energyError);
      worst.position = Math.max(worst.position, positionError);
      // Where forces are large (L-BFGS's first steps from a random start), the energy differs by
      // up to the forces times the position difference, summed over atoms.
      const allowed = 1e-4 + 2 * system.nAtoms * reference.fmax * positionError /
          Math.max(1, Math.abs(reference.energy));
      assert.ok(energyError < allowed, `${label}: relative energy error ${energyError}`);
      assert.ok(positionError < 1e-3, `${label}: position error ${positionError}`);
      assert.equal(state.hops[r], reference.hops, `${label}: hops`);
      assert.equal(state.accepted[r], reference.accepted, `${label}: accepted hops`);
      assert.equal(
        state.rejectedNonfinite[r],
        reference.rejectedNonfinite,
        `${label}: non-finite points rejected`,
      );
      if (c.coincident) assert.ok(reference.rejectedNonfinite > 0, `${label}: a rejection`);
      assert.equal(state.reseeds[r], reference.reseeds, `${label}: reseeds`);
      assert.ok(Math.abs(state.dr[r] - reference.dr) < 1e-6 * reference.dr, `${label}: dr`);
      assert.ok(
        Math.abs(state.bestEnergy[r] - reference.bestEnergy) <
          1e-4 * Math.max(1, Math.abs(reference.bestEnergy)),
        `${label}: best energy`,
      );
      assert.equal(state.staleHops[r], reference.staleHops, `${label}: stale hops`);
      assert.equal(state.tabooHits[r], reference.tabooHits, `${label}: taboo hits`);
      checkConstraints(system, positions.subarray(n * r, n * (r + 1)), spec, label);
    }
    if (c.places && checkpoint !== c.checkpoints.at(-1)) {
      const reseedHops = spec.driver.mode === "hopping" ? spec.driver.hopping.reseedHops ?? 0 : 0;
      const placements = references.flatMap((reference, r) => {
        if (reference.staleHops < reseedHops) return [];
        const next = (r + 1) % replicas;
        const positions = start.subarray(n * next, n * (next + 1));
        reference.place(positions);
        return [{ replica: r, positions }];
      });
      assert.ok(placements.length > 0, "a stale chain to place");
      batch.place(placements);
    }
  }
  if (c.reseeds) assert.ok(references.some((r) => r.reseeds > 0), "a chain reseeded");
  if (c.tabooHits) {
    assert.ok(references.some((r) => r.tabooHits > 0), "a chain found stale by the taboo list");
  }
  if (c.makes) assert.ok(made.has(c.makes), `a ${c.makes} move made (${[...made]})`);
  batch.destroy();
  return worst;
}

/** Clusters keep their centre of mass at the origin (and inside the container); boxes wrap. */
function checkConstraints(
  system: ReturnType<typeof parseSystem>,
  x: Float32Array,
  spec: MethodSpec,
  label: string,
) {
  const n = system.nAtoms;
  if (system.box !== undefined) {
    assert.ok(x.every((v) => v >= 0 && v <= system.box!), `${label}: wrapped into the box`);
    return;
  }
  if (spec.containerRadius === 0) {
    // (With a container, atoms put back on its wall after centring move the centre slightly.)
    for (let c = 0; c < 3; c++) {
      let centre = 0;
      for (let i = 0; i < n; i++) centre += x[3 * i + c] / n;
      assert.ok(Math.abs(centre) < 1e-5, `${label}: centre of mass ${centre}`);
    }
  } else {
    for (let i = 0; i < n; i++) {
      // The last centring may move an atom on the wall slightly outside it.
      const r = Math.hypot(x[3 * i], x[3 * i + 1], x[3 * i + 2]);
      assert.ok(r < spec.containerRadius * 1.05, `${label}: atom ${i} at radius ${r}`);
    }
  }
}

const CASES: Case[] = [
  // The anneal's dynamics are chaotic (it is hot: kT 0.5 to 1.3 here) but draw the same noise;
  // its schedule ends at 40 evaluations, and FIRE contracts after it.
  {
    system: "LJ13",
    label: "anneal",
    spec: annealing(40),
    step: 0.02,
    checkpoints: [5, 20, 50],
  },
  {
    system: "Si64",
    label: "anneal",
    spec: annealing(12),
    step: 0.02,
    checkpoints: [6, 20],
    replicas: 2,
  },
  { system: "LJ13", label: "gd", spec: local("gd"), step: 1e-3, checkpoints: [2, 40, 300] },
  { system: "LJ13", label: "adam", spec: local("adam"), step: 1e-2, checkpoints: [2, 40, 300] },
  { system: "LJ13", label: "fire", spec: local("fire"), step: 0.1, checkpoints: [2, 40, 200] },
  {
    system: "LJ38",
    label: "fire",
    spec: local("fire"),
    step: 0.1,
    checkpoints: [60, 130],
    replicas: 3,
  },
  {
    system: "LJ19",
    label: "fire in a container",
    spec: local("fire", 0.2, 1.2),
    step: 0.1,
    checkpoints: [100],
  },
  { system: "Ag7Au6", label: "fire", spec: local("fire"), step: 0.1, checkpoints: [50, 200] },
  // Morse through the shared pair loops: a cluster with ASE's switch, and a periodic box.
  { system: "M13", label: "fire", spec: local("fire"), step: 0.1, checkpoints: [2, 40, 200] },
  {
    system: "M20@rho0=3,L=6",
    label: "lbfgs",
    spec: local("lbfgs"),
    step: 0.01,
    checkpoints: [5, 20],
    replicas: 2,
  },
  {
    system: "Si64",
    label: "fire",
    spec: local("fire"),
    step: 0.1,
    checkpoints: [7, 30],
    replicas: 2,
  },
  // L-BFGS: history, backtracking (energy rises) and, in Si64, the periodic minimum image; from
  // random starts within their chaotic horizon, then from nearer a minimum for longer.
  { system: "LJ13", label: "lbfgs", spec: local("lbfgs"), step: 0.1, checkpoints: [2, 6, 12] },
  {
    system: "LJ38",
    label: "lbfgs near a minimum",
    spec: local("lbfgs"),
    step: 0.1,
    checkpoints: [10, 30],
    replicas: 3,
    prerelax: 150,
  },
  { system: "Ag7Au6", label: "lbfgs", spec: local("lbfgs"), step: 0.01, checkpoints: [5, 20] },
  {
    system: "Si64",
    label: "lbfgs",
    spec: local("lbfgs"),
    step: 0.01,
    checkpoints: [7, 20],
    replicas: 2,
  },
  {
    system: "LJ13",
    label: "bh over fire",
    spec: hopping("fire", { relaxStepCap: 60, adaptInterval: 2 }),
    step: 0.1,
    checkpoints: [150, 300],
  },
  {
    system: "LJ13",
    label: "bh over lbfgs, uniform and surface moves per replica",
    spec: hopping("lbfgs", { relaxStepCap: 40, moves: { uniform: 1, surface: 1 } }),
    moves: (r) => ({ uniform: r, surface: 4 - r }),
    step: 0.1,
    checkpoints: [15, 35],
    prerelax: 400,
  },
  {
    system: "LJ13",
    label: "bh over gd",
    spec: hopping("gd", { relaxStepCap: 30, hopFmax: 0.3 }),
    step: 1e-3,
    checkpoints: [100],
  },
  {
    system: "LJ13",
    label: "random restarts over fire",
    spec: hopping("fire", { relaxStepCap: 60, moves: { restart: 1 }, startRadius: 1.6 }),
    step: 0.1,
    checkpoints: [150, 300],
  },
  {
    system: "LJ13",
    label: "bh over fire, reseeding a chain at its first hop without a new lowest minimum",
    spec: hopping("fire", { relaxStepCap: 60, reseedHops: 1 }),
    step: 0.1,
    checkpoints: [150, 300],
    reseeds: true,
  },
  {
    system: "LJ7",
    label: "bh over fire, reseeding with a taboo list (GMIN's AVOID)",
    spec: hopping("fire", LJ7_TABOO),
    step: 0.1,
    checkpoints: [250, 450],
    tabooHits: true,
  },
  {
    system: "LJ7",
    label: "bh over fire, its stale chains placed by the host, with a taboo list",
    spec: hopping("fire", { ...LJ7_TABOO, pool: { size: 1, crossover: 0 } }),
    step: 0.1,
    checkpoints: [250, 450],
    places: true,
    tabooHits: true,
  },
  {
    system: "LJ13",
    label: "bh over fire, its stale chains placed by the host (a pool's reseeds)",
    spec: hopping("fire", { relaxStepCap: 60, reseedHops: 1, pool: { size: 1, crossover: 0 } }),
    step: 0.1,
    checkpoints: [150, 300],
    places: true,
  },
  {
    system: "LJ13",
    label: "bh over fire, uniform and cap moves",
    spec: hopping("fire", { relaxStepCap: 60, moves: { uniform: 1, cap: 1 } }),
    step: 0.1,
    checkpoints: [150, 300],
  },
  {
    system: "LJ13",
    label: "bh over fire, uniform, surface and symmetrise moves",
    spec: hopping("fire", { relaxStepCap: 60, moves: { uniform: 1, surface: 1, symmetrise: 2 } }),
    step: 0.1,
    checkpoints: [150, 300],
  },
  {
    system: "M13",
    label: "bh over fire, uniform, surface and symmetrise moves",
    spec: hopping("fire", { relaxStepCap: 60, moves: { uniform: 1, surface: 1, symmetrise: 2 } }),
    step: 0.1,
    checkpoints: [150, 300],
  },
  {
    system: "LJ13",
    label: "bh over fire, uniform and inversion moves",
    spec: hopping("fire", { relaxStepCap: 60, moves: { uniform: 1, inversion: 1 } }),
    step: 0.1,
    checkpoints: [120, 240],
    makes: "inversion",
  },
  {
    system: "LJ13",
    label: "bh over fire from a start with two atoms on one point (rejected: a uniform move)",
    spec: hopping("fire", { relaxStepCap: 60 }),
    step: 0.1,
    checkpoints: [60, 150],
    coincident: true,
  },
  {
    system: "LJ13",
    label: "fire from a start with two atoms on one point (rejected: a restart)",
    spec: local("fire"),
    step: 0.1,
    checkpoints: [40, 100],
    coincident: true,
  },
  {
    system: "Si64",
    label: "bh over fire, uniform moves and bond switches",
    spec: hopping("fire", { relaxStepCap: 30, moves: { uniform: 1, bond_switch: 3 } }),
    step: 0.1,
    checkpoints: [40, 100],
    replicas: 2,
    prerelax: 300,
    makes: "bond_switch",
  },
  {
    system: "Si64",
    label: "bh over fire, uniform moves and kicks",
    spec: hopping("fire", { relaxStepCap: 30, moves: { uniform: 1, kick: 3 } }),
    step: 0.1,
    checkpoints: [40, 100],
    replicas: 2,
    prerelax: 300,
    makes: "kick",
  },
  {
    system: "Ag7Au6",
    label: "bh over lbfgs, surface and swap moves",
    spec: hopping("lbfgs", { relaxStepCap: 40, moves: { uniform: 1, surface: 1, swap: 2 } }),
    step: 0.01,
    checkpoints: [20, 45],
    prerelax: 400,
  },
  {
    system: "Ag7Au6",
    label: "bh over fire, swap and segregate moves",
    spec: hopping("fire", { relaxStepCap: 40, moves: { uniform: 1, swap: 1, segregate: 2 } }),
    step: 0.01,
    checkpoints: [80, 160],
    makes: "segregate",
    prerelax: 400,
  },
  // Every registered potential's example system, so that a new potential is tested here.
  ...POTENTIALS.map((entry): Case => ({
    system: entry.naming.example,
    label: "fire (a registered potential's example)",
    spec: local("fire"),
    step: 0.01,
    checkpoints: [2, 20],
    replicas: 2,
  })),
];

// A registered local method or move is tested here: its case, in every layout, against its f64
// mirror (docs/ARCHITECTURE.md's recipes).
Deno.test("every registered local method and move has a trajectory case", () => {
  const specs = CASES.map((c) => c.spec(parseSystem(c.system)));
  const methods = new Set(specs.map((spec) => spec.local.name));
  for (const name of LOCAL_METHOD_NAMES) assert.ok(methods.has(name), `no case runs ${name}`);
  const moves = new Set(
    specs.flatMap((spec) =>
      spec.driver.mode === "hopping"
        ? Object.entries(spec.driver.hopping.moves).filter(([, w]) => w > 0).map(([m]) => m)
        : []
    ),
  );
  for (const move of HOP_MOVES) assert.ok(moves.has(move.name), `no case makes ${move.name} moves`);
});

for (const shape of SHAPES) {
  for (const c of CASES) {
    Deno.test(`fused ${c.label} on ${c.system} follows the f64 reference (${shape.name})`, async () => {
      const worst = await compareTrajectories(c, shape);
      console.log(
        `  worst relative energy error ${worst.energy.toExponential(1)}, ` +
          `position error ${worst.position.toExponential(1)}`,
      );
    });
  }
}

for (const layout of THREAD_LAYOUTS) {
  for (const method of ["fire", "lbfgs"] as const) {
    Deno.test(
      `${method} stops at convergence, logs its minimum, and stops spending (${layout})`,
      async () => {
        await convergence(method, layout);
      },
    );
  }
}

async function convergence(method: LocalMethodName, layout: ThreadLayout) {
  const system = parseSystem("LJ13");
  const replicas = 8;
  const spec: MethodSpec = {
    local: localMethod(defaultLocalSettings(method, 0.2)),
    driver: { mode: "local", fmax: 1e-3 },
    containerRadius: 0,
  };
  const batch = await OptimizerBatch.create(gpu, system, replicas, { spec, layout });
  const start = Float32Array.from(randomStructures(system, 3, replicas));
  const hyper = () => ({ step: 0.1, dr: 0, temperature: 0, seed: 1 });
  batch.initialize(start, hyper);
  const { replicas: state, minima } = await batch.advanceTo(5000);
  const finalPositions = await batch.readPositions();
  const bestPositions = await batch.readBestPositions();
  const n = 3 * system.nAtoms;
  for (let r = 0; r < replicas; r++) {
    assert.equal(state.status[r], "converged");
    assert.ok(state.fmax[r] < 1e-3);
    assert.equal(minima[r].length, 1, "the converged minimum is logged once");
    assert.equal(minima[r][0].energy, state.energy[r]);
    assert.equal(minima[r][0].evaluations, state.evaluations[r]);
    // A true minimum in f64 too: the reference's largest force at the GPU's final positions.
    const { energy, forces } = referencePotential(system.potential)({
      positions: finalPositions.subarray(n * r, n * (r + 1)),
      species: system.species,
    });
    assert.ok(Math.abs(energy - state.energy[r]) < 1e-4);
    let largest = 0;
    for (let i = 0; i < 13; i++) {
      largest = Math.max(largest, Math.hypot(forces[3 * i], forces[3 * i + 1], forces[3 * i + 2]));
    }
    assert.ok(largest < 2e-3, `replica ${r}: f64 max |F| ${largest}`);
    // The best positions are where the best energy was seen.
    const best = referencePotential(system.potential)({
      positions: bestPositions.subarray(n * r, n * (r + 1)),
      species: system.species,
    });
    assert.ok(Math.abs(best.energy - state.bestEnergy[r]) < 1e-4);
    assert.ok(state.bestEnergy[r] <= state.energy[r]);
    assert.ok(state.bestEvaluations[r] <= state.evaluations[r]);
  }
  const again = await batch.advanceTo(6000);
  assert.deepEqual(
    again.replicas.evaluations,
    state.evaluations,
    "converged replicas cost nothing",
  );
  batch.destroy();
  return state;
}

// Full dispatches against the same run in dispatches of 1 step on the same device: the same
// arithmetic, so the trajectories must agree bit for bit, however chaotic. Every plan fills a
// dispatch to within one step of the budget; had it undercounted (the potential's declared loops,
// the method's or the driver's), llvmpipe would cut loops short in the full dispatches and they
// would part. Relaxations are cut so that each dispatch spends all its hops too. Every registered
// potential, on its example system or the largest smaller one whose dispatches hold 5 steps or
// more: the lane layout's invocation loops over every pair, the workgroup layout's over its own
// atoms' pairs with every atom.
for (const layout of THREAD_LAYOUTS) {
  for (const entry of POTENTIALS) {
    Deno.test(
      `full dispatches stay inside llvmpipe's loop limit, hops included (${layout}, ${entry.label})`,
      async () => {
        const symbol = entry.naming.example.replace(/\d+$/, "");
        const moves = entry.naming.periodic === "required" ? { uniform: 1 } : {
          uniform: 1,
          surface: 1,
        };
        // Basin hopping over L-BFGS (the default search); for the first potential, FIRE and
        // L-BFGS each relaxing and hopping (a kernel each; SW's lane kernel compiles in about a
        // minute on llvmpipe).
        const specs = entry === POTENTIALS[0]
          ? (["fire", "lbfgs"] as const).flatMap((method) => [
            local(method, 0.1),
            hopping(method, { moves }),
          ])
          : [hopping("lbfgs", { moves })];
        const plan = (system: System, spec: MethodSpec) =>
          planDispatch(
            entry.kind,
            system.nAtoms,
            spec,
            4,
            kernelShape(gpu, system, layout),
            LOOP_BUDGET,
          );
        const fits = (system: System) =>
          specs.every((make) => plan(system, make(system)).stepsPerDispatch >= 5);
        let n = Number(entry.naming.example.slice(symbol.length));
        while (!fits(parseSystem(`${symbol}${n}`))) n--;
        const system = parseSystem(`${symbol}${n}`);
        for (const make of specs) {
          const spec = make(system);
          const { stepsPerDispatch, hopsPerDispatch } = plan(system, spec);
          if (spec.driver.mode === "hopping") {
            spec.driver.hopping.relaxStepCap = Math.floor(stepsPerDispatch / hopsPerDispatch);
          }
          const evaluations = 1 + 2 * (stepsPerDispatch + hopsPerDispatch);
          const label = `${system.name} ${spec.local.name} (${spec.driver.mode}, ${layout})`;
          const [full, short] = await Promise.all(
            [stepsPerDispatch, 1].map((steps) =>
              runInDispatches(system, spec, layout, steps, evaluations)
            ),
          );
          assert.deepEqual(full.evaluations, short.evaluations, label);
          assert.deepEqual(full.hops, short.hops, `${label}: hops`);
          assert.deepEqual(full.energy, short.energy, `${label}: energies`);
          assert.deepEqual(full.positions, short.positions, `${label}: positions`);
        }
      },
    );
  }
}

/** Two replicas of `system` from relaxed random starts, advanced `steps` per dispatch. */
async function runInDispatches(
  system: System,
  spec: MethodSpec,
  layout: ThreadLayout,
  steps: number,
  evaluations: number,
) {
  const batch = await OptimizerBatch.create(gpu, system, 2, { spec, layout });
  assert.ok(steps <= batch.maxStepsPerDispatch);
  batch.stepsPerDispatch = steps;
  batch.initialize(starts(system, 2, 150), (r) => ({
    step: 0.05,
    dr: 0.3 + 0.05 * r,
    temperature: 0.5,
    seed: 11 + r,
  }));
  const { replicas } = await batch.advanceTo(evaluations);
  const positions = await batch.readPositions();
  batch.destroy();
  return { ...replicas, positions };
}

Deno.test("dispatches sized by time (hardware's way) change their steps, not the trajectories", async () => {
  // LJ13 in the lane layout: the budget allows 265 steps, more than the 64 timing starts from.
  const system = parseSystem("LJ13");
  const spec = hopping("fire", { moves: { uniform: 1, surface: 1 } })(system);
  const run = async (timeSized: boolean) => {
    const batch = await OptimizerBatch.create(gpu, system, 4, {
      spec,
      timeSized,
      layout: "lane",
    });
    batch.initialize(starts(system, 4, 0), (r) => ({
      step: 0.05,
      dr: 0.3,
      temperature: 0.5,
      seed: 3 + r,
    }));
    const sizes = [batch.stepsPerDispatch];
    for (const evaluations of [300, 600, 900, 1200]) {
      await batch.advanceTo(evaluations);
      sizes.push(batch.stepsPerDispatch);
    }
    const positions = await batch.readPositions();
    const { replicas } = await batch.sync();
    batch.destroy();
    return { sizes, positions, energy: replicas.energy, max: batch.maxStepsPerDispatch };
  };
  const [timed, filled] = [await run(true), await run(false)];
  // Filled: every dispatch takes the budget's steps. Timed: 64 at first, then rescaled from how
  // long the dispatches took (4 replicas take far less than 20 ms a step here, so it grows),
  // never beyond the budget.
  assert.ok(filled.sizes.every((k) => k === filled.max), `${filled.sizes}`);
  assert.equal(timed.sizes[0], Math.min(64, timed.max));
  assert.ok(new Set(timed.sizes).size > 1, `never resized: ${timed.sizes}`);
  assert.ok(timed.sizes.every((k) => k >= 1 && k <= timed.max), `${timed.sizes}`);
  assert.deepEqual(timed.positions, filled.positions);
  assert.deepEqual(timed.energy, filled.energy);
});

Deno.test("the dispatch planner refuses systems whose step would not fit", () => {
  const plan = (kind: "lj" | "gupta" | "sw", n: number, spec: MethodSpec) =>
    planDispatch(kind, n, spec, 4);
  const lj13 = parseSystem("LJ13");
  // LJ13 FIRE: a step is 78 pairs + 26 + 13 (energy) + 4 x 13 (FIRE) + 3 x 13 + 2 (driver) = 210
  // iterations, of 55,000 less 4 x 13 (load, store) and 2 x 13 (FIRE's velocity) a dispatch,
  // less one slot to reject a non-finite point after the loop: a restart, 8 trials x (78 pairs +
  // 13 atoms), 4 x 13 around it, FIRE's reset (13) and the evaluation (117), 910 in all.
  assert.equal(plan("lj", 13, local("fire")()).stepsPerDispatch, Math.floor((54_922 - 910) / 210));
  assert.throws(() => plan("lj", 400, local("fire")()), UserError);
  assert.throws(() => plan("sw", 300, local("fire")()), UserError);
  assert.throws(() => plan("gupta", 250, hopping("fire", {})(lj13)), UserError);
  const restarts = hopping("lbfgs", { moves: { restart: 1 } })(parseSystem("Si64"));
  assert.ok(plan("sw", 64, restarts).stepsPerDispatch >= 1);
});

Deno.test("a surface move is refused for a periodic system", async () => {
  const si = parseSystem("Si64");
  const spec = hopping("fire", { moves: { uniform: 1, surface: 1 } })(si);
  await assert.rejects(OptimizerBatch.create(gpu, si, 2, { spec }), UserError);
});

Deno.test("a replica may not use a move its batch's kernel lacks", async () => {
  const system = parseSystem("LJ13");
  const spec = hopping("fire", {})(system);
  const batch = await OptimizerBatch.create(gpu, system, 2, { spec });
  assert.throws(
    () =>
      batch.initialize(
        randomStructures(system, 1, 2),
        () => ({ step: 0.1, dr: 0.3, temperature: 0, seed: 1, moves: { surface: 1 } }),
      ),
    UserError,
  );
  batch.destroy();
});
