/**
 * The system a structure from a file belongs to: its composition (in order of first appearance),
 * the potential (given, or told by the elements), and settings in the same key=value form as
 * system names (see system.ts). Atom species follow the file, not the formula's order.
 */
import { UserError } from "../core/errors.ts";
import type { NameSettings } from "../potentials/potential.ts";
import { potentialEntry, type PotentialKind, POTENTIALS } from "../potentials/registry.ts";
import { parseSystem, type System } from "./system.ts";

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

/** The settings of a system name's defaults, for the elements a potential knows by default. */
const NO_SETTINGS: NameSettings = { number: () => undefined, text: () => undefined };

/** The potential a file's elements call for: the one whose file symbols they all are, else the
 * first potential of named elements that knows them all (the entries' naming). */
function inferPotential(elements: string[]): PotentialKind {
  // Each potential with the symbols it takes.
  const taken = POTENTIALS.map((entry) => ({
    entry,
    known: [...(entry.naming.fileSymbols ?? []), ...(entry.naming.elements?.(NO_SETTINGS) ?? [])],
  }));
  const found = taken.find(({ known }) => elements.every((e) => known.includes(e)));
  if (found !== undefined) return found.entry.kind;
  const all = taken.flatMap(({ known }) => known);
  const unknown = elements.find((e) => !all.includes(e));
  if (unknown === undefined) {
    throw new UserError(`the elements ${listed(elements)} belong to different potentials`);
  }
  const anySymbol = POTENTIALS.filter((entry) => entry.naming.anySymbol).map((e) => e.kind);
  throw new UserError(
    `unknown element '${unknown}' (known: ${all.join(", ")}; --potential ${
      anySymbol.join(" or ")
    } reads any single element as its particles)`,
  );
}

/** "--params WORD" may stand for settings (a potential's shorthand, such as a Gupta set's name
 * for set=NAME); otherwise key=value,key=value. */
function expandSettings(settings: string): string[] {
  const text = settings.trim();
  if (text === "") return [];
  for (const entry of POTENTIALS) {
    const expanded = entry.naming.shorthand?.(text);
    if (expanded !== undefined) return [expanded];
  }
  return text.split(",");
}
