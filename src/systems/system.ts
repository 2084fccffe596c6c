/**
 * Systems named by strings users can type:
 *   LJ38                 Lennard-Jones cluster of 38 atoms (reduced units)
 *   Au55, Ag27Au28       Gupta clusters (Cleri-Rosato parameters), mono- or bimetallic
 *   Si64                 Stillinger-Weber silicon, 64 atoms in a periodic cubic box
 * followed by optional settings after '@', comma separated:
 *   Si64@L=11.0          box side in Angstrom (default: diamond density, 2.7155 A per atom^(1/3))
 *   Si64@threebody=1.5   three-body strength multiplier (default 1)
 *   Au55@set=jaxmd-gold, Au55@cutoff=7.0   Gupta parameter set and hard cutoff (A)
 *   Au256@cutoff=6.6,L=16.315               bulk Gupta: a periodic box needs a finite cutoff
 */
import { UserError } from "../core/errors.ts";
import { quoted } from "../core/quote.ts";
import { MAX_MAGNITUDE, MIN_MAGNITUDE, parseDecimal, withinMagnitude } from "../core/numbers.ts";
import {
  DEFAULT_GUPTA_SET,
  GUPTA_SETS,
  guptaElements,
  guptaParams,
  type GuptaSetName,
} from "../potentials/gupta.ts";
import { REDUCED_UNITS } from "../potentials/lennard_jones.ts";
import { potentialCutoff, type PotentialSpec } from "../potentials/potential.ts";
import { SILICON } from "../potentials/stillinger_weber.ts";
import {
  guptaKnownMinima,
  type KnownMinimum,
  lennardJonesKnownMinima,
  pooledKnownMinima,
  siliconKnownMinima,
  SW_DIAMOND_LATTICE_CONSTANT,
} from "./known_minima.ts";

/** Largest atom count per replica: a replica's positions and forces (vec4 each) fit the 32 KiB
 * of workgroup memory every WebGPU device offers, which the fused optimizer kernels rely on. */
export const MAX_ATOMS = 1024;

export interface System {
  /** Canonical name, parseable by `parseSystem`. */
  name: string;
  nAtoms: number;
  /** Element symbols; species indices point into this list. */
  elements: string[];
  /** Species index of each atom. */
  species: Uint32Array<ArrayBuffer>;
  potential: PotentialSpec;
  /** Periodic cubic box side; undefined for clusters. */
  box?: number;
  /** Typical nearest-neighbour distance, the length scale of random starts. */
  bondLength: number;
  known: KnownMinimum[];
}

/** Diamond density: 8 atoms per cubic cell of side 5.431 A. */
export function diamondBox(nAtoms: number): number {
  return SW_DIAMOND_LATTICE_CONSTANT * Math.cbrt(nAtoms / 8);
}

export function parseSystem(text: string): System {
  const [formula, optionText, ...rest] = text.trim().split("@");
  if (rest.length > 0) throw new UserError(`system ${quoted(text)}: more than one '@'`);
  const options = parseOptions(text, optionText);
  const counts = parseFormula(text, formula);
  const elements = Object.keys(counts);
  const nAtoms = elements.reduce((sum, e) => sum + counts[e], 0);
  if (nAtoms < 2 || nAtoms > MAX_ATOMS) {
    throw new UserError(`system ${quoted(text)}: ${nAtoms} atoms; supported are 2 to ${MAX_ATOMS}`);
  }
  const species = new Uint32Array(nAtoms);
  let offset = 0;
  elements.forEach((element, index) => {
    species.fill(index, offset, offset + counts[element]);
    offset += counts[element];
  });

  if (elements.length === 1 && elements[0] === "LJ") {
    if (options.L !== undefined) {
      throw new UserError(`system ${quoted(text)}: LJ has no cutoff, so it cannot be periodic`);
    }
    rejectUnknownOptions(text, options, []);
    return {
      name: formula,
      nAtoms,
      elements,
      species,
      potential: { kind: "lj", params: REDUCED_UNITS },
      bondLength: 2 ** (1 / 6),
      known: lennardJonesKnownMinima(nAtoms),
    };
  }
  if (elements.length === 1 && elements[0] === "Si") {
    rejectUnknownOptions(text, options, ["L", "threebody"]);
    const box = numberOption(text, options, "L") ?? diamondBox(nAtoms);
    const threeBodyStrength = numberOption(text, options, "threebody") ?? 1;
    const potential: PotentialSpec = {
      kind: "sw",
      params: { ...SILICON, threeBodyStrength },
    };
    checkBox(text, box, potentialCutoff(potential));
    return {
      name: canonicalName(formula, options),
      nAtoms,
      elements,
      species,
      potential,
      box,
      bondLength: SW_DIAMOND_LATTICE_CONSTANT * Math.sqrt(3) / 4,
      known: siliconKnownMinima(nAtoms, box, threeBodyStrength),
    };
  }
  if (elements.includes("LJ") || elements.includes("Si")) {
    throw new UserError(`system ${quoted(text)}: LJ and Si cannot be mixed with other elements`);
  }
  rejectUnknownOptions(text, options, ["set", "cutoff", "L"]);
  const set = (options.set ?? DEFAULT_GUPTA_SET) as GuptaSetName;
  if (!GUPTA_SETS.includes(set)) {
    throw new UserError(
      `system ${quoted(text)}: unknown Gupta parameter set ${quoted(set)} (known: ${
        GUPTA_SETS.join(", ")
      })`,
    );
  }
  const known = guptaElements(set);
  for (const element of elements) {
    if (!known.includes(element)) {
      throw new UserError(
        `system ${quoted(text)}: unknown element ${quoted(element)} for Gupta set ${quoted(set)} ` +
          `(known: LJ, Si, ${known.join(", ")})`,
      );
    }
  }
  const cutoff = numberOption(text, options, "cutoff");
  let params;
  try {
    params = guptaParams(elements, set, cutoff);
  } catch (error) {
    throw new UserError(`system ${quoted(text)}: ${(error as Error).message}`);
  }
  const box = numberOption(text, options, "L");
  if (box !== undefined) checkBox(text, box, params.cutoff);
  const bondLength = elements.reduce((sum, e, a) => sum + counts[e] * params.pairs[a][a].r0, 0) /
    nAtoms;
  const name = canonicalName(formula, options);
  return {
    name,
    nAtoms,
    elements,
    species,
    potential: { kind: "gupta", params },
    box,
    bondLength,
    known: box === undefined ? [...guptaKnownMinima(counts, set), ...pooledKnownMinima(name)] : [],
  };
}

/** Throws a UserError when the minimum image would be wrong (box side < 2 cutoffs). */
export function checkBox(label: string, box: number, cutoff: number) {
  if (!Number.isFinite(cutoff)) {
    throw new UserError(`${label}: a periodic box needs a finite cutoff (e.g. cutoff=...)`);
  }
  if (!(box >= 2 * cutoff)) {
    throw new UserError(
      `${label}: box side ${box} A is smaller than twice the cutoff (${(2 * cutoff).toFixed(5)} A)`,
    );
  }
}

function parseFormula(text: string, formula: string): Record<string, number> {
  const counts: Record<string, number> = {};
  const pattern = /([A-Z][a-zA-Z]?)(\d+)/y;
  let consumed = 0;
  for (let match; (match = pattern.exec(formula)) !== null;) {
    const [, element, count] = match;
    if (element in counts) throw new UserError(`system ${quoted(text)}: ${element} appears twice`);
    counts[element] = Number(count);
    consumed = pattern.lastIndex;
  }
  if (consumed !== formula.length || consumed === 0) {
    throw new UserError(
      `system ${quoted(text)}: expected a formula like LJ38, Au55, Ag27Au28 or Si64`,
    );
  }
  return counts;
}

function parseOptions(text: string, optionText: string | undefined): Record<string, string> {
  // No prototype: a key such as __proto__ is a setting like any other (and then refused).
  const options: Record<string, string> = Object.create(null);
  if (optionText === undefined) return options;
  for (const item of optionText.split(",")) {
    const [key, value, ...extra] = item.split("=");
    if (!key || value === undefined || value === "" || extra.length > 0) {
      throw new UserError(
        `system ${quoted(text)}: expected key=value after '@', got ${quoted(item)}`,
      );
    }
    if (Object.hasOwn(options, key)) {
      throw new UserError(`system ${quoted(text)}: ${quoted(key)} is given twice`);
    }
    options[key] = value;
  }
  return options;
}

function rejectUnknownOptions(text: string, options: Record<string, string>, allowed: string[]) {
  for (const key of Object.keys(options)) {
    if (!allowed.includes(key)) {
      throw new UserError(
        `system ${quoted(text)}: unknown setting ${quoted(key)}` +
          (allowed.length ? ` (allowed: ${allowed.join(", ")})` : " (this system takes none)"),
      );
    }
  }
}

function numberOption(
  text: string,
  options: Record<string, string>,
  key: string,
): number | undefined {
  if (options[key] === undefined) return undefined;
  const value = parseDecimal(options[key]);
  if (!(value > 0) || !withinMagnitude(value)) {
    throw new UserError(
      `system ${
        quoted(text)
      }: ${key} must be a number from ${MIN_MAGNITUDE} to ${MAX_MAGNITUDE}, ` +
        `got ${quoted(options[key])}`,
    );
  }
  return value;
}

function canonicalName(formula: string, options: Record<string, string>): string {
  const entries = Object.entries(options).map(([k, v]) => `${k}=${v}`);
  return entries.length ? `${formula}@${entries.join(",")}` : formula;
}
