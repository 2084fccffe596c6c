/**
 * The minima archive: copies of one minimum (rotated, permuted, translated, wrapped in a box)
 * merge; different minima, different homotops and energies outside the tolerance stay apart; the
 * lowest K are kept; the first-found cost is the minimum over copies in any order.
 */
import assert from "node:assert/strict";
import { lennardJones, stillingerWeber } from "../mod.ts";
import { Rng } from "../src/core/rng.ts";
import { MinimaArchive } from "../src/search/archive.ts";
import {
  DEFAULT_FINGERPRINT_TOLERANCE,
  fingerprintDistance,
  structureFingerprint,
} from "../src/search/fingerprint.ts";
import { diamondCrystal, icosahedron13, minimize1d } from "./helpers.ts";

const lj = lennardJones();
const LJ13 = new Uint32Array(13);

/** The LJ13 global minimum (-44.326801): the icosahedron at its optimal radius. */
function relaxedIcosahedron(): Float64Array {
  const energy = (r: number) => lj({ positions: icosahedron13(r), species: LJ13 }).energy;
  return icosahedron13(minimize1d(energy, 1.0, 1.2));
}

/** A uniformly random rotation matrix (row-major), from a random unit quaternion. */
function randomRotation(rng: Rng): number[] {
  const g = () =>
    Math.sqrt(-2 * Math.log(1 - rng.uniform())) * Math.cos(2 * Math.PI * rng.uniform());
  const q = [g(), g(), g(), g()];
  const norm = Math.hypot(...q);
  const [w, x, y, z] = q.map((v) => v / norm);
  return [
    [1 - 2 * (y * y + z * z), 2 * (x * y - w * z), 2 * (x * z + w * y)],
    [2 * (x * y + w * z), 1 - 2 * (x * x + z * z), 2 * (y * z - w * x)],
    [2 * (x * z - w * y), 2 * (y * z + w * x), 1 - 2 * (x * x + y * y)],
  ].flat();
}

function randomPermutation(n: number, rng: Rng): number[] {
  const order = Array.from({ length: n }, (_, i) => i);
  for (let i = n - 1; i > 0; i--) {
    const j = Math.floor(rng.uniform() * (i + 1));
    [order[i], order[j]] = [order[j], order[i]];
  }
  return order;
}

/** x -> R x + t, then atoms reordered (species with them). */
function moved(
  positions: ArrayLike<number>,
  species: ArrayLike<number>,
  rotation: number[],
  translation: number[],
  order: number[],
): { positions: Float64Array; species: Uint32Array } {
  const out = new Float64Array(positions.length);
  order.forEach((from, to) => {
    for (let row = 0; row < 3; row++) {
      let x = translation[row];
      for (let k = 0; k < 3; k++) x += rotation[3 * row + k] * positions[3 * from + k];
      out[3 * to + row] = x;
    }
  });
  return { positions: out, species: Uint32Array.from(order, (from) => species[from]) };
}

const IDENTITY = [1, 0, 0, 0, 1, 0, 0, 0, 1];

Deno.test("archive: LJ13 found again rotated, permuted and translated merges", () => {
  const rng = new Rng(7);
  const first = relaxedIcosahedron();
  const energy = lj({ positions: first, species: LJ13 }).energy;
  assert.ok(Math.abs(energy - -44.326801) < 1e-6, `E = ${energy}`);
  const copy = moved(
    first,
    LJ13,
    randomRotation(rng),
    [3.1, -0.4, 12.5],
    randomPermutation(13, rng),
  );
  const copyEnergy = lj(copy).energy;
  // A genuinely moved copy: no atom stays where it was.
  for (let i = 0; i < 13; i++) {
    const shift = Math.hypot(...[0, 1, 2].map((k) => copy.positions[3 * i + k] - first[3 * i + k]));
    assert.ok(shift > 1, `atom ${i} moved only ${shift}`);
  }
  assert.ok(
    fingerprintDistance(
      structureFingerprint(first, LJ13),
      structureFingerprint(copy.positions, LJ13),
    ) < 1e-12,
  );

  const archive = new MinimaArchive({ capacity: 10 });
  assert.equal(
    archive.add({ energy, positions: first, species: LJ13, evaluations: 100, replica: 0 }),
    "new",
  );
  assert.equal(
    archive.add({ energy: copyEnergy, ...copy, evaluations: 250, replica: 5 }),
    "merged",
  );
  // As the GPU hands it over: positions rounded to f32.
  assert.equal(
    archive.add({
      energy: copyEnergy,
      positions: Float32Array.from(copy.positions),
      species: LJ13,
      evaluations: 300,
      replica: 6,
    }),
    "merged",
  );
  assert.equal(archive.size, 1);
  const [entry] = archive.entries();
  assert.equal(entry.count, 3);
  assert.equal(entry.firstEvaluations, 100);
  assert.equal(entry.replica, 0);
  assert.ok(Math.abs(entry.energy - -44.326801) < 1e-6);
});

Deno.test("fingerprint: moving atoms by delta changes it by at most 2 delta (the tolerance's basis)", () => {
  const rng = new Rng(11);
  const ico = relaxedIcosahedron();
  const noisy = ico.map((x) => x + (2 * rng.uniform() - 1) * 1e-3); // |displacement| <= sqrt(3)e-3
  const distance = fingerprintDistance(
    structureFingerprint(ico, LJ13),
    structureFingerprint(noisy, LJ13),
  );
  assert.ok(distance > 1e-4, `noise should show: ${distance}`);
  assert.ok(distance <= 2 * Math.sqrt(3) * 1e-3, `${distance}`);
  assert.ok(distance < DEFAULT_FINGERPRINT_TOLERANCE);
});

Deno.test("archive: different structures with energies inside the tolerance stay apart", () => {
  const ico = relaxedIcosahedron();
  const energy = lj({ positions: ico, species: LJ13 }).energy;
  // Vertex 1 pushed 0.1 outwards along its radius: the largest distance grows by 0.1.
  const distorted = ico.slice();
  const radius = Math.hypot(ico[3], ico[4], ico[5]);
  for (let k = 3; k < 6; k++) distorted[k] *= (radius + 0.1) / radius;
  const distance = fingerprintDistance(
    structureFingerprint(ico, LJ13),
    structureFingerprint(distorted, LJ13),
  );
  assert.ok(Math.abs(distance - 0.1) < 1e-12, `${distance}`);

  const archive = new MinimaArchive({ capacity: 10 });
  assert.equal(
    archive.add({ energy, positions: ico, species: LJ13, evaluations: 1, replica: 0 }),
    "new",
  );
  assert.equal(
    archive.add({
      energy: energy + 1e-5,
      positions: distorted,
      species: LJ13,
      evaluations: 2,
      replica: 1,
    }),
    "new",
  );
  assert.deepEqual(archive.entries().map((e) => [e.energy, e.count, e.replica]), [
    [energy, 1, 0],
    [energy + 1e-5, 1, 1],
  ]);
  assert.deepEqual(archive.entries()[1].positions, distorted);
});

Deno.test("archive: the same structure merges only within the energy tolerance", () => {
  const ico = relaxedIcosahedron();
  const tolerance = 1e-3;
  const archive = new MinimaArchive({ capacity: 10, energyTolerance: tolerance });
  const add = (energy: number) =>
    archive.add({ energy, positions: ico, species: LJ13, evaluations: 1, replica: 0 });
  assert.equal(add(-44), "new");
  assert.equal(add(-44 + 1.5 * tolerance), "new");
  assert.equal(add(-44 - 1.5 * tolerance), "new");
  assert.equal(add(-44 + 0.5 * tolerance), "merged");
  assert.deepEqual(archive.entries().map((e) => [e.energy, e.count]), [
    [-44 - 1.5 * tolerance, 1],
    [-44, 2],
    [-44 + 1.5 * tolerance, 1],
  ]);
});

Deno.test("archive: capacity K keeps the lowest K, sorted, and rejects higher ones when full", () => {
  // Seven distinct structures (icosahedra of different sizes) with energies given out of order.
  const energies = [-5, -3, -7, -1, -6, -2, -4];
  const radii = energies.map((_, k) => 1 + 0.05 * k);
  const archive = new MinimaArchive({ capacity: 4 });
  const results = energies.map((energy, k) =>
    archive.add({
      energy,
      positions: icosahedron13(radii[k]),
      species: LJ13,
      evaluations: 10 * k,
      replica: k,
    })
  );
  // -6 pushes out -1; -2 is above the highest kept (-3) once full; -4 pushes out -3.
  assert.deepEqual(results, ["new", "new", "new", "new", "new", "rejected", "new"]);
  assert.equal(archive.size, 4);
  const entries = archive.entries();
  assert.deepEqual(entries.map((e) => e.energy), [-7, -6, -5, -4]);
  assert.deepEqual(entries.map((e) => e.replica), [2, 4, 0, 6]);
  for (const entry of entries) {
    assert.deepEqual(entry.positions, icosahedron13(radii[entry.replica]));
  }
  assert.equal(archive.best?.energy, -7);
  // Equal to the highest kept is not lower: rejected.
  assert.equal(
    archive.add({
      energy: -4,
      positions: icosahedron13(2),
      species: LJ13,
      evaluations: 0,
      replica: 9,
    }),
    "rejected",
  );
  assert.equal(
    archive.add({
      energy: NaN,
      positions: icosahedron13(2),
      species: LJ13,
      evaluations: 0,
      replica: 9,
    }),
    "rejected",
  );
  assert.equal(archive.size, 4);
});

Deno.test("archive: merging keeps the fewest evaluations and the lowest energy, in any order", () => {
  const rng = new Rng(3);
  const ico = relaxedIcosahedron();
  const copy = () =>
    moved(ico, LJ13, randomRotation(rng), [rng.uniform(), 2, -1], randomPermutation(13, rng));
  const [a, b, c] = [copy(), copy(), copy()];
  const archive = new MinimaArchive({ capacity: 10 });
  assert.equal(archive.add({ energy: -44.3268, ...a, evaluations: 500, replica: 3 }), "new");
  assert.equal(archive.add({ energy: -44.3266, ...b, evaluations: 200, replica: 1 }), "merged");
  assert.equal(archive.add({ energy: -44.3271, ...c, evaluations: 900, replica: 7 }), "merged");
  const [entry] = archive.entries();
  assert.equal(entry.count, 3);
  assert.equal(entry.firstEvaluations, 200);
  assert.equal(entry.replica, 1);
  assert.equal(entry.energy, -44.3271);
  assert.deepEqual(entry.positions, c.positions);

  // A merge that lowers an entry's energy past its neighbour moves it ahead of the neighbour.
  const small = icosahedron13(1.0);
  assert.equal(
    archive.add({ energy: -44.3265, positions: small, species: LJ13, evaluations: 1, replica: 0 }),
    "new",
  );
  assert.deepEqual(archive.entries().map((e) => e.energy), [-44.3271, -44.3265]);
  assert.equal(
    archive.add({ energy: -44.3274, positions: small, species: LJ13, evaluations: 1, replica: 0 }),
    "merged",
  );
  assert.deepEqual(archive.entries().map((e) => [e.energy, e.count]), [[-44.3274, 2], [
    -44.3271,
    3,
  ]]);
  assert.deepEqual(JSON.parse(JSON.stringify(archive)).map((e: { energy: number }) => e.energy), [
    -44.3274,
    -44.3271,
  ]);
});

Deno.test("fingerprint: species-pair blocks in order (0,0), (0,1), (1,1), each sorted", () => {
  // Atoms on a line: A at 0, B at 1, B at 3.
  const fingerprint = structureFingerprint([0, 0, 0, 1, 0, 0, 3, 0, 0], [0, 1, 1]);
  assert.deepEqual(Array.from(fingerprint), [1, 3, 2]);
  assert.equal(fingerprintDistance(fingerprint, new Float64Array(2)), Infinity);
});

Deno.test("fingerprint: swapping two unlike atoms makes a different homotop; permuting does not", () => {
  const rng = new Rng(5);
  const ico = relaxedIcosahedron();
  // Centre A, vertices 1-6 B, vertices 7-12 A.
  const species = Uint32Array.from({ length: 13 }, (_, i) => (i >= 1 && i <= 6 ? 1 : 0));
  const swapped = species.slice();
  [swapped[0], swapped[1]] = [swapped[1], swapped[0]]; // B in the centre now
  const base = structureFingerprint(ico, species);
  assert.ok(fingerprintDistance(base, structureFingerprint(ico, swapped)) > 0.1);
  // The same homotop relabelled and rotated matches.
  const relabelled = moved(
    ico,
    species,
    randomRotation(rng),
    [1, 2, 3],
    randomPermutation(13, rng),
  );
  assert.ok(
    fingerprintDistance(base, structureFingerprint(relabelled.positions, relabelled.species)) <
      1e-12,
  );

  const archive = new MinimaArchive({ capacity: 10 });
  assert.equal(
    archive.add({ energy: -1, positions: ico, species, evaluations: 1, replica: 0 }),
    "new",
  );
  assert.equal(
    archive.add({
      energy: -1 + 1e-4,
      positions: ico,
      species: swapped,
      evaluations: 1,
      replica: 1,
    }),
    "new",
  );
  assert.equal(archive.add({ energy: -1, ...relabelled, evaluations: 1, replica: 2 }), "merged");
  assert.deepEqual(archive.entries().map((e) => [e.count, e.species[0]]), [[2, 0], [1, 1]]);
});

Deno.test("fingerprint: in a periodic box, shifted and wrapped copies match (minimum image)", () => {
  const rng = new Rng(9);
  const crystal = diamondCrystal(2, 5.431);
  const box = crystal.box;
  // Disorder it so no symmetry of the perfect crystal helps the match.
  const positions = crystal.positions.map((x) => x + (2 * rng.uniform() - 1) * 0.1);
  const species = new Uint32Array(64);
  const shifted = moved(
    positions,
    species,
    IDENTITY,
    [0.37 + box, -2.1, 4.4 - 2 * box],
    randomPermutation(64, rng),
  );
  const wrapped = shifted.positions.map((x) => x - box * Math.floor(x / box));
  assert.ok(wrapped.every((x) => x >= 0 && x < box));
  const base = structureFingerprint(positions, species, box);
  assert.ok(fingerprintDistance(base, structureFingerprint(wrapped, species, box)) < 1e-9);
  // Without the box the wrapped copy is a different cluster.
  assert.ok(
    fingerprintDistance(
      structureFingerprint(positions, species),
      structureFingerprint(wrapped, species),
    ) > DEFAULT_FINGERPRINT_TOLERANCE,
  );

  const sw = stillingerWeber();
  const energy = sw({ positions, species, box }).energy;
  const wrappedEnergy = sw({ positions: wrapped, species, box }).energy;
  assert.ok(Math.abs(energy - wrappedEnergy) < 1e-9);
  const displaced = positions.slice();
  displaced[0] += 0.5; // one atom 0.5 A away: a different structure
  const archive = new MinimaArchive({ capacity: 10 });
  assert.equal(archive.add({ energy, positions, species, box, evaluations: 1, replica: 0 }), "new");
  assert.equal(
    archive.add({
      energy: wrappedEnergy,
      positions: wrapped,
      species,
      box,
      evaluations: 1,
      replica: 1,
    }),
    "merged",
  );
  assert.equal(
    archive.add({
      energy: energy + 1e-4,
      positions: displaced,
      species,
      box,
      evaluations: 1,
      replica: 2,
    }),
    "new",
  );
  assert.deepEqual(archive.entries().map((e) => e.count), [2, 1]);
});
