/** System names, known minima and seeded random starting structures. */
import assert from "node:assert/strict";
import { MAX_ATOMS, parseSystem, randomStructure, randomStructures, UserError } from "../mod.ts";
import { Rng } from "../src/core/rng.ts";
import { clusterRadius, MIN_DISTANCE_FACTOR } from "../src/systems/random_structures.ts";

Deno.test("system names: LJ, mono- and bimetallic Gupta, SW silicon with settings", () => {
  const lj = parseSystem("LJ38");
  assert.equal(lj.potential.kind, "lj");
  assert.equal(lj.nAtoms, 38);
  assert.equal(lj.box, undefined);
  assert.deepEqual(
    lj.known.map((k) => [k.energy, k.kind]),
    [[-173.928427, "putative-global"], [-173.252378, "local"]],
  );

  const alloy = parseSystem("Ag27Au28");
  assert.equal(alloy.potential.kind, "gupta");
  assert.deepEqual(alloy.elements, ["Ag", "Au"]);
  assert.equal(alloy.species.filter((s) => s === 1).length, 28);
  assert.equal(alloy.species[26], 0);
  assert.equal(alloy.species[27], 1);
  if (alloy.potential.kind !== "gupta") throw new Error("unreachable");
  assert.equal(alloy.potential.params.pairs[0][1].A, 0.149);
  assert.equal(alloy.potential.params.cutoff, Infinity);

  const gold = parseSystem("Au55");
  assert.equal(gold.known.find((k) => k.description === "Mackay icosahedron")?.energy, -190.727416);
  const preset = parseSystem("Au55@set=jaxmd-gold");
  if (preset.potential.kind !== "gupta") throw new Error("unreachable");
  assert.equal(preset.potential.params.cutoff, 8);

  const si = parseSystem("Si64");
  assert.equal(si.potential.kind, "sw");
  assert.ok(Math.abs(si.box! - 10.862) < 1e-12);
  const si11 = parseSystem("Si64@L=11.0,threebody=1.5");
  assert.equal(si11.box, 11);
  if (si11.potential.kind !== "sw") throw new Error("unreachable");
  assert.equal(si11.potential.params.threeBodyStrength, 1.5);
  assert.deepEqual(si11.known.map((k) => k.kind), [], "no known minima for a modified potential");
});

Deno.test("system names: Morse clusters take ASE's defaults unless told otherwise", () => {
  const m = parseSystem("M38");
  assert.equal(m.potential.kind, "morse");
  assert.deepEqual(m.potential.params, { epsilon: 1, r0: 1, rho0: 6, rcut1: 1.9, rcut2: 2.7 });
  assert.equal(m.bondLength, 1);
  assert.deepEqual(m.known, []);
  const wide = parseSystem("M38@rho0=3,r0=1.5,L=9");
  assert.deepEqual(wide.potential.params, { epsilon: 1, r0: 1.5, rho0: 3, rcut1: 1.9, rcut2: 2.7 });
  assert.equal(wide.box, 9);
  assert.equal(wide.bondLength, 1.5);
});

Deno.test("system names: mistakes are UserErrors that name the problem", () => {
  const bad: [string, RegExp][] = [
    ["LJ", /expected a formula/],
    ["lj38", /expected a formula/],
    ["Xx13", /unknown element 'Xx'/],
    ["LJ1", /supported are 2 to/],
    [`LJ${MAX_ATOMS + 1}`, /supported are 2 to/],
    ["Si64@L=7.0", /smaller than twice the cutoff/],
    ["Si64@L=abc", /L must be a number from 1e-12 to 1000000, got 'abc'$/],
    ["Si64@L=0x20", /L must be a number from 1e-12 to 1000000, got '0x20'$/],
    ["Si64@L=1e39", /L must be a number from 1e-12 to 1000000, got '1e39'$/],
    ["Si64@threebody=-1", /threebody must be a number from 1e-12/],
    // Named once, not twice ("system 'Au13@cutoff=-3': system 'Au13@cutoff=-3': ...").
    ["Au13@cutoff=-3", /^system 'Au13@cutoff=-3': cutoff must be a number from 1e-12/],
    ["Si64@box=11", /unknown setting 'box'/],
    ["Au55@set=nope", /unknown Gupta parameter set/],
    ["Ag27Au28@set=jaxmd-gold", /unknown element 'Ag'/],
    ["Cu10Au10", /no Gupta parameters for Cu-Au/],
    ["Au55@L=20", /finite cutoff/],
    ["LJ13@L=10", /cannot be periodic/],
    ["Au5Au5", /appears twice/],
    ["LJ5Au5", /cannot be mixed/],
    ["M5LJ5", /cannot be mixed/],
    ["M13@rcut1=3,rcut2=2", /^system 'M13@rcut1=3,rcut2=2': rcut2 \(2\) must exceed rcut1 \(3\)$/],
    ["M13@L=5", /smaller than twice the cutoff/],
    ["M13@set=jaxmd-gold", /unknown setting 'set' \(allowed: L, epsilon, r0, rho0, rcut1, rcut2\)/],
    ["M13@rho0=-6", /rho0 must be a number from 1e-12/],
  ];
  for (const [name, message] of bad) {
    assert.throws(
      () => parseSystem(name),
      (e) => e instanceof UserError && message.test(e.message),
    );
  }
});

Deno.test("Rng: a fixed seed gives a fixed stream, on every machine", () => {
  // Pinned values: a change here changes every seeded structure users have recorded.
  const rng = new Rng(1);
  assert.deepEqual(
    [rng.nextUint32(), rng.nextUint32(), rng.nextUint32()],
    PINNED_STREAM,
  );
  const uniform = new Rng(7, 3);
  for (let k = 0; k < 1000; k++) {
    const u = uniform.uniform();
    assert.ok(u >= 0 && u < 1);
  }
  assert.notDeepEqual(new Rng(1, 0).nextUint32(), new Rng(1, 1).nextUint32());
});

Deno.test("random clusters: seeded, in the documented sphere, no two atoms too close", () => {
  const system = parseSystem("Ag27Au28");
  const a = randomStructures(system, 42, 5);
  assert.deepEqual(randomStructures(system, 42, 5), a, "same seed, same structures");
  assert.deepEqual(randomStructure(system, 42, 3), a.subarray(3 * 55 * 3, 3 * 55 * 4));
  assert.notDeepEqual(randomStructures(system, 43, 5), a);
  const radius = clusterRadius(55, system.bondLength);
  const minDistance = MIN_DISTANCE_FACTOR * system.bondLength;
  for (let r = 0; r < 5; r++) {
    const x = randomStructure(system, 42, r);
    for (let i = 0; i < 55; i++) {
      assert.ok(Math.hypot(x[3 * i], x[3 * i + 1], x[3 * i + 2]) <= radius);
      for (let j = 0; j < i; j++) {
        const d = Math.hypot(
          x[3 * i] - x[3 * j],
          x[3 * i + 1] - x[3 * j + 1],
          x[3 * i + 2] - x[3 * j + 2],
        );
        assert.ok(d >= minDistance);
      }
    }
  }
});

Deno.test("random silicon: inside the box, minimum-image distances respected", () => {
  const system = parseSystem("Si64");
  const x = randomStructure(system, 1);
  const box = system.box!;
  assert.ok(x.every((v) => v >= 0 && v < box));
  const minDistance = MIN_DISTANCE_FACTOR * system.bondLength;
  for (let i = 0; i < 64; i++) {
    for (let j = 0; j < i; j++) {
      let r2 = 0;
      for (let k = 0; k < 3; k++) {
        const d = x[3 * i + k] - x[3 * j + k];
        r2 += (d - box * Math.round(d / box)) ** 2;
      }
      assert.ok(Math.sqrt(r2) >= minDistance);
    }
  }
});

const PINNED_STREAM = [2466671647, 704075991, 1425070668];
