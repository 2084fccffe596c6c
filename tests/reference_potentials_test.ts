/**
 * The f64 reference potentials against literature values, and their forces against central
 * finite differences on random structures.
 */
import assert from "node:assert/strict";
import {
  diamondBox,
  gupta,
  guptaParams,
  lennardJones,
  morse,
  parseSystem,
  POTENTIALS,
  randomStructure,
  referencePotential,
  SILICON,
  stillingerWeber,
} from "../mod.ts";
import {
  diamondCrystal,
  fccCrystal,
  finiteDifferenceForces,
  icosahedron13,
  maxAbs,
  maxAbsDifference,
  minimize1d,
} from "./helpers.ts";

Deno.test("LJ dimer: minimum -1 at r = 2^(1/6), force zero there", () => {
  const r = 2 ** (1 / 6);
  const result = lennardJones()({ positions: [0, 0, 0, r, 0, 0], species: [0, 0] });
  assert.ok(Math.abs(result.energy + 1) < 1e-15);
  assert.ok(maxAbs(result.forces) < 1e-13);
});

Deno.test("LJ13 icosahedron relaxes to the CCD global minimum -44.326801", () => {
  // The Ih structure has one free parameter, the radius; its minimum is a stationary point.
  const energy = (radius: number) =>
    lennardJones()({ positions: icosahedron13(radius), species: new Uint32Array(13) }).energy;
  const radius = minimize1d(energy, 1.0, 1.2);
  assert.ok(Math.abs(energy(radius) - -44.326801) < 1e-6, `E = ${energy(radius)}`);
  const forces = lennardJones()({ positions: icosahedron13(radius), species: new Uint32Array(13) })
    .forces;
  assert.ok(maxAbs(forces) < 1e-6, `max force ${maxAbs(forces)}`);
});

Deno.test("Morse dimer: minimum -epsilon at r0; ASE's switch is smooth at rcut1, zero at rcut2", () => {
  const params = { epsilon: 0.7, r0: 1.3, rho0: 6, rcut1: 1.9, rcut2: 2.7 };
  const dimer = (r: number) => morse(params)({ positions: [0, 0, 0, r, 0, 0], species: [0, 0] });
  assert.ok(Math.abs(dimer(1.3).energy + 0.7) < 1e-15);
  assert.ok(maxAbs(dimer(1.3).forces) < 1e-13);
  // Inside rcut1 r0 the switch is 1: the plain Morse pair.
  const e = Math.exp(6 * (1 - 2.0 / 1.3));
  assert.ok(Math.abs(dimer(2.0).energy - 0.7 * e * (e - 2)) < 1e-15);
  // Value and slope continuous where the switch starts and ends; nothing beyond it.
  for (const r of [1.9 * 1.3, 2.7 * 1.3]) {
    const [below, above] = [dimer(r - 1e-9), dimer(r + 1e-9)];
    assert.ok(Math.abs(below.energy - above.energy) < 1e-10, `energy jumps at ${r}`);
    assert.ok(Math.abs(below.forces[3] - above.forces[3]) < 1e-7, `force jumps at ${r}`);
  }
  assert.equal(dimer(2.7 * 1.3 + 1e-6).energy, 0);
});

Deno.test("Morse: the M6 octahedron relaxes to Doye & Wales' -12.4878 (rho0 6), -13.5442 (rho0 3)", () => {
  // J. P. K. Doye, PhD thesis (Cambridge, 1996), table 2.2: Morse clusters without a cutoff (a
  // switch beyond the cluster changes nothing). The Oh octahedron, vertices at +-a on the axes,
  // has one free parameter; its minimum is a stationary point.
  for (const [rho0, expected] of [[6, -12.4878], [3, -13.5442]]) {
    const energy = morse({ epsilon: 1, r0: 1, rho0, rcut1: 100, rcut2: 101 });
    const octahedron = (a: number) => ({
      positions: [a, 0, 0, -a, 0, 0, 0, a, 0, 0, -a, 0, 0, 0, a, 0, 0, -a],
      species: new Uint32Array(6),
    });
    const a = minimize1d((a) => energy(octahedron(a)).energy, 0.5, 0.9);
    const { energy: e, forces } = energy(octahedron(a));
    assert.ok(Math.abs(e - expected) < 5e-5, `rho0 ${rho0}: E = ${e}`);
    assert.ok(maxAbs(forces) < 1e-6, `rho0 ${rho0}: max force ${maxAbs(forces)}`);
  }
});

Deno.test("Gupta: JAX MD's gold preset gives its three-atom value -5.4632421255957135", () => {
  const params = guptaParams(["Au"], "jaxmd-gold");
  const positions = [0, 0, 0, 0, 0, 2.9, 0, 2.9, 2.9];
  const { energy } = gupta(params)({ positions, species: [0, 0, 0] });
  assert.ok(Math.abs(energy - -5.4632421255957135) < 1e-12, `E = ${energy}`);
});

Deno.test("Gupta: Cleri-Rosato fcc cohesive energies summed to the 5th neighbour shell", () => {
  // Cleri & Rosato, PRB 48, 22 (1993): a = r0 sqrt(2); the cutoff lies between the 5th shell
  // (r0 sqrt(5)) and the 6th (r0 sqrt(6)). A 5x5x5-cell box (500 atoms) exceeds twice the cutoff.
  const expected: Record<string, number> = {
    Au: -3.779,
    Ag: -2.96,
    Cu: -3.544,
    Pt: -5.853,
    Pd: -3.936,
    Ni: -4.432,
  };
  for (const [element, cohesive] of Object.entries(expected)) {
    const r0 = guptaParams([element]).pairs[0][0].r0;
    const cutoff = r0 * (Math.sqrt(5) + Math.sqrt(6)) / 2;
    const crystal = fccCrystal(5, r0 * Math.SQRT2);
    const n = crystal.positions.length / 3;
    const result = gupta(guptaParams([element], "cleri-rosato", cutoff))({
      ...crystal,
      species: new Uint32Array(n),
    });
    assert.ok(
      Math.abs(result.energy / n - cohesive) < 6e-4,
      `${element}: ${result.energy / n} eV/atom, expected ${cohesive}`,
    );
    assert.ok(maxAbs(result.forces) < 1e-10, `${element}: a perfect crystal feels no force`);
  }
});

Deno.test("SW: diamond silicon at a = 5.428 with epsilon 2.16826 is -4.336503155764325 eV/atom", () => {
  const crystal = diamondCrystal(2, 5.428);
  const n = crystal.positions.length / 3;
  const result = stillingerWeber({ ...SILICON, epsilon: 2.16826 })({
    ...crystal,
    species: new Uint32Array(n),
  });
  assert.ok(Math.abs(result.energy / n - -4.336503155764325) < 1e-12, `${result.energy / n}`);
  assert.ok(maxAbs(result.forces) < 1e-10);
});

Deno.test("SW: diamond at a = 5.431 (Si64's default box) is -4.33660 eV/atom, the known value", () => {
  const system = parseSystem("Si64");
  assert.ok(Math.abs(system.box! - 10.862) < 1e-12);
  const crystal = diamondCrystal(2, 5.431);
  const { energy } = referencePotential(system.potential)({ ...crystal, species: system.species });
  assert.ok(Math.abs(energy / 64 - -4.3366) < 5e-6, `${energy / 64}`);
  assert.equal(system.known[0].kind, "putative-global");
  assert.ok(Math.abs(system.known[0].energy - energy) < 64 * 5e-6);
});

Deno.test("SW: the three-body strength scales only the three-body energy", () => {
  const system = parseSystem("Si64");
  const structure = { positions: randomStructure(system, 3), species: system.species, box: 10.862 };
  const energy = (s: number) =>
    stillingerWeber({ ...SILICON, threeBodyStrength: s })(structure).energy;
  const [e0, e1, e2] = [energy(0), energy(1), energy(2)];
  assert.ok(e1 - e0 > 1, "random Si has a positive three-body energy");
  assert.ok(Math.abs((e2 - e0) - 2 * (e1 - e0)) < 1e-9);
});

Deno.test("forces are the negative gradient (central finite differences)", () => {
  // h = 1e-5 puts the truncation error (h^2 E''' ~ 1e-10 relative) and the rounding error
  // (1e-16 E / h ~ 1e-11 |E|) both far below the tolerance.
  const cases = [
    { name: "LJ13", h: 1e-5 },
    { name: "LJ38", h: 1e-5 },
    { name: "Au20", h: 1e-5 },
    { name: "Ag7Au6", h: 1e-5 },
    { name: "Pd9Pt10", h: 1e-5 },
    { name: "Au13@cutoff=5.0,L=30", h: 1e-5 },
    { name: "Si64", h: 1e-5 },
    { name: "Si64@threebody=1.5", h: 1e-5 },
    { name: `Si30@L=${diamondBox(30)}`, h: 1e-5 },
    { name: "M13", h: 1e-5 },
    { name: "M38@rho0=3", h: 1e-5 },
    { name: "M64@L=8", h: 1e-5 },
    // Most pairs within the switch.
    { name: "M20@rcut1=1.2,rcut2=1.6", h: 1e-5 },
    // Every registered potential's example system, so that a new potential is tested here.
    ...POTENTIALS.map((entry) => ({ name: entry.naming.example, h: 1e-5 })),
  ];
  for (const { name, h } of cases) {
    const system = parseSystem(name);
    for (const seed of [1, 2]) {
      const structure = {
        positions: randomStructure(system, seed),
        species: system.species,
        box: system.box,
      };
      const energy = referencePotential(system.potential);
      const { forces } = energy(structure);
      const numeric = finiteDifferenceForces(energy, structure, h);
      const error = maxAbsDifference(forces, numeric);
      assert.ok(
        error < 1e-6 * Math.max(1, maxAbs(forces)),
        `${name} seed ${seed}: max |F - F_fd| = ${error}, max |F| = ${maxAbs(forces)}`,
      );
    }
  }
});

Deno.test("periodic energies do not depend on which image an atom is given in", () => {
  const system = parseSystem("Si64");
  const positions = randomStructure(system, 5);
  const energy = referencePotential(system.potential);
  const before = energy({ positions, species: system.species, box: system.box });
  const shifted = Float64Array.from(positions, (x, k) => x + (k % 3 === 1 ? system.box! : 0));
  const after = energy({ positions: shifted, species: system.species, box: system.box });
  assert.ok(Math.abs(before.energy - after.energy) < 1e-9);
});
