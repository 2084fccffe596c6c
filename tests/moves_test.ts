/**
 * The hop proposals and the L-BFGS mirror in f64, on constructed cases: per-atom energies sum to
 * the energy, the surface move moves exactly the highest-energy atom onto the outer shell, move
 * weights are validated, and L-BFGS relaxes a distorted icosahedron to the CCD energy in fewer
 * evaluations than FIRE.
 */
import assert from "node:assert/strict";
import {
  defaultLocalSettings,
  gupta,
  guptaParams,
  lennardJones,
  localMethod,
  type MethodSpec,
  parseSystem,
  referenceContext,
  ReferenceReplica,
  UserError,
} from "../mod.ts";
import { Rng } from "../src/core/rng.ts";
import { moveProbabilities } from "../src/methods/method_spec.ts";
import { SURFACE_TIE, surfaceMove } from "../src/methods/moves/surface.ts";
import { uniformMove } from "../src/methods/moves/uniform.ts";
import { capMove } from "../src/methods/moves/cap.ts";
import { symmetriseMove, SYMMETRY_TOLERANCE } from "../src/methods/moves/symmetrise.ts";
import { inversionMove } from "../src/methods/moves/inversion.ts";
import { exchangeEstimate } from "../src/methods/moves/segregate.ts";
import { bondedTo, bondSwitchMove, separation } from "../src/methods/moves/bond_switch.ts";
import { kickMove } from "../src/methods/moves/kick.ts";
import { stillingerWeber } from "../src/potentials/stillinger_weber.ts";
import { diamondCrystal, icosahedron13 } from "./helpers.ts";

const LJ13 = parseSystem("LJ13");
/** Cambridge Cluster Database, LJ13. */
const LJ13_GLOBAL = -44.326801;

Deno.test("per-atom energies sum to the energy (LJ, bimetallic Gupta and Stillinger-Weber)", () => {
  const positions = icosahedron13(1.1).map((x, k) => x + 0.03 * Math.sin(3 * k));
  const lj = lennardJones()({ positions, species: new Uint32Array(13) });
  const ljSum = lj.atomEnergies!.reduce((a, b) => a + b, 0);
  assert.ok(Math.abs(ljSum - lj.energy) < 1e-12 * Math.abs(lj.energy));
  const species = Uint32Array.from({ length: 13 }, (_, i) => i % 2);
  const au = gupta(guptaParams(["Ag", "Au"]))({
    positions: positions.map((x) => 2.6 * x),
    species,
  });
  const auSum = au.atomEnergies!.reduce((a, b) => a + b, 0);
  assert.ok(Math.abs(auSum - au.energy) < 1e-12 * Math.abs(au.energy));
  // Diamond silicon: every atom's share is the crystal's -4.3366 eV (SW_DIAMOND_ENERGY_PER_ATOM);
  // a distorted one still sums to the energy.
  const crystal = diamondCrystal(2, 5.431);
  const si = stillingerWeber()({ ...crystal, species: new Uint32Array(64) });
  for (const e of si.atomEnergies!) assert.ok(Math.abs(e + 4.3366) < 1e-4, `${e}`);
  const shaken = crystal.positions.map((x, k) => x + 0.1 * Math.sin(5 * k));
  const siShaken = stillingerWeber()({
    positions: shaken,
    box: crystal.box,
    species: new Uint32Array(64),
  });
  const siSum = siShaken.atomEnergies!.reduce((a, b) => a + b, 0);
  assert.ok(Math.abs(siSum - siShaken.energy) < 1e-12 * Math.abs(siShaken.energy));
  // The centre of an icosahedron has 12 neighbours, the surface atoms 6: it binds most.
  const centre = lennardJones()({ positions: icosahedron13(1.1), species: new Uint32Array(13) });
  assert.equal(centre.atomEnergies!.indexOf(Math.min(...centre.atomEnergies!)), 0);
});

Deno.test("a surface move puts the highest-energy atom on the outer shell, nothing else", () => {
  const x = icosahedron13(1.1);
  // Atom 7 pulled outward: its energy share is the highest.
  for (let k = 0; k < 3; k++) x[21 + k] *= 1.3;
  const { atomEnergies } = lennardJones()({ positions: x, species: new Uint32Array(13) });
  const top = atomEnergies!.indexOf(Math.max(...atomEnergies!));
  assert.equal(top, 7);
  const before = Float64Array.from(x);
  const offset = 0.5 * LJ13.bondLength;
  surfaceMove(
    { n: 13, x, rng: new Rng(3), species: LJ13.species },
    atomEnergies!,
    offset,
    SURFACE_TIE,
  );
  const centre = [0, 1, 2].map((k) =>
    before.filter((_, j) => j % 3 === k).reduce((a, b) => a + b) / 13
  );
  let radius = 0;
  for (let i = 0; i < 13; i++) {
    if (i === 7) continue;
    radius = Math.max(radius, Math.hypot(...[0, 1, 2].map((k) => before[3 * i + k] - centre[k])));
    for (let k = 0; k < 3; k++) assert.equal(x[3 * i + k], before[3 * i + k], `atom ${i} stays`);
  }
  const moved = Math.hypot(...[0, 1, 2].map((k) => x[21 + k] - centre[k]));
  assert.ok(Math.abs(moved - (radius + offset)) < 1e-12, `moved to ${moved}`);
  // Ties (the perfect icosahedron's 12 surface atoms) go to the lowest index: atom 1.
  const perfect = icosahedron13(1.1);
  const tied = lennardJones()({ positions: perfect, species: new Uint32Array(13) }).atomEnergies!;
  const copy = Float64Array.from(perfect);
  surfaceMove(
    { n: 13, x: copy, rng: new Rng(3), species: LJ13.species },
    tied,
    offset,
    SURFACE_TIE,
  );
  const changed = [...Array(13).keys()].filter((i) => copy[3 * i] !== perfect[3 * i]);
  assert.deepEqual(changed, [1]);
});

Deno.test("a cap rotation turns a cap of atoms rigidly about an axis through the centre", () => {
  const distance = (x: Float64Array, i: number, j: number) =>
    Math.hypot(x[3 * i] - x[3 * j], x[3 * i + 1] - x[3 * j + 1], x[3 * i + 2] - x[3 * j + 2]);
  const sizes = new Set<number>();
  for (let seed = 1; seed <= 20; seed++) {
    const x = icosahedron13(1.1).map((v, k) => v + 0.01 * Math.sin(5 * k));
    const before = Float64Array.from(x);
    const turned = capMove({ n: 13, x, rng: new Rng(seed), species: LJ13.species });
    const moved = Array.from({ length: 13 }, (_, i) => i).filter((i) =>
      [0, 1, 2].some((k) => Math.abs(x[3 * i + k] - before[3 * i + k]) > 1e-12)
    );
    assert.ok(turned >= 1 && moved.length <= turned, `seed ${seed}: ${turned}, ${moved}`);
    sizes.add(turned);
    // Rigid: distances within the cap, and within the rest, are kept; so is each turned atom's
    // distance from the centre (the cap turns about an axis through it).
    const centre = [0, 1, 2].map((k) =>
      before.filter((_, j) => j % 3 === k).reduce((a, b) => a + b) / 13
    );
    for (const i of moved) {
      for (const j of moved) {
        assert.ok(Math.abs(distance(x, i, j) - distance(before, i, j)) < 1e-12);
      }
      const r = (y: Float64Array) => Math.hypot(...[0, 1, 2].map((k) => y[3 * i + k] - centre[k]));
      assert.ok(Math.abs(r(x) - r(before)) < 1e-12);
    }
  }
  assert.ok(sizes.size >= 4, `cap sizes ${[...sizes]}`);
});

Deno.test("symmetrise: an icosahedron's displaced atom goes back to its inversion image", () => {
  const x = icosahedron13(1.1);
  const original = Float64Array.from(x);
  // Atom 7 pulled 0.88 outward: the least stable atom. Two inversion images are empty, its own
  // and its antipode's (atom 7's old site); the antipode is the more stable of the two.
  for (let k = 0; k < 3; k++) x[21 + k] *= 1.8;
  const { atomEnergies } = lennardJones()({ positions: x, species: new Uint32Array(13) });
  // A stream whose first draw picks inversion (element 0 of 7).
  let seed = 1;
  while (new Rng(seed).uniform24() >= 1 / 7) seed++;
  const moved = symmetriseMove(
    { n: 13, x, rng: new Rng(seed), species: LJ13.species },
    atomEnergies!,
    SYMMETRY_TOLERANCE * LJ13.bondLength,
  );
  assert.equal(moved, 7);
  const back = Math.hypot(...[0, 1, 2].map((k) => x[21 + k] - original[21 + k]));
  // Off by twice the centre of mass's shift (0.88 / 13 = 0.068, doubled by the inversion).
  assert.ok(back < 0.14, `${back}`);
  for (let i = 0; i < 13; i++) {
    if (i !== 7) {
      assert.deepEqual(x.subarray(3 * i, 3 * i + 3), original.subarray(3 * i, 3 * i + 3));
    }
  }
  // The perfect icosahedron has every inversion image occupied: not made.
  const perfect = icosahedron13(1.1);
  const shares = lennardJones()({ positions: perfect, species: new Uint32Array(13) }).atomEnergies!;
  const none = symmetriseMove(
    { n: 13, x: perfect, rng: new Rng(seed), species: LJ13.species },
    shares,
    SYMMETRY_TOLERANCE * LJ13.bondLength,
  );
  assert.equal(none, -1);
});

Deno.test("inversion: a centrosymmetric cluster stays put; a distorted one becomes centrosymmetric", () => {
  const rng = new Rng(1);
  const context = (x: Float64Array, species = LJ13.species) => ({ n: 13, x, rng, species });
  const perfect = icosahedron13(1.1);
  const kept = Float64Array.from(perfect);
  inversionMove(context(kept));
  kept.forEach((v, k) => assert.ok(Math.abs(v - perfect[k]) < 1e-12));
  // Every atom displaced by up to 0.1: the average with the inverted image is centrosymmetric
  // (each atom's image is an atom), within 0.1 of the icosahedron's sites, and the atoms stay
  // apart.
  const x = perfect.map((v, k) => v + 0.1 * Math.sin(7 * k + 1));
  inversionMove(context(x));
  const centre = [0, 1, 2].map((k) => x.filter((_, m) => m % 3 === k).reduce((a, b) => a + b) / 13);
  for (let i = 0; i < 13; i++) {
    const image = [0, 1, 2].map((k) => 2 * centre[k] - x[3 * i + k]);
    const nearest = Math.min(
      ...Array.from(
        { length: 13 },
        (_, j) => Math.hypot(...[0, 1, 2].map((k) => x[3 * j + k] - image[k])),
      ),
    );
    assert.ok(nearest < 1e-12, `atom ${i}: its image ${nearest} from the nearest atom`);
    const site = Math.hypot(...[0, 1, 2].map((k) => x[3 * i + k] - perfect[3 * i + k]));
    assert.ok(site < 0.1, `atom ${i} off its site by ${site}`);
  }
  // Two elements: images are claimed within an element. Atom 0 (the centre) of element 1 and the
  // shell of element 0: the centre stays at the centre whatever its neighbours.
  const species = Uint32Array.from({ length: 13 }, (_, i) => i === 0 ? 1 : 0);
  const alloy = perfect.map((v, k) => v + 0.05 * Math.cos(5 * k));
  inversionMove(context(alloy, species));
  const alloyCentre = [0, 1, 2].map((k) =>
    alloy.filter((_, m) => m % 3 === k).reduce((a, b) => a + b) / 13
  );
  assert.ok(Math.hypot(...[0, 1, 2].map((k) => alloy[k] - alloyCentre[k])) < 1e-12);
});

Deno.test("segregate: the estimate moves the more strongly bound element onto the better-bound site", () => {
  // Element 1 binds twice as strongly on average (mean shares -4 and -2).
  const species = [0, 0, 1, 1];
  const shares = [-3, -1, -5, -3];
  // Atom 0 (element 0, well bound) with atom 3 (element 1, weakly bound): r = 2, the estimate
  // -3 (2 - 1) + -3 (1/2 - 1) = -1.5; atom 1 with atom 2 the other way: -1 + 2.5 = +1.5.
  assert.ok(Math.abs(exchangeEstimate(shares, species, 0, 3) - -1.5) < 1e-12);
  assert.ok(Math.abs(exchangeEstimate(shares, species, 1, 2) - 1.5) < 1e-12);
  assert.ok(Math.abs(exchangeEstimate(shares, species, 3, 0) - -1.5) < 1e-12);
});

Deno.test("a uniform move displaces every coordinate by at most dr", () => {
  const x = icosahedron13(1.1);
  const before = Float64Array.from(x);
  uniformMove({ n: 13, x, rng: new Rng(4), species: LJ13.species }, 0.3);
  const d = x.map((v, k) => Math.abs(v - before[k]));
  assert.ok(d.every((v) => v <= 0.3) && d.some((v) => v > 0.2));
});

Deno.test("move weights: normalised, and refused unless non-negative with a positive sum", () => {
  assert.deepEqual(moveProbabilities({ uniform: 1, surface: 3 }), {
    uniform: 0.25,
    surface: 0.75,
    swap: 0,
    restart: 0,
    cap: 0,
    symmetrise: 0,
    segregate: 0,
    inversion: 0,
    bond_switch: 0,
    kick: 0,
  });
  for (const bad of [{}, { uniform: 0 }, { uniform: -1, surface: 2 }, { uniform: NaN }]) {
    assert.throws(() => moveProbabilities(bad), UserError, JSON.stringify(bad));
  }
  assert.throws(() => moveProbabilities({ jump: 1 } as never), UserError);
});

/** `system` relaxed by f64 `method` from `start` (with `step`) until its largest force is below
 * `fmax`, or 20,000 evaluations. */
function relax(
  method: "fire" | "lbfgs",
  start: Float64Array,
  { system = LJ13, fmax = 1e-6, step = 0.1 } = {},
): ReferenceReplica {
  const spec: MethodSpec = {
    local: localMethod(defaultLocalSettings(method, 0.2)),
    driver: { mode: "local", fmax },
    containerRadius: 0,
  };
  const replica = new ReferenceReplica(
    referenceContext(system, spec),
    start,
    { step, dr: 0, temperature: 0, seed: 1 },
    0,
  );
  replica.advanceTo(20_000);
  return replica;
}

Deno.test("L-BFGS relaxes a distorted icosahedron to -44.326801 in fewer evaluations than FIRE", () => {
  const start = icosahedron13(1.1).map((x, k) => x + 0.05 * Math.sin(7 * k));
  const lbfgs = relax("lbfgs", start);
  const fire = relax("fire", start);
  for (const replica of [lbfgs, fire]) {
    assert.equal(replica.status, "converged");
    assert.ok(Math.abs(replica.energy - LJ13_GLOBAL) < 1e-6, `${replica.energy}`);
  }
  console.log(`  evaluations to fmax 1e-6: L-BFGS ${lbfgs.evaluations}, FIRE ${fire.evaluations}`);
  assert.ok(lbfgs.evaluations < fire.evaluations / 2);
});

const SI64 = parseSystem("Si64");

/** Diamond Si64 relaxed by f64 L-BFGS from `start` to a largest force of 1e-5 eV/A. */
function relaxSilicon(start: Float64Array): ReferenceReplica {
  const replica = relax("lbfgs", start, { system: SI64, fmax: 1e-5, step: 0.01 });
  assert.equal(replica.status, "converged");
  return replica;
}

Deno.test("a bond switch in diamond silicon relaxes to a Wooten-Winer-Weaire defect: A-C and B-D bonded, every atom four-fold", () => {
  const crystal = diamondCrystal(2, 5.431);
  assert.equal(crystal.box, SI64.box);
  const c = {
    n: 64,
    x: Float64Array.from(crystal.positions),
    rng: new Rng(5),
    species: SI64.species,
    box: SI64.box,
  };
  const switched = bondSwitchMove(c, SI64.bondLength);
  assert.ok(switched !== null);
  const { a, b, c: cAtom, d } = switched;
  const relaxed = relaxSilicon(c.x);
  const after = { ...c, x: relaxed.x };
  const bonded = (i: number, j: number) => bondedTo(after, i, 1.25 * SI64.bondLength).includes(j);
  assert.ok(bonded(a, cAtom) && bonded(b, d), "A-C and B-D formed");
  assert.ok(!bonded(a, b) && !bonded(cAtom, d), "A-B and C-D broken");
  assert.ok(bonded(b, cAtom), "B-C kept");
  for (let i = 0; i < 64; i++) {
    assert.equal(bondedTo(after, i, 1.25 * SI64.bondLength).length, 4, `atom ${i} four-fold`);
  }
  // The defect costs a few eV over the crystal (64 x -4.3366 eV): two five- and two seven-fold
  // rings in place of six-fold ones.
  const cost = relaxed.energy - 64 * -4.3366;
  console.log(`  Wooten-Winer-Weaire defect in SW Si64: ${cost.toFixed(3)} eV above the crystal`);
  assert.ok(cost > 1 && cost < 5, `${cost}`);
});

Deno.test("a kick displaces the highest-energy atom and its four bonded neighbours by at most dr, nothing else", () => {
  const crystal = diamondCrystal(2, 5.431);
  const x = Float64Array.from(crystal.positions);
  // Atom 9 pushed off its site: its share is the highest.
  x[27] += 0.3;
  const potential = stillingerWeber();
  const { atomEnergies } = potential({ positions: x, box: SI64.box, species: SI64.species });
  assert.equal(atomEnergies!.indexOf(Math.max(...atomEnergies!)), 9);
  const before = Float64Array.from(x);
  const c = { n: 64, x, rng: new Rng(2), species: SI64.species, box: SI64.box };
  const dr = 0.4;
  const moved = kickMove(c, atomEnergies!, dr, SI64.bondLength);
  const neighbours = bondedTo({ ...c, x: before }, 9, 1.25 * SI64.bondLength);
  assert.equal(neighbours.length, 4);
  assert.deepEqual(moved, [9, ...neighbours].sort((p, q) => p - q));
  for (let i = 0; i < 64; i++) {
    const shift = separation(
      {
        ...c,
        x: Float64Array.of(...before.subarray(3 * i, 3 * i + 3), ...x.subarray(3 * i, 3 * i + 3)),
        n: 2,
      },
      0,
      1,
    );
    const largest = Math.max(...shift.map(Math.abs));
    if (moved.includes(i)) assert.ok(largest > 0 && largest <= dr, `atom ${i}: ${largest}`);
    else assert.equal(largest, 0, `atom ${i} stays`);
  }
});
