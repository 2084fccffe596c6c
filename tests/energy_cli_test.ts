/** `deno task energy` end to end: real files in, energies out, one-line errors for mistakes. */
import assert from "node:assert/strict";
import { formatXyz } from "../mod.ts";
import { diamondCrystal, icosahedron13, minimize1d, runTaskFile } from "./helpers.ts";
import { lennardJones } from "../mod.ts";

function energy(...args: string[]) {
  return runTaskFile("energy", ["--allow-read", "--allow-env"], args);
}

async function writeTemp(text: string): Promise<string> {
  const path = await Deno.makeTempFile({ suffix: ".xyz" });
  await Deno.writeTextFile(path, text);
  return path;
}

Deno.test("energy --json: LJ13 icosahedron and diamond Si64, both backends", async () => {
  const radius = minimize1d(
    (r) => lennardJones()({ positions: icosahedron13(r), species: new Uint32Array(13) }).energy,
    1,
    1.2,
  );
  const crystal = diamondCrystal(2, 5.431);
  const path = await writeTemp(formatXyz([
    { symbols: Array(13).fill("LJ"), positions: icosahedron13(radius), info: {} },
    { symbols: Array(64).fill("Si"), positions: crystal.positions, box: crystal.box, info: {} },
  ]));
  const { code, stdout } = await energy(path, "--json");
  assert.equal(code, 0);
  const report = JSON.parse(stdout);
  assert.equal(typeof report.adapter, "string");
  const [lj, si] = report.frames;
  assert.equal(lj.system, "LJ13");
  assert.ok(Math.abs(lj.reference.energy - -44.326801) < 1e-6);
  assert.ok(Math.abs(lj.webgpu.energy - -44.326801) < 1e-4);
  assert.equal(lj.reference.forces.length, 13);
  assert.ok(lj.reference.maxForce < 1e-6);
  assert.equal(si.system, "Si64@L=10.862");
  assert.ok(Math.abs(si.reference.energy / 64 - -4.3366) < 5e-6);
  assert.ok(Math.abs(si.webgpu.energy / 64 - -4.3366) < 1e-5);
  await Deno.remove(path);
});

Deno.test("energy: Gupta parameter set by name, human-readable output", async () => {
  const path = await writeTemp("3\n\nAu 0 0 0\nAu 0 0 2.9\nAu 0 2.9 2.9\n");
  const { code, stdout } = await energy(path, "--params", "jaxmd-gold", "--cpu-only");
  assert.equal(code, 0);
  assert.match(stdout, /Au3@set=jaxmd-gold/);
  assert.match(stdout, /energy -5\.463242126/);
  await Deno.remove(path);
});

Deno.test("energy: user mistakes are one line on stderr with exit status 2", async () => {
  const cases: [string, string[], RegExp][] = [
    ["2\n\nAu 0 0 0\nAu 0 0\n", [], /:4: expected 4 columns/],
    ["2\n\nXx 0 0 0\nXx 0 0 3\n", [], /unknown element 'Xx'/],
    ['2\nLattice="6 0 0 0 6 0 0 0 6"\nSi 0 0 0\nSi 1 1 1\n', [], /smaller than twice the cutoff/],
    ["2\n\nSi 0 0 0\nSi 1 1 1\n", [], /needs a periodic box/],
    ["2\n\nAu 0 0 0\nAu 0 0 3\n", ["--potential", "eam"], /--potential must be one of/],
    ["2\n\nAu 0 0 0\nAu 0 0 3\n", ["--frobnicate"], /Unknown option/],
  ];
  for (const [text, args, message] of cases) {
    const path = await writeTemp(text);
    const { code, stderr, stdout } = await energy(path, ...args, "--cpu-only");
    assert.equal(code, 2, `${args} ${stderr}`);
    assert.equal(stdout, "");
    assert.match(stderr, message);
    assert.equal(stderr.trim().split("\n").length, 1, stderr);
    assert.doesNotMatch(stderr, /\n\s+at /, "no stack trace");
    await Deno.remove(path);
  }
  const missing = await energy("/nonexistent/file.xyz");
  assert.equal(missing.code, 2);
  assert.match(missing.stderr, /cannot read/);
});

Deno.test("energy --help", async () => {
  const { code, stdout } = await energy("--help");
  assert.equal(code, 0);
  assert.match(stdout, /Usage: deno task energy FILE.xyz/);
});
