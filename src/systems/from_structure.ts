/**
 * The system a structure from a file belongs to: its composition (in order of first appearance),
 * the potential (given, or told by the elements), and settings in the same key=value form as
 * system names (see system.ts). Atom species follow the file, not the formula's order.
 */
import { UserError } from "../core/errors.ts";
import { DEFAULT_GUPTA_SET, GUPTA_SETS, guptaElements } from "../potentials/gupta.ts";
import { potentialEntry, type PotentialKind } from "../potentials/registry.ts";
import { parseSystem, type System } from "./system.ts";

/** Symbols read as Lennard-Jones particles when no potential is given (X is ASE's dummy atom). */
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
  const entry = potentialEntry(potential ?? inferPotential(elements));
  const { naming, label } = entry;
  const options = expandSettings(settings);
  if (box !== undefined && naming.periodic !== "never") options.unshift(`L=${box}`);
  if (naming.symbol !== undefined) {
    if (naming.anySymbol && elements.length > 1) {
      throw new UserError(
        `${label} needs one kind of particle, the file has ${listed(elements)}`,
      );
    }
    if (!naming.anySymbol && (elements.length > 1 || elements[0] !== naming.symbol)) {
      throw new UserError(
        `${label} is for ${naming.symbol} only, the file has ${listed(elements)}`,
      );
    }
  }
  if (box !== undefined && naming.periodic === "never") {
    throw new UserError(
      `${label} has no cutoff, so it cannot be periodic (pbc="F F F" for a cluster)`,
    );
  }
  if (box === undefined && naming.periodic === "required") {
    throw new UserError(
      `${label} needs a periodic box: add Lattice="L 0 0 0 L 0 0 0 L" pbc="T T T"`,
    );
  }
  // A potential of one kind of particle spells its systems with its symbol (LJ38, M38).
  const formula = naming.symbol !== undefined
    ? `${naming.symbol}${symbols.length}`
    : elements.map((e) => `${e}${symbols.filter((s) => s === e).length}`).join("");
  const system = parseSystem(options.length ? `${formula}@${options.join(",")}` : formula);
  const index = new Map(
    (naming.symbol !== undefined ? elements : system.elements).map((e, i) => [e, i]),
  );
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
      }; --potential lj or morse reads any single element as their particles)`,
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
