/**
 * Starting a search from a user's structures (`--start FILE.xyz`), as ASE's BasinHopping and
 * GMIN start from given coordinates: one frame starts every replica, or one frame per replica.
 * A frame's atoms may come in any order: each atom takes the place of a system atom of the same
 * element (first come, first placed), so `Au Ag Au ...` fits the system Ag27Au28. Lengths are in
 * the system's units; LJ atoms are written X (ASE's dummy atom) or LJ.
 */
import { UserError } from "../core/errors.ts";
import type { XyzFrame } from "../io/xyz.ts";
import { potentialEntry, referencePotential } from "../potentials/registry.ts";
import type { System } from "../systems/system.ts";

/** How the two boxes may differ and still be the same box (relative). */
const BOX_TOLERANCE = 1e-9;

/** Element of an XYZ symbol for `system`: a file symbol its potential takes for its particle
 * (LJ systems read X, their ASE spelling) is that particle. */
function elementOf(system: System, symbol: string): string {
  const { naming } = potentialEntry(system.potential.kind);
  return naming.symbol !== undefined && naming.fileSymbols?.includes(symbol)
    ? naming.symbol
    : symbol;
}

/** The frame's positions in the system's atom order, or a UserError naming what differs. */
function framePositions(system: System, frame: XyzFrame, label: string): Float64Array {
  const { nAtoms, elements } = system;
  if (frame.symbols.length !== nAtoms) {
    throw new UserError(`${label}: ${frame.symbols.length} atoms, ${system.name} has ${nAtoms}`);
  }
  if ((frame.box === undefined) !== (system.box === undefined)) {
    throw new UserError(
      `${label}: ${frame.box === undefined ? "a cluster" : "periodic"}, ${system.name} is ` +
        (system.box === undefined ? "a cluster" : "periodic"),
    );
  }
  if (
    frame.box !== undefined && system.box !== undefined &&
    Math.abs(frame.box - system.box) > BOX_TOLERANCE * system.box
  ) {
    throw new UserError(`${label}: box side ${frame.box}, ${system.name} has ${system.box}`);
  }
  // Per element, the frame's atoms in file order; each system atom takes the next one.
  const queues = new Map<string, number[]>();
  frame.symbols.forEach((symbol, i) => {
    const element = elementOf(system, symbol);
    if (!elements.includes(element)) {
      throw new UserError(`${label}: element '${symbol}' is not in ${system.name}`);
    }
    if (!queues.has(element)) queues.set(element, []);
    queues.get(element)!.push(i);
  });
  const positions = new Float64Array(3 * nAtoms);
  for (let i = 0; i < nAtoms; i++) {
    const element = elements[system.species[i]];
    const from = queues.get(element)?.shift();
    if (from === undefined) {
      throw new UserError(`${label}: the composition differs from ${system.name}'s`);
    }
    positions.set(frame.positions.subarray(3 * from, 3 * from + 3), 3 * i);
  }
  const { energy, forces } = referencePotential(system.potential)({
    positions,
    species: system.species,
    box: system.box,
  });
  if (!Number.isFinite(energy) || !forces.every(Number.isFinite)) {
    throw new UserError(`${label}: the energy or forces are not finite (overlapping atoms?)`);
  }
  return positions;
}

/**
 * Every replica's start, flat [replica][atom][xyz], from `frames` of `source`: one frame for all
 * replicas, or exactly one per replica.
 */
export function startsFromFrames(
  system: System,
  frames: XyzFrame[],
  replicas: number,
  source: string,
): Float64Array {
  if (frames.length !== 1 && frames.length !== replicas) {
    throw new UserError(
      `${source}: ${frames.length} frames; give one (every replica starts from it) or one per ` +
        `replica (${replicas})`,
    );
  }
  const structures = frames.map((frame, k) =>
    framePositions(system, frame, `${source} frame ${k + 1}`)
  );
  const size = 3 * system.nAtoms;
  const starts = new Float64Array(replicas * size);
  for (let r = 0; r < replicas; r++) starts.set(structures[frames.length === 1 ? 0 : r], r * size);
  return starts;
}
