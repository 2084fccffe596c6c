/**
 * The system a structure from a file belongs to: its composition (in order of first appearance),
 * the potential (given, or told by the elements), and settings in the same key=value form as
 * system names (see system.ts). Atom species follow the file, not the formula's order.
 */
import { UserError } from "../core/errors.ts";
import { DEFAULT_GUPTA_SET, GUPTA_SETS, guptaElements } from "../potentials/gupta.ts";
import type { PotentialKind } from "../potentials/potential.ts";
import { parseSystem, type System } from "./system.ts";

/** Symbols read as Lennard-Jones particles when no potential is given. */
const LJ_SYMBOLS = ["LJ", "X"];

export function systemForStructure(
  symbols: string[],
  box: number | undefined,
  potential?: PotentialKind,
  settings = "",
): System {
  const elements = [...new Set(symbols)];
  // Symbols come from a user's file and end up in messages and system names: keep them short.
  if (elements.some((e) => !/^[A-Za-z][A-Za-z0-9]{0,7}$/.test(e))) {
    throw new UserError("an element symbol is not letters and digits (up to 8)");
  }
  const kind = potential ?? inferPotential(elements);
  const options = expandSettings(settings);
  if (box !== undefined && kind !== "lj") options.unshift(`L=${box}`);
  if (kind === "lj") {
    if (elements.length > 1) {
      throw new UserError(`LJ needs one kind of particle, the file has ${listed(elements)}`);
    }
    if (box !== undefined) {
      throw new UserError('LJ has no cutoff, so it cannot be periodic (pbc="F F F" for a cluster)');
    }
  }
  if (kind === "sw") {
    if (elements.length > 1 || elements[0] !== "Si") {
      throw new UserError(`SW is for silicon only, the file has ${listed(elements)}`);
    }
    if (box === undefined) {
      throw new UserError(
        'SW silicon needs a periodic box: add Lattice="L 0 0 0 L 0 0 0 L" pbc="T T T"',
      );
    }
  }
  const formula = kind === "lj"
    ? `LJ${symbols.length}`
    : elements.map((e) => `${e}${symbols.filter((s) => s === e).length}`).join("");
  const system = parseSystem(options.length ? `${formula}@${options.join(",")}` : formula);
  const index = new Map((kind === "lj" ? elements : system.elements).map((e, i) => [e, i]));
  system.species = Uint32Array.from(symbols, (s) => index.get(s)!);
  return system;
}

/** The first few elements, for a message. */
function listed(elements: string[]): string {
  const shown = elements.slice(0, 4).join(", ");
  return elements.length > 4 ? `${shown}, ... (${elements.length} elements)` : shown;
}

function inferPotential(elements: string[]): PotentialKind {
  if (elements.every((e) => LJ_SYMBOLS.includes(e))) return "lj";
  if (elements.every((e) => e === "Si")) return "sw";
  const gupta = guptaElements(DEFAULT_GUPTA_SET);
  const unknown = elements.find((e) => !gupta.includes(e) && !LJ_SYMBOLS.includes(e));
  if (unknown !== undefined) {
    throw new UserError(
      `unknown element '${unknown}' (known: ${
        ["LJ", "X", "Si", ...gupta].join(", ")
      }; --potential lj reads any single element as LJ particles)`,
    );
  }
  return "gupta";
}

/** "--params jaxmd-gold" is short for "set=jaxmd-gold"; otherwise key=value,key=value. */
function expandSettings(settings: string): string[] {
  const text = settings.trim();
  if (text === "") return [];
  if ((GUPTA_SETS as string[]).includes(text)) return [`set=${text}`];
  return text.split(",");
}
