/**
 * `deno task reference`: the pooled search's best is a real minimum (Cu4's is the relaxed
 * tetrahedron, every start of a 4-atom cluster falls into it), an entry is replaced only by a
 * lower energy, and mistakes are one line with status 2. The shipped data/pooled_minima.json
 * feeds the systems' known minima and training's references.
 */
import assert from "node:assert/strict";
import { runTaskFile } from "./helpers.ts";
import { parseSystem } from "../mod.ts";
import { refineStructure } from "../src/search/refine.ts";
import { POOLED, trainingReference } from "../src/potentials/known_minima.ts";

const PERMISSIONS = ["--allow-read", "--allow-write", "--allow-env"];

/** A regular tetrahedron of edge `a`. */
function tetrahedron(a: number): Float64Array {
  const h = a / Math.SQRT2 / 2;
  return Float64Array.from([h, h, h, -h, -h, h, -h, h, -h, h, -h, -h]);
}

Deno.test("reference: Cu4's pooled best is the tetrahedron; only a lower energy replaces it", async () => {
  const cu4 = parseSystem("Cu4");
  const expected = refineStructure(cu4, tetrahedron(cu4.bondLength)).energy;
  const dir = await Deno.makeTempDir();
  const file = `${dir}/pooled.json`;
  try {
    const args = ["Cu4", "--replicas", "4", "--max-evals", "300", "--file", file, "--json"];
    const first = await runTaskFile("reference", PERMISSIONS, args);
    assert.equal(first.code, 0, first.stderr);
    const written = JSON.parse(await Deno.readTextFile(file));
    const entry = written.minima.Cu4;
    assert.ok(Math.abs(entry.energy - expected) < 1e-6, `${entry.energy} vs ${expected}`);
    assert.deepEqual(
      [entry.method, entry.replicas, entry.evaluationsPerReplica, entry.seed],
      ["bh", 4, 300, 1],
    );
    assert.equal(JSON.parse(first.stdout).Cu4.kept, false);

    // A lower energy already recorded is kept.
    written.minima.Cu4.energy = expected - 1;
    await Deno.writeTextFile(file, JSON.stringify(written));
    const second = await runTaskFile("reference", PERMISSIONS, args);
    assert.equal(second.code, 0, second.stderr);
    assert.equal(JSON.parse(second.stdout).Cu4.kept, true);
    assert.match(second.stderr, /keeping the lower/);
    assert.equal(JSON.parse(await Deno.readTextFile(file)).minima.Cu4.energy, expected - 1);

    await Deno.writeTextFile(file, "{ not json");
    const broken = await runTaskFile("reference", PERMISSIONS, args);
    assert.equal(broken.code, 2);
    assert.match(broken.stderr, /not JSON/);
  } finally {
    await Deno.remove(dir, { recursive: true });
  }
});

Deno.test("reference CLI: systems with a known minimum, none named, bad flags: one line, status 2", async () => {
  for (
    const [args, message] of [
      [["LJ13"], /LJ13 has a known global minimum/],
      [[], /name at least one system/],
      [["Cu13", "--replicas", "0"], /--replicas must be an integer/],
      [["Xx3"], /unknown element/],
    ] as [string[], RegExp][]
  ) {
    const result = await runTaskFile("reference", PERMISSIONS, args);
    assert.equal(result.code, 2, args.join(" "));
    assert.equal(result.stderr.trim().split("\n").length, 1, result.stderr);
    assert.match(result.stderr, message);
  }
});

Deno.test("shipped pooled minima: converged entries that training measures against", () => {
  assert.ok(Object.keys(POOLED).length > 0);
  for (const [name, entry] of Object.entries(POOLED)) {
    const system = parseSystem(name);
    assert.equal(system.name, name, "keys are canonical names");
    const reference = trainingReference(system.known);
    assert.equal(reference?.kind, "pooled-best", name);
    assert.equal(reference?.energy, entry.energy);
    // Bound per atom: Cleri-Rosato clusters bind 2 to 6 eV per atom.
    const perAtom = entry.energy / system.nAtoms;
    assert.ok(perAtom < -2 && perAtom > -7, `${name}: ${perAtom} eV/atom`);
  }
  // A putative global minimum comes first.
  assert.equal(trainingReference(parseSystem("LJ13").known)?.kind, "putative-global");
  assert.equal(trainingReference(parseSystem("Cu55").known), undefined);
});
