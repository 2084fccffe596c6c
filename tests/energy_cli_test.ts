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

Deno.test("energy --potential morse: any element as Morse particles, ASE's defaults or given", async () => {
  // Three atoms on a line, 1 and 2 apart: pairs at 1, 2 and 3 r0. With ASE's defaults (rho0 6,
  // switch from 1.9 to 2.7 r0) the pair at 2 is switched, the pair at 3 is cut.
  const path = await writeTemp("3\n\nCu 0 0 0\nCu 1 0 0\nCu 3 0 0\n");
  const morse = (r: number, rho0: number, rcut1: number, rcut2: number) => {
    const e = Math.exp(rho0 * (1 - r));
    const t = Math.min(1, Math.max(0, 1 - (r - rcut1) / (rcut2 - rcut1)));
    return e * (e - 2) * t ** 3 * (6 * t ** 2 - 15 * t + 10);
  };
  const line = (rho0: number, rcut2: number) =>
    [1, 2, 3].reduce((sum, r) => sum + morse(r, rho0, 1.9, rcut2), 0);
  const defaults = await energy(path, "--potential", "morse", "--json");
  assert.equal(defaults.code, 0, defaults.stderr);
  const [frame] = JSON.parse(defaults.stdout).frames;
  assert.equal(frame.system, "M3");
  assert.ok(Math.abs(frame.reference.energy - line(6, 2.7)) < 1e-14, frame.reference.energy);
  assert.ok(Math.abs(frame.webgpu.energy - line(6, 2.7)) < 1e-5, frame.webgpu.energy);
  const given = await energy(
    path,
    "--potential",
    "morse",
    "--params",
    "rho0=3,rcut2=3.5",
    "--cpu-only",
  );
  assert.equal(given.code, 0, given.stderr);
  assert.match(given.stdout, /M3@rho0=3,rcut2=3\.5/);
  assert.ok(given.stdout.includes(`energy ${line(3, 3.5).toFixed(9)}`), given.stdout);
  await Deno.remove(path);
});

Deno.test("energy: user mistakes are one line on stderr with exit status 2", async () => {
  const cases: [string, string[], RegExp][] = [
    ["2\n\nAu 0 0 0\nAu 0 0\n", [], /:4: expected 4 columns/],
    ["2\n\nXx 0 0 0\nXx 0 0 3\n", [], /unknown element 'Xx'/],
    ["2\n\nX 0 0 0\nAu 0 0 3\n", [], /the elements X, Au belong to different potentials/],
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
  assert.match(missing.stderr, /^error: \/nonexistent\/file\.xyz \(an XYZ file\): no such file\n$/);
});

/** Runs energy on `input` (text, or bytes written as they are) and checks the one-line refusal. */
async function refused(input: string | Uint8Array, args: string[], message: RegExp) {
  const path = await Deno.makeTempFile({ suffix: ".xyz" });
  await Deno.writeFile(path, typeof input === "string" ? new TextEncoder().encode(input) : input);
  const { code, stdout, stderr } = await energy(path, ...args);
  await Deno.remove(path);
  assert.equal(code, 2, stderr);
  assert.equal(stdout, "");
  assert.match(stderr, message);
  assert.equal(stderr.trim().split("\n").length, 1, stderr);
  return stderr;
}

Deno.test("energy: devices, binary files and huge headers are refused at once", async () => {
  const zero = await energy("/dev/zero", "--cpu-only");
  assert.equal(zero.code, 2);
  assert.match(zero.stderr, /^error: \/dev\/zero \(an XYZ file\): not a regular file$/m);
  // Like an ASE .traj: a binary header with NUL bytes.
  const binary = Uint8Array.from([..."- of Ulm\0\0\0\0\x03\0\0\0"].map((c) => c.charCodeAt(0)));
  await refused(binary, [], /\(an XYZ file\): a binary file, not text$/m);
  await refused(
    "999999999999\n\nAu 0 0 0\n",
    [],
    /:1: the header says 999999999999 atoms; at most/,
  );
  // A text file of 3 KB junk on one line: the message says what was expected, quoting none of it.
  const stderr = await refused(
    "\x7f\x01".repeat(1500),
    [],
    /:1: expected the atom count \(a positive whole number alone on its line\)$/m,
  );
  assert.ok(stderr.length < 200, stderr);
});

Deno.test("energy: a non-finite energy or force names the frame and the closest pair", async () => {
  // Gupta: finite energy, NaN forces; refused before the GPU starts (--json keeps the adapter
  // line off stderr).
  const gold = "3\n\nAu 0 0 0\nAu 0 0 0\nAu 0 2.9 2.9\n";
  for (const args of [["--json"], ["--cpu-only"]]) {
    const stderr = await refused(
      gold,
      args,
      /frame 1: the f64 reference energy or forces are not finite; overlapping atoms\? /,
    );
    assert.match(stderr, /\(closest pair: atoms 1 and 2, 0\.00 apart\)$/m);
  }
  // LJ: the energy itself is NaN; the bad frame is the second.
  const lj = "2\n\nX 0 0 0\nX 0 0 1.12\n3\n\nX 0 0 0\nX 1 1 1\nX 1 1 1\n";
  await refused(
    lj,
    ["--cpu-only"],
    /frame 2: the f64 reference energy or forces are not finite; .*atoms 2 and 3, 0\.00 apart/,
  );
  // The GPU check: 64 Si within 3.9 A of each other (SW cutoff 3.77 A) is finite in f64, but
  // overflows the kernel's neighbour lists, which makes its energy NaN.
  const grid = Array.from({ length: 64 }, (_, i) => {
    const [a, b, c] = [i % 4, Math.floor(i / 4) % 4, Math.floor(i / 16)];
    return `Si ${1 + 0.75 * a} ${1 + 0.75 * b} ${1 + 0.75 * c}`;
  });
  const dense = `64\nLattice="10.862 0 0 0 10.862 0 0 0 10.862" pbc="T T T"\n${grid.join("\n")}\n`;
  const cpu = await writeTemp(dense);
  const reference = await energy(cpu, "--cpu-only");
  await Deno.remove(cpu);
  assert.equal(reference.code, 0, reference.stderr);
  const stderr = await refused(
    dense,
    ["--json"],
    /frame 1: the GPU energy or forces are not finite; overlapping atoms, or more neighbours /,
  );
  assert.match(stderr, /\(closest pair: atoms \d+ and \d+, 0\.750 apart\)$/m);
});

Deno.test("energy --help", async () => {
  const { code, stdout } = await energy("--help");
  assert.equal(code, 0);
  assert.match(stdout, /Usage: deno task energy FILE.xyz/);
});
