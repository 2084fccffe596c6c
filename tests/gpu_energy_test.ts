/**
 * The WGSL kernels against the f64 references, on random structures.
 *
 * The reference is evaluated at the f32-rounded positions the GPU sees, so the differences below
 * are only the kernel's f32 arithmetic. Tolerances (f32 epsilon = 1.2e-7):
 * - energy: |dE| <= 4e-6 (|E| + N s), s the potential's energy scale per atom (LJ and Morse 1,
 *   Gupta and SW 4 eV). A replica's energy is a sum of N atom shares, each a sum of up to N (Gupta, LJ) or
 *   48^2 (SW) terms whose magnitudes are ~ s; with rounding growing like sqrt(terms) per sum and
 *   a few ulps per exp/pow, that is ~30 ulps of the per-atom magnitude. Measured worst cases were
 *   3-10x below the bound (e.g. Si64: 2.3e-4 eV of a 1.6e-3 eV bound).
 * - forces: max |dF| <= 2e-5 max(max |F|, s / bond): an atom's force is a sum of pair forces that
 *   largely cancel, so the error scales with the largest force in the replica, not the net one.
 */
import assert from "node:assert/strict";
import { testGpu } from "./gpu.ts";
import {
  EnergyBatch,
  MAX_ATOMS,
  parseSystem,
  POTENTIALS,
  randomStructures,
  referencePotential,
  type System,
  THREAD_LAYOUTS,
  type ThreadLayout,
  UserError,
} from "../mod.ts";
import { energyWorkgroupBytes, energyWorkgroupShape } from "../src/gpu/energy_batch.ts";
import { maxAbs } from "./helpers.ts";

const gpu = await testGpu();
const ENERGY_SCALE: Record<string, number> = { lj: 1, gupta: 4, sw: 4, morse: 1 };

async function compare(system: System, replicas: number, layout: ThreadLayout, seed = 1) {
  const positions = Float32Array.from(randomStructures(system, seed, replicas));
  const batch = await EnergyBatch.create(gpu, system, replicas, { layout });
  batch.writePositions(positions);
  batch.evaluate();
  const energies = await batch.readEnergies();
  const forces = await batch.readForces();
  batch.destroy();
  const reference = referencePotential(system.potential);
  const n = system.nAtoms;
  const scale = ENERGY_SCALE[system.potential.kind];
  assert.ok(scale !== undefined, `${system.potential.kind}: its energy scale belongs above`);
  for (let r = 0; r < replicas; r++) {
    const slice = positions.subarray(3 * n * r, 3 * n * (r + 1));
    const expected = reference({ positions: slice, species: system.species, box: system.box });
    const energyError = Math.abs(energies[r] - expected.energy);
    const energyTolerance = 4e-6 * (Math.abs(expected.energy) + n * scale);
    assert.ok(
      energyError <= energyTolerance,
      `${system.name} B=${replicas} ${layout} replica ${r}: E_gpu ${
        energies[r]
      } vs ${expected.energy}`,
    );
    let forceError = 0;
    for (let k = 0; k < 3 * n; k++) {
      forceError = Math.max(forceError, Math.abs(forces[3 * n * r + k] - expected.forces[k]));
    }
    const forceTolerance = 2e-5 * Math.max(maxAbs(expected.forces), scale / system.bondLength);
    assert.ok(
      forceError <= forceTolerance,
      `${system.name} B=${replicas} ${layout} replica ${r}: max |dF| ${forceError} > ${forceTolerance}`,
    );
  }
}

// (system, replicas): B in {1, 7, 1000}, N from 2 to MAX_ATOMS, sizes that are not multiples of
// the workgroup size (64), one and two species.
const CASES: [string, number][] = [
  ["LJ2", 1],
  ["LJ2", 1000],
  ["LJ13", 7],
  ["LJ38", 1000],
  ["LJ65", 7],
  [`LJ${MAX_ATOMS}`, 1],
  ["Au2", 7],
  ["Au55", 1000],
  ["Ag27Au28", 7],
  ["Pd40Pt39", 1],
  ["Cu3Ag2", 1000],
  ["Au55@set=jaxmd-gold", 7],
  ["Au108@cutoff=6.6,L=16.4", 1],
  [`Au${MAX_ATOMS}`, 1],
  ["Si2@L=8", 1],
  ["Si7@L=8", 1000],
  ["Si64", 7],
  ["Si64@threebody=1.5", 7],
  ["Si65", 1000],
  [`Si${MAX_ATOMS}`, 1],
  ["M13", 7],
  ["M38@rho0=3", 1000],
  ["M64@L=8", 7],
  [`M${MAX_ATOMS}`, 1],
  // Every registered potential's example system, so that a new potential is tested here.
  ...POTENTIALS.map((entry): [string, number] => [entry.naming.example, 7]),
];

for (const layout of THREAD_LAYOUTS) {
  for (const [name, replicas] of CASES) {
    Deno.test(`GPU matches f64: ${name}, B = ${replicas} (${layout})`, async () => {
      const system = parseSystem(name);
      const bytes = energyWorkgroupBytes(system, energyWorkgroupShape(gpu, system).threads);
      if (layout === "workgroup" && bytes > gpu.device.limits.maxComputeWorkgroupStorageSize) {
        // SW's neighbour lists of a thousand atoms: one line naming the limit.
        await assert.rejects(
          EnergyBatch.create(gpu, system, replicas, { layout }),
          (e: Error) => e instanceof UserError && /maxComputeWorkgroupStorageSize/.test(e.message),
        );
        return;
      }
      await compare(system, replicas, layout);
    });
  }
}

Deno.test("GPU: positions stay on the device; re-evaluating gives the same energies", async () => {
  const system = parseSystem("LJ38");
  const batch = await EnergyBatch.create(gpu, system, 7, { layout: "workgroup" });
  batch.writePositions(randomStructures(system, 9, 7));
  batch.evaluate();
  const first = await batch.readEnergies();
  batch.evaluate(3);
  assert.deepEqual(await batch.readEnergies(), first);
  assert.deepEqual(
    await batch.readPositions(),
    Float32Array.from(randomStructures(system, 9, 7)),
  );
  batch.destroy();
});

for (const layout of THREAD_LAYOUTS) {
  Deno.test(`GPU: SW flags an atom with more neighbours than the kernel holds (${layout})`, async () => {
    // 60 atoms within 1.6 A of each other: everyone is everyone's neighbour (59 > 48).
    const system = parseSystem("Si60@L=20");
    const positions = randomStructures(system, 1, 1).map((x) => 10 + (x % 1.6));
    const batch = await EnergyBatch.create(gpu, system, 1, { layout });
    batch.writePositions(positions);
    batch.evaluate();
    assert.ok(Number.isNaN((await batch.readEnergies())[0]));
    batch.destroy();
  });
}

Deno.test("GPU: a bad position count is refused", async () => {
  const batch = await EnergyBatch.create(gpu, parseSystem("LJ13"), 2);
  assert.throws(() => batch.writePositions(new Float32Array(13 * 3)), RangeError);
  batch.destroy();
});
