/**
 * Systems named by strings users can type:
 *   LJ38                 Lennard-Jones cluster of 38 atoms (reduced units)
 *   Au55, Ag27Au28       Gupta clusters (Cleri-Rosato parameters), mono- or bimetallic
 *   Si64                 Stillinger-Weber silicon, 64 atoms in a periodic cubic box
 *   M38                  Morse cluster (ASE's MorsePotential defaults: rho0 6, r0 1, epsilon 1)
 * followed by optional settings after '@', comma separated:
 *   Si64@L=11.0          box side in Angstrom (default: diamond density, 2.7155 A per atom^(1/3))
 *   Si64@threebody=1.5   three-body strength multiplier (default 1)
 *   Au55@set=jaxmd-gold, Au55@cutoff=7.0   Gupta parameter set and hard cutoff (A)
 *   Au256@cutoff=6.6,L=16.315               bulk Gupta: a periodic box needs a finite cutoff
 *   M38@rho0=3, M13@rcut1=20,rcut2=21        Morse width, and its smooth cutoff in units of r0
 * Each potential's entry (src/potentials/) says how its systems are spelled: its particle symbol
 * or the elements it knows, its settings, and what they mean.
 */
import { UserError } from "../core/errors.ts";
import { quoted } from "../core/quote.ts";
import { MAX_MAGNITUDE, MIN_MAGNITUDE, parseDecimal, withinMagnitude } from "../core/numbers.ts";
import { type KnownMinimum, pooledKnownMinima } from "../potentials/known_minima.ts";
import type { NameSettings, PotentialEntry } from "../potentials/potential.ts";
import {
  potentialCutoff,
  potentialEntry,
  POTENTIALS,
  type PotentialSpec,
} from "../potentials/registry.ts";

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

type AnyEntry = PotentialEntry<PotentialSpec["kind"], unknown>;

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

  const settings = nameSettings(text, options);
  const { entry, named } = prefixed(text, () => {
    const entry = namingEntry(elements, settings);
    const { naming } = entry;
    if (options.L !== undefined && naming.periodic === "never") {
      throw new UserError(`${entry.label} has no cutoff, so it cannot be periodic`);
    }
    rejectUnknownOptions(text, options, [
      ...(naming.periodic === "never" ? [] : ["L"]),
      ...naming.settings,
    ]);
    return { entry, named: naming.parse(counts, settings) };
  });
  const potential = { kind: entry.kind, params: named.params } as PotentialSpec;
  if (named.box !== undefined) checkBox(text, named.box, potentialCutoff(potential));
  const name = canonicalName(formula, options);
  return {
    name,
    nAtoms,
    elements,
    species,
    potential,
    box: named.box,
    bondLength: named.bondLength,
    known: named.box === undefined ? [...named.known, ...pooledKnownMinima(name)] : named.known,
  };
}

/** `parse()`, its UserErrors prefixed with the system's name where they lack it. */
function prefixed<T>(text: string, parse: () => T): T {
  try {
    return parse();
  } catch (error) {
    if (!(error instanceof UserError) || error.message.startsWith("system ")) throw error;
    throw new UserError(`system ${quoted(text)}: ${error.message}`);
  }
}

/** The potential whose systems `elements` spell: the one whose particle symbol they are, else
 * the first potential of named elements that knows them all; a UserError otherwise. */
function namingEntry(elements: string[], settings: NameSettings): AnyEntry {
  const symbols = POTENTIALS.flatMap((entry) => entry.naming.symbol ?? []);
  const bySymbol = POTENTIALS.find((entry) => elements.includes(entry.naming.symbol ?? ""));
  if (bySymbol !== undefined) {
    if (elements.length > 1) {
      throw new UserError(`${symbols.join(", ")} cannot be mixed with other elements`);
    }
    return potentialEntry(bySymbol.kind);
  }
  // Each potential of named elements with the elements it knows under these settings.
  const named = POTENTIALS.flatMap((entry) =>
    entry.naming.elements === undefined ? [] : [{ entry, known: entry.naming.elements(settings) }]
  );
  const found = named.find(({ known }) => elements.every((e) => known.includes(e)));
  if (found !== undefined) return potentialEntry(found.entry.kind);
  const all = new Set(named.flatMap(({ known }) => known));
  const unknown = elements.find((e) => !all.has(e));
  throw new UserError(
    `unknown element ${quoted(unknown ?? elements[0])} (known: ${[...symbols, ...all].join(", ")})`,
  );
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

/** The settings after '@' as a potential reads them: numbers range-checked, UserErrors that
 * name the system. */
function nameSettings(text: string, options: Record<string, string>): NameSettings {
  return {
    text: (key) => options[key],
    number(key) {
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
    },
  };
}

function canonicalName(formula: string, options: Record<string, string>): string {
  const entries = Object.entries(options).map(([k, v]) => `${k}=${v}`);
  return entries.length ? `${formula}@${entries.join(",")}` : formula;
}
