/**
 * deno task energy FILE.xyz [--potential lj|gupta|sw] [--params SETTINGS] [--json] [--cpu-only]
 *
 * Energy and forces of every frame of an (extended) XYZ file, from the f64 CPU reference and from
 * the WebGPU kernel side by side.
 */
import { parseArgs } from "node:util";
import { runTask } from "../src/cli/args.ts";
import { UserError } from "../src/core/errors.ts";
import { Gpu } from "../src/gpu/device.ts";
import { EnergyBatch } from "../src/gpu/energy_batch.ts";
import { parseXyz } from "../src/io/xyz.ts";
import {
  POTENTIAL_KINDS,
  type PotentialKind,
  referencePotential,
} from "../src/potentials/potential.ts";
import { systemForStructure } from "../src/systems/from_structure.ts";

const HELP = `Usage: deno task energy FILE.xyz [options]

Prints the energy and the largest per-atom force of each frame in FILE.xyz from the f64 CPU
reference and from the WebGPU kernel (f32).

Options:
  --potential lj|gupta|sw  potential to use (default: told by the elements: LJ or X -> lj,
                           Si -> sw (needs Lattice=...), Ni Cu Pd Ag Pt Au -> gupta)
  --params SETTINGS        potential settings as key=value[,key=value]:
                             gupta: set=cleri-rosato|jaxmd-gold, cutoff=R (A; default none)
                             sw:    threebody=S (three-body strength, default 1)
                           a bare Gupta set name (e.g. jaxmd-gold) is short for set=NAME
  --json                   machine-readable output: energies, per-atom forces, both backends
  --cpu-only               skip the GPU (f64 reference only)
  -h, --help               this text

Units: eV and Angstrom (Gupta, SW); reduced units for LJ. Exit status 2 for a bad file or option.`;

interface BackendResult {
  energy: number;
  maxForce: number;
  forces: number[][];
}

await runTask(async () => {
  const { values, positionals } = parseArgs({
    args: Deno.args,
    allowPositionals: true,
    options: {
      potential: { type: "string" },
      params: { type: "string", default: "" },
      json: { type: "boolean", default: false },
      "cpu-only": { type: "boolean", default: false },
      help: { type: "boolean", short: "h", default: false },
    },
  });
  if (values.help) {
    console.log(HELP);
    return;
  }
  if (positionals.length !== 1) throw new UserError("expected one XYZ file (see --help)");
  const potential = values.potential as PotentialKind | undefined;
  if (potential !== undefined && !POTENTIAL_KINDS.includes(potential)) {
    throw new UserError(`--potential must be one of ${POTENTIAL_KINDS.join(", ")}`);
  }
  const path = positionals[0];
  let text: string;
  try {
    text = await Deno.readTextFile(path);
  } catch (error) {
    throw new UserError(`cannot read ${path}: ${(error as Error).message}`);
  }
  const frames = parseXyz(text, path);
  const systems = frames.map((f) => systemForStructure(f.symbols, f.box, potential, values.params));

  const gpu = values["cpu-only"]
    ? undefined
    : await Gpu.open({ log: values.json ? null : undefined });
  const results = [];
  for (const [index, frame] of frames.entries()) {
    const system = systems[index];
    const structure = { positions: frame.positions, species: system.species, box: system.box };
    const reference = summarize(referencePotential(system.potential)(structure));
    let webgpu: BackendResult | undefined;
    if (gpu !== undefined) {
      const batch = await EnergyBatch.create(gpu, system, 1);
      batch.writePositions(frame.positions);
      batch.evaluate();
      const [energies, forces] = [await batch.readEnergies(), await batch.readForces()];
      batch.destroy();
      if (!Number.isFinite(energies[0])) {
        throw new UserError(
          `frame ${index + 1}: the GPU energy is not finite (overlapping atoms, or more ` +
            "neighbours within the cutoff than the kernel holds)",
        );
      }
      webgpu = summarize({ energy: energies[0], forces });
    }
    results.push({
      frame: index + 1,
      system: system.name,
      nAtoms: system.nAtoms,
      reference,
      webgpu,
    });
  }
  if (values.json) {
    console.log(
      JSON.stringify({ file: path, adapter: gpu?.adapterName ?? null, frames: results }, null, 2),
    );
    return;
  }
  for (const r of results) {
    console.log(`frame ${r.frame}: ${r.system} (${r.nAtoms} atoms)`);
    console.log(
      `  f64 reference  energy ${r.reference.energy.toFixed(9)}  max |F| ${
        r.reference.maxForce.toFixed(6)
      }`,
    );
    if (r.webgpu !== undefined) {
      const difference = r.webgpu.energy - r.reference.energy;
      console.log(
        `  WebGPU (f32)   energy ${r.webgpu.energy.toFixed(9)}  max |F| ${
          r.webgpu.maxForce.toFixed(6)
        }` +
          `  (energy difference ${difference.toExponential(2)})`,
      );
    }
  }
});

function summarize(result: { energy: number; forces: ArrayLike<number> }): BackendResult {
  const forces: number[][] = [];
  let maxForce = 0;
  for (let i = 0; i < result.forces.length; i += 3) {
    const f = [result.forces[i], result.forces[i + 1], result.forces[i + 2]];
    forces.push(f);
    maxForce = Math.max(maxForce, Math.hypot(...f));
  }
  return { energy: result.energy, maxForce, forces };
}
