/**
 * Cross-checks of the f64 reference potentials against independent codes from Debian packages:
 *   - Lennard-Jones clusters against ASE's `LennardJones` calculator (python3-ase),
 *   - Morse clusters and boxes against ASE's `MorsePotential` (its defaults, and other settings),
 *   - Stillinger-Weber silicon in periodic boxes against LAMMPS `pair_style sw` (lammps).
 * The unit tests check our potentials against finite differences and known minima; those cannot
 * catch a wrong formula that is consistently differentiated (a misplaced sigma, a three-body term
 * counted twice, a wrong minimum image). Codes written by other people can.
 *
 * Each check is skipped (Deno.test `ignore`) when its tool is not installed; nothing uses the
 * network. All files go to a temporary directory that is removed afterwards.
 *
 * Tolerances. Both sides evaluate the same closed forms in f64, and numbers cross process
 * boundaries exactly (shortest round-trip decimal for JSON and LAMMPS data files, %.17g back), so
 * the only differences are summation order and the algebraic arrangement of each term: a few ulps
 * of the largest term times the number of terms. That is ~1e-13 relative here, so:
 *   - LJ (ASE): energy 1e-9 relative, forces 1e-8 absolute (reduced units; forces reach ~100).
 *     ASE subtracts the pair energy at its cutoff rc from every pair inside rc; with rc = 1000
 *     that is -4e-18 per pair, and it is added back exactly anyway.
 *   - SW (LAMMPS): energy 1e-8 relative, forces 1e-7 eV/A absolute. LAMMPS evaluates pairs through
 *     ghost atoms (x + L) rather than the minimum image, which rounds positions differently by
 *     ~1e-15 A; still far below these bounds.
 * These bounds are loose enough to be robust yet ~5 orders below any modelling error (e.g.
 * epsilon 2.1683 vs 2.16826 is a 2e-5 relative change).
 */
import assert from "node:assert/strict";
import { parseSystem, randomStructure, referencePotential, type System } from "../mod.ts";

const PYTHON = "/usr/bin/python3";
const LAMMPS = "lmp";
/** Open MPI refuses to start as root without these; harmless otherwise. */
const LAMMPS_ENV = { OMPI_ALLOW_RUN_AS_ROOT: "1", OMPI_ALLOW_RUN_AS_ROOT_CONFIRM: "1" };

/** Whether `command args` runs and exits 0; false when the program is not installed. */
async function runsOk(command: string, args: string[], env?: Record<string, string>) {
  try {
    const { success } = await new Deno.Command(command, {
      args,
      env,
      stdin: "null",
      stdout: "null",
      stderr: "null",
    }).output();
    return success;
  } catch (error) {
    if (error instanceof Deno.errors.NotFound) return false;
    throw error;
  }
}

const hasAse = await runsOk(PYTHON, ["-c", "import ase.calculators.lj"]);
const hasLammps = await runsOk(LAMMPS, ["-h"], LAMMPS_ENV);

/** Runs a command to completion; throws with its stderr when it fails. */
async function run(command: string, args: string[], cwd: string, env?: Record<string, string>) {
  const out = await new Deno.Command(command, {
    args,
    cwd,
    env,
    stdin: "null",
    stdout: "piped",
    stderr: "piped",
  }).output();
  const decoder = new TextDecoder();
  const stdout = decoder.decode(out.stdout);
  if (!out.success) {
    throw new Error(
      `${command} ${args.join(" ")} failed (exit ${out.code}):\n${stdout.slice(-4000)}\n${
        decoder.decode(out.stderr).slice(-4000)
      }`,
    );
  }
  return stdout;
}

async function withTempDir<T>(body: (dir: string) => Promise<T>): Promise<T> {
  const dir = await Deno.makeTempDir({ prefix: "learn2hop_cross_check_" });
  try {
    return await body(dir);
  } finally {
    await Deno.remove(dir, { recursive: true });
  }
}

interface Case {
  label: string;
  system: System;
  positions: Float64Array;
}

interface Deviation {
  energyRel: number;
  forceAbs: number;
}

/** Compares one structure's energy and forces; returns the deviations for the summary. */
function compare(
  c: Case,
  other: { energy: number; forces: ArrayLike<number> },
  energyRelTol: number,
  forceAbsTol: number,
  tool: string,
): Deviation {
  const ours = referencePotential(c.system.potential)({
    positions: c.positions,
    species: c.system.species,
    box: c.system.box,
  });
  assert.equal(other.forces.length, ours.forces.length, `${c.label}: force count from ${tool}`);
  const energyRel = Math.abs(ours.energy - other.energy) / Math.abs(other.energy);
  let forceAbs = 0;
  let worst = 0;
  for (let k = 0; k < ours.forces.length; k++) {
    const d = Math.abs(ours.forces[k] - other.forces[k]);
    if (!(d <= forceAbs)) { // also catches NaN
      forceAbs = d;
      worst = k;
    }
  }
  assert.ok(
    energyRel <= energyRelTol,
    `${c.label}: energy ${ours.energy} vs ${tool} ${other.energy} (relative ${energyRel})`,
  );
  assert.ok(
    forceAbs <= forceAbsTol,
    `${c.label}: force component ${worst} (atom ${Math.floor(worst / 3)}) ` +
      `${ours.forces[worst]} vs ${tool} ${other.forces[worst]} (difference ${forceAbs})`,
  );
  return { energyRel, forceAbs };
}

function report(tool: string, deviations: Deviation[]) {
  const energyRel = Math.max(...deviations.map((d) => d.energyRel));
  const forceAbs = Math.max(...deviations.map((d) => d.forceAbs));
  console.log(
    `${tool}: ${deviations.length} structures, max energy rel. dev. ${
      energyRel.toExponential(2)
    }, ` +
      `max force abs. dev. ${forceAbs.toExponential(2)}`,
  );
}

// ---------------------------------------------------------------------------------------------
// Lennard-Jones and Morse vs ASE

const ASE_RC = 1000;

/** Reads [{positions, box, calculator, params}] as JSON from argv[1] (box null: a cluster; params
 * null: the calculator's defaults); prints [{energy, forces}] as JSON. */
const ASE_SCRIPT = `
import json, sys
from ase import Atoms
from ase.calculators.lj import LennardJones
from ase.calculators.morse import MorsePotential
with open(sys.argv[1]) as f:
    cases = json.load(f)
calculators = {"lj": LennardJones, "morse": MorsePotential}
results = []
for case in cases:
    n = len(case["positions"]) // 3
    positions = [case["positions"][3 * i:3 * i + 3] for i in range(n)]
    box = case["box"]
    if box is None:
        atoms = Atoms("X%d" % n, positions=positions)
    else:
        atoms = Atoms("X%d" % n, positions=positions, cell=[box, box, box], pbc=True)
    atoms.calc = calculators[case["calculator"]](**(case["params"] or {}))
    results.append({
        "energy": float(atoms.get_potential_energy()),
        "forces": [float(x) for x in atoms.get_forces().ravel()],
    })
json.dump(results, sys.stdout)
`;

/** ASE's energies and forces of `cases`, each by its `calculator` with `params`. */
async function aseResults(
  dir: string,
  cases: (Case & { calculator: string; params: Record<string, unknown> | null })[],
): Promise<{ energy: number; forces: number[] }[]> {
  const input = `${dir}/ase_cases.json`;
  await Deno.writeTextFile(
    input,
    JSON.stringify(cases.map((c) => ({
      positions: Array.from(c.positions),
      box: c.system.box ?? null,
      calculator: c.calculator,
      params: c.params,
    }))),
  );
  await Deno.writeTextFile(`${dir}/ase_reference.py`, ASE_SCRIPT);
  const results = JSON.parse(await run(PYTHON, [`${dir}/ase_reference.py`, input], dir));
  assert.equal(results.length, cases.length);
  return results;
}

/** Two or three seeded random structures of each system. */
function randomCases(names: string[], seeds: number[]): Case[] {
  return names.flatMap((name) => {
    const system = parseSystem(name);
    return seeds.map((seed) => ({
      label: `${name} seed ${seed}`,
      system,
      positions: randomStructure(system, seed, 0),
    }));
  });
}

Deno.test({
  name: hasAse
    ? "cross-check: LJ clusters match ASE LennardJones (energy 1e-9 rel, forces 1e-8)"
    : `cross-check: LJ vs ASE SKIPPED (${PYTHON} with the ase module not found)`,
  ignore: !hasAse,
  fn: () =>
    withTempDir(async (dir) => {
      const params = { epsilon: 1.0, sigma: 1.0, rc: ASE_RC, smooth: false };
      const cases = randomCases(["LJ13", "LJ38", "LJ75"], [1, 2, 3])
        .map((c) => ({ ...c, calculator: "lj", params }));
      const results = await aseResults(dir, cases);
      // ASE's pair energy is 4 (r^-12 - r^-6) - e0 for r < rc; every pair here is inside rc.
      const e0 = 4 * (ASE_RC ** -12 - ASE_RC ** -6);
      const deviations = cases.map((c, i) => {
        const pairs = (c.system.nAtoms * (c.system.nAtoms - 1)) / 2;
        const ase = { energy: results[i].energy + pairs * e0, forces: results[i].forces };
        return compare(c, ase, 1e-9, 1e-8, "ASE");
      });
      report("LJ vs ASE", deviations);
    }),
});

Deno.test({
  name: hasAse
    ? "cross-check: Morse clusters and boxes match ASE MorsePotential (energy 1e-9 rel, forces 1e-8)"
    : `cross-check: Morse vs ASE SKIPPED (${PYTHON} with the ase module not found)`,
  ignore: !hasAse,
  fn: () =>
    withTempDir(async (dir) => {
      // ASE's defaults (the system names without settings), then every parameter changed.
      const custom = { epsilon: 0.5, r0: 1.3, rho0: 3, rcut1: 1.5, rcut2: 2.2 };
      const settings = Object.entries(custom).map(([k, v]) => `${k}=${v}`).join(",");
      const cases = [
        ...randomCases(["M13", "M38", "M64@L=8"], [1, 2])
          .map((c) => ({ ...c, calculator: "morse", params: null })),
        ...randomCases([`M38@${settings}`, `M40@${settings},L=9`], [1, 2])
          .map((c) => ({ ...c, calculator: "morse", params: custom })),
      ];
      const results = await aseResults(dir, cases);
      const deviations = cases.map((c, i) => compare(c, results[i], 1e-9, 1e-8, "ASE"));
      report("Morse vs ASE", deviations);
    }),
});

// ---------------------------------------------------------------------------------------------
// Stillinger-Weber silicon vs LAMMPS

/** Exact decimal of a double (shortest round-trip form), for files other programs read. */
const exact = (x: number) => String(x);

Deno.test({
  name: hasLammps
    ? "cross-check: SW Si boxes match LAMMPS pair_style sw (energy 1e-8 rel, forces 1e-7 eV/A)"
    : `cross-check: SW vs LAMMPS SKIPPED ('${LAMMPS}' not found or not runnable)`,
  ignore: !hasLammps,
  fn: () =>
    withTempDir(async (dir) => {
      const cases: Case[] = [];
      for (const [name, seeds] of [["Si64", [1, 2, 3]], ["Si64@L=10.0", [4]]] as const) {
        const system = parseSystem(name);
        for (const seed of seeds) {
          cases.push({
            label: `${name} seed ${seed}`,
            system,
            positions: randomStructure(system, seed, 0),
          });
        }
      }
      // A non-default three-body strength checks that it scales lambda and nothing else.
      const strong = parseSystem("Si64@threebody=1.5");
      cases.push({
        label: "Si64@threebody=1.5 seed 5",
        system: strong,
        positions: randomStructure(strong, 5, 0),
      });

      // One LAMMPS run for all structures: `clear` between them.
      const script: string[] = [];
      cases.forEach((c, index) => {
        const { potential, box, nAtoms } = c.system;
        assert.equal(potential.kind, "sw");
        if (potential.kind !== "sw" || box === undefined) throw new Error("expected SW in a box");
        const p = potential.params;
        // element1 element2 element3 epsilon sigma a lambda gamma cos0 A B p q tol
        const sw = [
          "Si Si Si",
          p.epsilon,
          p.sigma,
          p.a,
          p.lambda * p.threeBodyStrength,
          p.gamma,
          p.cosTheta0,
          p.A,
          p.B,
          4,
          0,
          0,
        ].map((x) => typeof x === "number" ? exact(x) : x).join(" ");
        Deno.writeTextFileSync(`${dir}/s${index}.sw`, `# learn2hop parameters\n${sw}\n`);
        const atoms = Array.from(
          { length: nAtoms },
          (_, i) =>
            `${i + 1} 1 ${exact(c.positions[3 * i])} ${exact(c.positions[3 * i + 1])} ${
              exact(c.positions[3 * i + 2])
            }`,
        );
        Deno.writeTextFileSync(
          `${dir}/s${index}.data`,
          [
            `learn2hop ${c.label}`,
            "",
            `${nAtoms} atoms`,
            "1 atom types",
            "",
            `0 ${exact(box)} xlo xhi`,
            `0 ${exact(box)} ylo yhi`,
            `0 ${exact(box)} zlo zhi`,
            "",
            "Masses",
            "",
            "1 28.0855",
            "",
            "Atoms # atomic",
            "",
            ...atoms,
            "",
          ].join("\n"),
        );
        script.push(
          "clear",
          "units metal",
          "atom_style atomic",
          "boundary p p p",
          "atom_modify map array",
          `read_data s${index}.data`,
          "pair_style sw",
          `pair_coeff * * s${index}.sw Si`,
          "thermo_style custom step pe",
          "run 0",
          `print "$(pe:%.17g)" file s${index}.energy screen no`,
          `write_dump all custom s${index}.forces id fx fy fz modify sort id format float %.17g`,
        );
      });
      await Deno.writeTextFile(`${dir}/in.sw`, script.join("\n") + "\n");
      await run(
        LAMMPS,
        ["-in", "in.sw", "-log", "none", "-screen", "none", "-nocite"],
        dir,
        LAMMPS_ENV,
      );

      const deviations = await Promise.all(cases.map(async (c, index) => {
        const energy = Number((await Deno.readTextFile(`${dir}/s${index}.energy`)).trim());
        const lines = (await Deno.readTextFile(`${dir}/s${index}.forces`)).trim().split("\n");
        const header = lines.findIndex((l) => l.startsWith("ITEM: ATOMS"));
        assert.equal(lines[header], "ITEM: ATOMS id fx fy fz");
        const rows = lines.slice(header + 1).map((l) => l.trim().split(/\s+/).map(Number));
        assert.equal(rows.length, c.system.nAtoms, `${c.label}: atoms in the LAMMPS dump`);
        const forces = new Float64Array(3 * c.system.nAtoms);
        rows.forEach(([id, fx, fy, fz], i) => {
          assert.equal(id, i + 1, `${c.label}: dump sorted by id`);
          forces.set([fx, fy, fz], 3 * i);
        });
        return compare(c, { energy, forces }, 1e-8, 1e-7, "LAMMPS");
      }));
      report("SW vs LAMMPS", deviations);
    }),
});
