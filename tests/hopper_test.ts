/**
 * The learned hopper (src/learned/hopper.ts), a residual on basin hopping: with its output layers
 * at zero it IS basin hopping (the same search, replica for replica), its GPU kernel follows its
 * f64 mirror with weights that change every decision, and meta-training trains it on the
 * success loss and resumes bit for bit.
 */
import assert from "node:assert/strict";
import { testGpu } from "./gpu.ts";
import { diamondCrystal, icosahedron13, runTaskFile, TINY_TRAIN_CONFIG } from "./helpers.ts";
import {
  parseSystem,
  randomStructures,
  referenceContext,
  referencePotential,
  ReferenceReplica,
  type System,
  THREAD_LAYOUTS,
} from "../mod.ts";
import { defaultHopping } from "../src/methods/basin_hopping.ts";
import { DEFAULT_DECISION, type HopView } from "../src/methods/hop_control.ts";
import { fire, JAX_MD_FIRE } from "../src/methods/fire.ts";
import type { MethodSpec } from "../src/methods/method_spec.ts";
import { OptimizerBatch } from "../src/methods/optimizer_batch.ts";
import { ARCHITECTURES } from "../src/learned/architectures.ts";
import { GENERAL_HOPPER, HOPPER as PLAIN_HOPPER, type Hopper } from "../src/learned/hopper.ts";
import { familyFeatures } from "../src/learned/hop_features.ts";
import { LearnedOptimizer, loadLearnedOptimizer } from "../src/learned/learned_optimizer.ts";
import { checkpointCoverage } from "../src/learned/coverage.ts";
import { UserError } from "../src/core/errors.ts";
import { MetaTrainer } from "../src/learned/meta_train.ts";
import { LocalTrainingWork } from "../src/learned/training_work.ts";
import { parseTrainConfig } from "../src/learned/train_config.ts";
import { Rng } from "../src/core/rng.ts";
import { runSearch, searchOptions } from "../src/search/run_search.ts";

const gpu = await testGpu();

for (const hopper of [PLAIN_HOPPER, GENERAL_HOPPER]) {
  const { replicaNetwork, atomNetwork, atomNetworkOffset, parameterCount } = hopper;
  const name = hopper.architecture.name;
  Deno.test(`${name} layout: both networks fit theta, output layers start at zero`, () => {
    assert.equal(parameterCount, replicaNetwork.parameterCount + atomNetwork.parameterCount);
    assert.equal(parameterCount % 4, 0);
    assert.equal(hopper.features.length, replicaNetwork.sizes[0] + atomNetwork.sizes[0]);
    const theta = hopper.initialTheta(3);
    const hidden = replicaNetwork.layerOffset(1);
    assert.ok(theta.subarray(0, hidden).some((w) => w !== 0), "hidden weights are random");
    assert.ok(theta.subarray(hidden, atomNetworkOffset).every((w) => w === 0));
    const atomOutput = atomNetworkOffset + atomNetwork.layerOffset(1);
    assert.ok(theta.subarray(atomOutput).every((w) => w === 0));
    // Whatever the features, zero output layers decide exactly as basin hopping does.
    const control = hopper.control({ bondLength: 1.12, energyScale: 1, nSpecies: 1 }).mirror({
      weights: theta,
      weightsIndex: 0,
    });
    const lj = parseSystem("LJ13");
    const x = Float64Array.from(randomStructures(lj, 1, 1));
    const energies = Float64Array.from({ length: 13 }, (_, i) => -3 - 0.1 * i);
    const view: HopView = {
      n: 13,
      x,
      f: new Float64Array(39),
      species: lj.species,
      nSpecies: 1,
      energy: -40,
      bestEnergy: -41,
      markovEnergy: -40.5,
      fmax: 0.02,
      hopFmax: 0.03,
      relaxSteps: 30,
      relaxStepCap: 1000,
      sinceBest: 120,
      hops: 7,
      windowAccepted: 3,
      adaptInterval: 10,
      dr: 0.4,
      markovAtomEnergies: energies,
      atomEnergies: energies,
      box: undefined,
    };
    assert.deepEqual(control.decide(view), DEFAULT_DECISION);
    assert.deepEqual(control.rankAtoms(view), energies);
  });
}

Deno.test("family features tell a pair potential, a many-body one and a network solid apart", () => {
  const scales = (system: System) => ({
    bondLength: system.bondLength,
    energyScale: 1,
    defaultDr: 0,
  });
  // LJ13's icosahedron (CCD): the centre's share -5.9, a vertex's -3.2 of mean -3.41.
  const lj = parseSystem("LJ13");
  const icosahedron = icosahedron13(lj.bondLength);
  const ljEnergies = referencePotential(lj.potential)({
    positions: icosahedron,
    species: lj.species,
  })
    .atomEnergies!;
  const view = (system: System, x: Float64Array, atomEnergies?: Float64Array): HopView => ({
    n: system.nAtoms,
    x,
    f: new Float64Array(x.length),
    species: system.species,
    nSpecies: system.elements.length,
    energy: 0,
    bestEnergy: 0,
    markovEnergy: 0,
    fmax: 0,
    hopFmax: 0.03,
    relaxSteps: 99,
    relaxStepCap: 1000,
    sinceBest: 0,
    hops: 1,
    windowAccepted: 0,
    adaptInterval: 10,
    dr: 0.4,
    markovAtomEnergies: new Float64Array(system.nAtoms),
    atomEnergies,
    box: system.box,
  });
  const [ljCoordination, ljSeveral, ljSpread, relax] = familyFeatures(
    view(lj, icosahedron, ljEnergies),
    scales(lj),
  );
  assert.equal(ljSeveral, 0);
  assert.ok(Math.abs(relax - 2 / 3) < 1e-12, `${relax}`);
  // The same icosahedron in Gupta gold: its shares are closer together than LJ's.
  const au = parseSystem("Au13");
  const auX = icosahedron13(au.bondLength);
  const auEnergies = referencePotential(au.potential)({ positions: auX, species: au.species })
    .atomEnergies!;
  const [auCoordination, , auSpread] = familyFeatures(view(au, auX, auEnergies), scales(au));
  assert.ok(Math.abs(auCoordination - ljCoordination) < 1e-9, `${auCoordination}`);
  // Measured: 0.240 and 0.074.
  assert.ok(ljSpread > 3 * auSpread, `spread LJ ${ljSpread}, Au ${auSpread}`);
  // Diamond silicon: 4 neighbours at the bond length, the next 12 at 1.63 bond lengths.
  const si = parseSystem("Si64");
  const [siCoordination, , siSpread] = familyFeatures(
    view(si, diamondCrystal(2, 5.431).positions),
    scales(si),
  );
  // No energy shares in a kernel without surface or symmetrise moves; the four bonds of each atom
  // (1 / (1 + 0.8^6) each) and 12 second neighbours at 1.63 bonds (0.168 each), then further
  // shells, all of them inside the box's minimum images.
  assert.equal(siSpread, 0);
  const shells = 4 / (1 + 0.8 ** 6) + 12 / (1 + (Math.sqrt(8 / 3) / 1.25) ** 6);
  assert.ok(
    siCoordination * 12 > shells && siCoordination * 12 < shells + 2,
    `Si ${siCoordination}`,
  );
  const several = familyFeatures(view(parseSystem("Ag7Au6"), icosahedron), scales(lj))[1];
  assert.equal(several, 1);
});

for (
  const [system, hopper] of [
    ["LJ13", PLAIN_HOPPER],
    ["Ag7Au6", PLAIN_HOPPER],
    ["LJ13", GENERAL_HOPPER],
  ] as const
) {
  Deno.test(`${system}: ${hopper.architecture.name} at theta = 0 is basin hopping, replica for replica`, async () => {
    const s = parseSystem(system);
    const common = { replicas: 16, maxEvaluations: 1500, seed: 4 };
    const bh = await runSearch(searchOptions(s, "bh", common), { gpu });
    const learned = new LearnedOptimizer(
      ARCHITECTURES[hopper.architecture.name],
      new Float32Array(hopper.parameterCount),
    );
    const search = await runSearch(searchOptions(s, "learned", { ...common, learned }), { gpu });
    assert.deepEqual(search.replicaBestEnergies, bh.replicaBestEnergies);
    assert.deepEqual(search.minima.map((m) => m.energy), bh.minima.map((m) => m.energy));
    if (hopper === GENERAL_HOPPER) {
      // Its dearer hops make shorter dispatches, so the minima log (LOG_CAPACITY entries, emptied
      // at every readback) is read more often, and a revisit of the minimum may be what it keeps:
      // first hits are measured within a few evaluations.
      search.replicaFirstHits!.forEach((hit, r) =>
        assert.ok(Math.abs(hit - bh.replicaFirstHits![r]) <= 10, `replica ${r}: ${hit}`)
      );
    } else {
      assert.deepEqual(search.replicaFirstHits, bh.replicaFirstHits);
      assert.equal(search.distinctMinima, bh.distinctMinima);
    }
  });
}

/** Weights whose outputs move every decision: the output layers random too. */
function activeTheta(hopper: Hopper, seed: number): Float32Array {
  const theta = new Float32Array(hopper.parameterCount);
  const rng = new Rng(seed);
  hopper.replicaNetwork.initialize(theta, 0, rng, 1, false);
  hopper.atomNetwork.initialize(theta, hopper.atomNetworkOffset, rng, 3, false);
  return theta;
}

/** Random starts relaxed 150 f64 FIRE steps, so hops begin within a few dozen evaluations. */
function relaxedStarts(system: ReturnType<typeof parseSystem>, count: number): Float32Array {
  const random = randomStructures(system, 2, count);
  const n = 3 * system.nAtoms;
  const out = new Float32Array(count * n);
  const spec: MethodSpec = {
    local: fire({ maxStep: 0.2, fire: JAX_MD_FIRE }),
    driver: { mode: "local", fmax: 0 },
    containerRadius: 0,
  };
  for (let r = 0; r < count; r++) {
    const replica = new ReferenceReplica(
      referenceContext(system, spec),
      random.subarray(n * r, n * (r + 1)),
      { step: 0.1, dr: 0, temperature: 0, seed: 1 },
      r,
    );
    replica.advanceTo(150);
    out.set(replica.x, n * r);
  }
  return out;
}

for (
  const [name, moves, hopper, layouts] of [
    ["LJ13", { uniform: 1, surface: 1 }, PLAIN_HOPPER, THREAD_LAYOUTS],
    ["Ag7Au6", { uniform: 1, surface: 1, swap: 1 }, PLAIN_HOPPER, THREAD_LAYOUTS],
    ["LJ13", { uniform: 1, surface: 1 }, GENERAL_HOPPER, THREAD_LAYOUTS],
    ["Ag7Au6", { uniform: 1, surface: 1, swap: 1 }, GENERAL_HOPPER, THREAD_LAYOUTS],
    // Minimum images; the network moves, the kick ranked by the atom network.
    ["Si64", { uniform: 1, bond_switch: 1, kick: 1 }, GENERAL_HOPPER, THREAD_LAYOUTS],
    // The controller's loops over owned atoms, planned as such within llvmpipe's loop budget.
    ["Si216", { uniform: 1, bond_switch: 1, kick: 1 }, GENERAL_HOPPER, ["workgroup"]],
  ] as const
) {
  for (const layout of layouts) {
    Deno.test(`${name}: ${hopper.architecture.name}'s kernel follows its f64 mirror, decisions included (${layout})`, async () => {
      const system = parseSystem(name);
      const spec: MethodSpec = {
        local: fire({ maxStep: 0.2, fire: JAX_MD_FIRE }),
        driver: {
          mode: "hopping",
          hopping: { ...defaultHopping(system, moves), hopFmax: 1e-2, relaxStepCap: 25 },
          control: hopper.control({
            bondLength: system.bondLength,
            energyScale: 1,
            nSpecies: system.elements.length,
            box: system.box,
          }),
        },
        containerRadius: 0,
      };
      const replicas = 4;
      const weights = new Float32Array([...activeTheta(hopper, 5), ...activeTheta(hopper, 6)]);
      const batch = await OptimizerBatch.create(gpu, system, replicas, {
        spec,
        weightVectors: 2,
        layout,
      });
      batch.setWeights(weights);
      const start = relaxedStarts(system, replicas);
      const hyper = (r: number) => ({
        step: 0.1,
        dr: 0.3 * system.bondLength,
        temperature: 0.5,
        seed: 21 + r,
        weights: r % 2,
      });
      batch.initialize(start, hyper);
      const n = 3 * system.nAtoms;
      const references = Array.from({ length: replicas }, (_, r) =>
        new ReferenceReplica(
          referenceContext(system, spec, { weights, logCapacity: batch.logCapacity }),
          start.subarray(n * r, n * (r + 1)),
          hyper(r),
          r,
        ));
      let hopsSeen = 0;
      for (const checkpoint of [60, 110]) {
        const { replicas: state } = await batch.advanceTo(checkpoint);
        const positions = await batch.readPositions();
        for (let r = 0; r < replicas; r++) {
          const reference = references[r];
          reference.advanceTo(state.evaluations[r]);
          const label = `${name} replica ${r} at ${checkpoint}`;
          assert.equal(state.hops[r], reference.hops, `${label}: hops`);
          assert.equal(state.accepted[r], reference.accepted, `${label}: accepted`);
          assert.ok(Math.abs(state.dr[r] - reference.dr) < 1e-5 * reference.dr, `${label}: dr`);
          let error = 0;
          for (let k = 0; k < n; k++) {
            error = Math.max(error, Math.abs(positions[n * r + k] - reference.x[k]));
          }
          assert.ok(error < 1e-3, `${label}: position error ${error}`);
          hopsSeen += reference.hops;
        }
      }
      assert.ok(hopsSeen >= 8, `only ${hopsSeen} hops compared`);
      // The weights do decide: basin hopping's own decisions (theta = 0) go elsewhere.
      const zero = new Float32Array(weights.length);
      const moved = references.some((reference, r) => {
        const plain = new ReferenceReplica(
          referenceContext(system, spec, { weights: zero, logCapacity: batch.logCapacity }),
          start.subarray(n * r, n * (r + 1)),
          hyper(r),
          r,
        );
        plain.advanceTo(reference.evaluations);
        return plain.x.some((v, k) => Math.abs(v - reference.x[k]) > 0.1);
      });
      assert.ok(moved, "the learned decisions changed no trajectory");
      batch.destroy();
    });
  }
}

Deno.test("meta-training the hopper on the success loss: two systems a step, resumed exactly", async () => {
  const config = parseTrainConfig({
    ...TINY_TRAIN_CONFIG,
    architecture: "hop-residual",
    loss: "success",
    systemsPerStep: 2,
    unroll: 200,
    clipToCentre: true,
  });
  const straight = new MetaTrainer(new LocalTrainingWork(gpu, config), config);
  const metrics = [];
  for (let s = 0; s < 3; s++) metrics.push(await straight.step());
  for (const m of metrics) {
    assert.match(m.system, /^LJ[78]\+LJ[78]$/);
    assert.ok(m.centreLoss >= 0 && m.centreLoss <= 1 + config.gapWeight * 10, `${m.centreLoss}`);
    // No signal to measure where every antithetic pair tied (both members solved alike).
    if (m.gradientNorm > 0) {
      assert.ok(Number.isFinite(m.signalToNoise) && m.signalToNoise > 0, `${m.signalToNoise}`);
    } else assert.ok(Number.isNaN(m.signalToNoise), `${m.signalToNoise}`);
  }
  assert.ok(metrics.some((m) => m.gradientNorm > 0), "some step had a gradient");
  // The baseline is the hopper at theta = 0: basin hopping.
  assert.equal(straight.baselineName, "basin hopping");
  const baseline = await straight.baseline(7);
  assert.ok(baseline.loss >= 0 && Number.isFinite(baseline.loss));
  const checkpoint = straight.checkpoint();
  assert.equal(checkpoint.architecture.name, "hop-residual");
  straight.destroy();

  const first = new MetaTrainer(new LocalTrainingWork(gpu, config), config);
  for (let s = 0; s < 2; s++) await first.step();
  const resumed = new MetaTrainer(new LocalTrainingWork(gpu, config), config, first.checkpoint());
  first.destroy();
  const last = await resumed.step();
  assert.equal(last.centreLoss, metrics[2].centreLoss);
  assert.deepEqual(resumed.theta, checkpoint.theta, "theta bit for bit");
  resumed.destroy();
});

Deno.test("CLI: --max-step is refused for a hopper checkpoint, in one line", async () => {
  const run = await runTaskFile("search", ["--allow-read", "--allow-write", "--allow-env"], [
    ...["--system", "LJ13", "--method", "learned", "--max-step", "0.1"],
    ...["--checkpoint", new URL("../checkpoints/lj-hopper.safetensors", import.meta.url).pathname],
  ]);
  assert.equal(run.code, 2);
  assert.match(
    run.stderr,
    /^error: --max-step applies to a per-step learned optimizer; .* is a hop-residual one/,
  );
  assert.equal(run.stderr.trim().split("\n").length, 1);
});

Deno.test("a checkpoint serves the families it was trained on: others are one line and status 2", async () => {
  const shipped = (name: string) =>
    new URL(`../checkpoints/${name}.safetensors`, import.meta.url).pathname;
  const families = async (name: string) =>
    (await loadLearnedOptimizer(shipped(name))).coverage?.families;
  assert.deepEqual(await families("lj-hopper"), ["lj"]);
  assert.deepEqual(await families("gupta-hopper"), ["gupta"]);
  assert.deepEqual(await families("bimetallic-hopper"), ["alloy"]);
  assert.deepEqual(await families("general-hopper"), ["lj", "gupta", "alloy"]);
  assert.deepEqual(await families("si-hopper"), ["sw"]);
  assert.deepEqual(await families("hopper"), ["lj", "gupta", "alloy", "sw"]);
  const hopper = await loadLearnedOptimizer(shipped("hopper"));
  for (const name of ["LJ38", "Au38", "Pd19Pt19", "Si216"]) {
    const settings = { fmax: 1e-3, containerRadius: 0 };
    assert.equal(hopper.spec(parseSystem(name), settings).driver.mode, "hopping", name);
  }
  // A checkpoint whose config names no systems (written outside `deno task train`): any system.
  assert.equal(checkpointCoverage({}, "bare"), undefined);
  assert.throws(
    () => checkpointCoverage({ systems: ["Xx12"] }, "odd"),
    /odd \(a checkpoint\): its config names training system 'Xx12', which this build/,
  );
  const lj = await loadLearnedOptimizer(shipped("lj-hopper"));
  const settings = { fmax: 1e-3, containerRadius: 0 };
  assert.equal(lj.spec(parseSystem("LJ38"), settings).driver.mode, "hopping");
  assert.throws(
    () => lj.spec(parseSystem("Au13"), settings),
    (error) =>
      error instanceof UserError &&
      /lj-hopper.safetensors was trained on Lennard-Jones clusters, not on one-metal Gupta clusters such as Au13/
        .test(error.message),
  );
  const permissions = ["--allow-read", "--allow-write", "--allow-env"];
  for (
    const [task, args, pattern] of [
      [
        "search",
        ["--system", "Si64", "--method", "learned", "--checkpoint", shipped("general-hopper")],
        /general-hopper.safetensors was trained on Lennard-Jones clusters, one-metal Gupta clusters and two-metal Gupta clusters, not on Stillinger-Weber silicon such as Si64/,
      ],
      [
        "eval",
        ["--suite", "bimetallic", "--checkpoint", shipped("gupta-hopper")],
        /trained on one-metal Gupta clusters, not on two-metal Gupta clusters such as/,
      ],
    ] as const
  ) {
    const run = await runTaskFile(task, [...permissions, "--allow-run", "--allow-net"], [...args]);
    assert.equal(run.code, 2, run.stderr);
    assert.equal(run.stderr.trim().split("\n").length, 1, run.stderr);
    assert.match(run.stderr, pattern);
  }
});
