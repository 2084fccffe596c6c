/**
 * deno task energy FILE.xyz [--potential lj|gupta|sw|morse] [--params SETTINGS] [--json] [--cpu-only]
 *
 * Energy and forces of every frame of an (extended) XYZ file, from the f64 CPU reference and from
 * the WebGPU kernel side by side.
 */
import { parseArgs } from "node:util";
import { LAYOUT_OPTION, layoutFlag, layoutHelp, runCommand } from "../src/cli/args.ts";
import { command } from "../src/cli/program.ts";
import { UserError } from "../src/core/errors.ts";
import { Gpu } from "../src/gpu/device.ts";
import { EnergyBatch } from "../src/gpu/energy_batch.ts";
import { readInputText } from "../src/io/input_files.ts";
import { parseXyz, type XyzFrame } from "../src/io/xyz.ts";
import { displacementFor } from "../src/potentials/space.ts";
import {
  isPotentialKind,
  POTENTIAL_KINDS,
  potentialUnits,
  referencePotential,
} from "../src/potentials/registry.ts";
import { systemForStructure } from "../src/systems/from_structure.ts";
import { parseSystem, type System } from "../src/systems/system.ts";

const HELP = `Usage: ${command("energy")} FILE.xyz [options]

Prints the energy and the largest per-atom force of each frame in FILE.xyz from the f64 CPU
reference and from the WebGPU kernel (f32).

Options:
  --potential ${POTENTIAL_KINDS.join("|")}
                           potential to use (default: the frame's system= key, as minima.xyz
                           records it with its settings; else told by the elements: LJ or X
                           -> lj, Si -> sw (needs Lattice=...), Ni Cu Pd Ag Pt Au -> gupta);
                           lj and morse read any single element as their particles
  --params SETTINGS        potential settings as key=value[,key=value]:
                             gupta: set=cleri-rosato|jaxmd-gold, cutoff=R (A; default none)
                             sw:    threebody=S (three-body strength, default 1)
                             morse: epsilon, r0, rho0, rcut1, rcut2 (ASE's MorsePotential
                                    and its defaults: 1, 1, 6, 1.9, 2.7; rcuts in units of r0)
                           a bare Gupta set name (e.g. jaxmd-gold) is short for set=NAME
  --json                   machine-readable output: energies, per-atom forces, both backends
  --cpu-only               skip the GPU (f64 reference only)
${layoutHelp(27)}
  -h, --help               this text

Units: eV and Angstrom (Gupta, SW); reduced units for LJ and Morse. Exit status 2 for a bad file or option.`;

interface BackendResult {
  energy: number;
  maxForce: number;
  forces: number[][];
}

export async function main(args: string[]): Promise<void> {
  const { values, positionals } = parseArgs({
    args,
    allowPositionals: true,
    options: {
      potential: { type: "string" },
      params: { type: "string", default: "" },
      json: { type: "boolean", default: false },
      "cpu-only": { type: "boolean", default: false },
      help: { type: "boolean", short: "h", default: false },
      ...LAYOUT_OPTION,
    },
  });
  if (values.help) {
    console.log(HELP);
    return;
  }
  if (positionals.length !== 1) throw new UserError("expected one XYZ file (see --help)");
  const potential = values.potential;
  if (potential !== undefined && !isPotentialKind(potential)) {
    throw new UserError(`--potential must be one of ${POTENTIAL_KINDS.join(", ")}`);
  }
  const path = positionals[0];
  const frames = parseXyz(await readInputText(path, "an XYZ file"), path);
  const systems = frames.map((frame, index) =>
    potential === undefined && values.params === "" && frame.info.system !== undefined
      ? namedSystem(frame, index)
      : systemForStructure(frame.symbols, frame.box, potential, values.params)
  );
  const structures = frames.map((frame, index) => ({
    positions: frame.positions,
    species: systems[index].species,
    box: systems[index].box,
  }));
  // Every frame's f64 reference first, so that a broken frame is refused before the GPU starts.
  const references = structures.map((structure, index) => {
    const reference = summarize(referencePotential(systems[index].potential)(structure));
    requireFinite(reference, index, "f64 reference", structure, "overlapping atoms?");
    return reference;
  });

  const gpu = values["cpu-only"]
    ? undefined
    : await Gpu.open({ log: values.json ? null : undefined, layout: layoutFlag(values.layout) });
  const results = [];
  for (const [index, structure] of structures.entries()) {
    const system = systems[index];
    let webgpu: BackendResult | undefined;
    if (gpu !== undefined) {
      const batch = await EnergyBatch.create(gpu, system, 1);
      batch.writePositions(structure.positions);
      batch.evaluate();
      const [energies, forces] = [await batch.readEnergies(), await batch.readForces()];
      batch.destroy();
      webgpu = summarize({ energy: energies[0], forces });
      requireFinite(
        webgpu,
        index,
        "GPU",
        structure,
        "overlapping atoms, or more neighbours within the cutoff than the kernel holds?",
      );
    }
    results.push({
      frame: index + 1,
      system: system.name,
      nAtoms: system.nAtoms,
      units: potentialUnits(system.potential),
      reference: references[index],
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
}

/**
 * The system a frame names in its `system` key (minima.xyz records it, settings included, such
 * as a Gupta parameter set), for the frame's atoms in their order: its potential and settings,
 * with the box from the frame's Lattice. A UserError when the name is not a system or does not
 * match the frame's atoms.
 */
function namedSystem(frame: XyzFrame, index: number): System {
  const where = `frame ${index + 1}`;
  if (!/^[\w@=,.+-]{1,100}$/.test(frame.info.system)) {
    throw new UserError(`${where}: its system= key names no system this program knows`);
  }
  let named: System;
  try {
    named = parseSystem(frame.info.system);
  } catch {
    // Not the reason: it would quote the file.
    throw new UserError(`${where}: its system= key names no system this program knows`);
  }
  const [, settings = ""] = frame.info.system.split("@");
  // The box is the frame's own (Lattice); the other settings are the system's.
  const rest = settings.split(",").filter((s) => s !== "" && !s.startsWith("L=")).join(",");
  const system = systemForStructure(frame.symbols, frame.box, named.potential.kind, rest);
  const formula = (s: System) => s.elements.map((e, k) => `${e}${countOf(s.species, k)}`).sort();
  if (formula(system).join() !== formula(named).join()) {
    throw new UserError(
      `${where}: its system= key names ${named.name}, but its atoms make ${system.name}`,
    );
  }
  return system;
}

function countOf(species: Uint32Array, index: number): number {
  return species.filter((s) => s === index).length;
}

/** A NaN or infinite energy or force is a UserError naming the frame and the likely `cause`: atoms
 * at (or almost at) the same place make the pair terms blow up, so it names the closest pair. */
function requireFinite(
  result: BackendResult,
  index: number,
  backend: string,
  structure: { positions: Float64Array; box?: number },
  cause: string,
): void {
  if (Number.isFinite(result.energy) && result.forces.flat().every(Number.isFinite)) return;
  const { i, j, distance } = closestPair(structure.positions, structure.box);
  throw new UserError(
    `frame ${index + 1}: the ${backend} energy or forces are not finite; ${cause} ` +
      `(closest pair: atoms ${i + 1} and ${j + 1}, ${distance.toPrecision(3)} apart)`,
  );
}

/** The two atoms nearest each other (minimum image in a periodic box); indices from 0. */
function closestPair(positions: Float64Array, box: number | undefined) {
  const displacement = displacementFor(box);
  const d = new Float64Array(3);
  let best = { i: 0, j: 1, distance: Infinity };
  for (let i = 0; i < positions.length / 3; i++) {
    for (let j = i + 1; j < positions.length / 3; j++) {
      const distance = Math.sqrt(displacement(positions, i, j, d));
      if (distance < best.distance) best = { i, j, distance };
    }
  }
  return best;
}

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

if (import.meta.main) await runCommand("energy", main);
