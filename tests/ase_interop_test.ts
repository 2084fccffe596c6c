/**
 * Extended XYZ both ways with ASE (`ase.io.read` / `ase.io.write`). Skipped where no Python with
 * ASE is found: $PYTHON, python3, then /usr/bin/python3 (where Debian's python3-ase installs).
 */
import assert from "node:assert/strict";
import {
  formatXyz,
  parseXyz,
  referencePotential,
  systemForStructure,
  type XyzFrame,
} from "../mod.ts";
import { runTaskFile } from "./helpers.ts";

async function findPythonWithAse(): Promise<string | undefined> {
  let fromEnv: string | undefined;
  try {
    fromEnv = Deno.env.get("PYTHON");
  } catch {
    // No --allow-env: only the default names.
  }
  for (const python of [fromEnv, "python3", "/usr/bin/python3"]) {
    if (python === undefined) continue;
    try {
      const command = new Deno.Command(python, {
        args: ["-c", "import ase"],
        stdout: "null",
        stderr: "null",
      });
      if ((await command.output()).success) return python;
    } catch {
      // Not installed, or no --allow-run.
    }
  }
  return undefined;
}

const PYTHON = await findPythonWithAse();
const ignore = PYTHON === undefined;

/** Runs a Python script (argv[1:] = args) and parses the JSON it prints. */
async function python(script: string, ...args: string[]): Promise<unknown> {
  const output = await new Deno.Command(PYTHON!, {
    args: ["-c", script, ...args],
    stdout: "piped",
    stderr: "piped",
  }).output();
  const decode = (bytes: Uint8Array) => new TextDecoder().decode(bytes);
  assert.ok(output.success, decode(output.stderr));
  return JSON.parse(decode(output.stdout));
}

function assertRelative(actual: number, expected: number, tolerance: number, label: string) {
  const scale = Math.max(Math.abs(expected), Number.MIN_VALUE);
  assert.ok(Math.abs(actual - expected) <= tolerance * scale, `${label}: ${actual} vs ${expected}`);
}

Deno.test({
  name: "ASE: an Au13 cluster ASE writes in a vacuum cell reads as a cluster",
  ignore,
  fn: async () => {
    const path = await Deno.makeTempFile({ suffix: ".xyz" });
    const written = await python(
      `
import json, sys
from ase.cluster import Icosahedron
from ase.io import write
atoms = Icosahedron("Au", noshells=2)
atoms.center(vacuum=8)
assert not atoms.pbc.any()
write(sys.argv[1], atoms)
print(json.dumps({"cell": atoms.cell.lengths().tolist(), "positions": atoms.positions.tolist()}))
`,
      path,
    ) as { cell: number[]; positions: number[][] };
    assert.ok(written.cell[0] > 16, "ASE gave the cluster a cell");
    const [frame] = parseXyz(await Deno.readTextFile(path), path);
    assert.equal(frame.box, undefined);
    assert.deepEqual(frame.symbols, Array(13).fill("Au"));
    frame.positions.forEach((x, k) =>
      assert.ok(Math.abs(x - written.positions[Math.floor(k / 3)][k % 3]) < 1e-7)
    );
    const system = systemForStructure(frame.symbols, frame.box);
    const expected = referencePotential(system.potential)({
      positions: frame.positions,
      species: system.species,
    }).energy;

    const { code, stdout, stderr } = await runTaskFile(
      "energy",
      ["--allow-read", "--allow-env"],
      [path, "--json"],
    );
    await Deno.remove(path);
    assert.equal(code, 0, stderr);
    const [result] = JSON.parse(stdout).frames;
    assert.equal(result.system, "Au13");
    assert.ok(Number.isFinite(result.reference.energy) && result.reference.energy < -30);
    assertRelative(result.reference.energy, expected, 1e-12, "f64 energy");
    assert.ok(Math.abs(result.webgpu.energy - expected) < 1e-3, `${result.webgpu.energy}`);
  },
});

Deno.test({
  name: "ASE: reads our energies, forces and cells (clusters: no pbc; boxes: pbc T T T)",
  ignore,
  fn: async () => {
    const forces = Float64Array.of(1.5e-9, -0.25, 3.0000000000000004, -2e-7, 0.1 + 0.2, 12.5);
    const frames: XyzFrame[] = [
      {
        symbols: ["Au", "Au"],
        positions: Float64Array.of(0, 0, 0, 0.1, 0.2, 2.9),
        forces,
        info: { rank: "1", energy: "-5.463242125901", fmax: "1.2e-9" },
      },
      {
        symbols: ["Si", "Si"],
        positions: Float64Array.of(0, 0, 0, 1.35775, 1.35775, 1.35775),
        forces: forces.map((f) => -f),
        box: 10.862,
        info: { energy: "-8.673" },
      },
    ];
    const path = await Deno.makeTempFile({ suffix: ".xyz" });
    await Deno.writeTextFile(path, formatXyz(frames));
    const read = await python(
      `
import json, sys
from ase.io import read
print(json.dumps([{
    "energy": atoms.get_potential_energy(),
    "forces": atoms.get_forces().tolist(),
    "positions": atoms.positions.tolist(),
    "pbc": atoms.pbc.tolist(),
    "cell": atoms.cell.tolist(),
    "symbols": atoms.get_chemical_symbols(),
    "rank": int(atoms.info["rank"]) if "rank" in atoms.info else None,
} for atoms in read(sys.argv[1], index=":")]))
`,
      path,
    ) as {
      energy: number;
      forces: number[][];
      positions: number[][];
      pbc: boolean[];
      cell: number[][];
      symbols: string[];
      rank: number | null;
    }[];
    await Deno.remove(path);
    assert.equal(read.length, 2);
    for (const [index, atoms] of read.entries()) {
      const frame = frames[index];
      assert.deepEqual(atoms.symbols, frame.symbols);
      assertRelative(atoms.energy, Number(frame.info.energy), 1e-9, `frame ${index} energy`);
      atoms.forces.flat().forEach((f, k) =>
        assertRelative(f, frame.forces![k], 1e-9, `frame ${index} force ${k}`)
      );
      atoms.positions.flat().forEach((x, k) => assert.ok(Math.abs(x - frame.positions[k]) < 1e-9));
    }
    const [cluster, periodic] = read;
    assert.deepEqual(cluster.pbc, [false, false, false]);
    assert.deepEqual(cluster.cell, [[0, 0, 0], [0, 0, 0], [0, 0, 0]]);
    assert.equal(cluster.rank, 1);
    assert.deepEqual(periodic.pbc, [true, true, true]);
    assert.deepEqual(periodic.cell, [[10.862, 0, 0], [0, 10.862, 0], [0, 0, 10.862]]);
  },
});
