/**
 * XYZ and extended XYZ (the ASE / ovito convention), several frames per file.
 *   line 1: atom count
 *   line 2: comment; extended XYZ puts key=value pairs here, values may be "quoted":
 *           Lattice="ax ay az bx by bz cx cy cz" Properties=species:S:1:pos:R:3 energy=-44.3
 *   then one line per atom: columns as Properties says (plain XYZ: symbol x y z).
 * Lengths in the file's units (Angstrom for Gupta and SW, reduced units for LJ); forces in energy
 * per length (eV/Angstrom, or reduced).
 *
 * Periodicity follows ASE: pbc="F F F" is a cluster even with a Lattice (ASE writes the cell of
 * `atoms.center(vacuum=...)`); pbc="T T T", or a Lattice without pbc (the older convention), is a
 * periodic box; mixed pbc (slabs, wires) is refused. Only cubic boxes (a diagonal Lattice with
 * equal sides) are supported, as the potentials need.
 */
import { UserError } from "../core/errors.ts";
import { MAX_MAGNITUDE, parseDecimal } from "../core/numbers.ts";

/** An element symbol as a file may spell it (the systems check it further): short, so that a
 * file that is not XYZ is never quoted back in messages. */
const SYMBOL = /^[A-Za-z][A-Za-z0-9]{0,7}$/;

/** Most atoms a frame may declare: far above what the kernels take (MAX_ATOMS), low enough that
 * a corrupt header is refused before anything is allocated for it. */
export const MAX_XYZ_ATOMS = 1_000_000;

export interface XyzFrame {
  symbols: string[];
  /** Flat [x0, y0, z0, x1, ...]. */
  positions: Float64Array;
  /** Flat like positions: the `forces:R:3` column, when the file has one (written when set). */
  forces?: Float64Array;
  /** Cubic box side of a periodic frame; undefined for a cluster. */
  box?: number;
  /** Every key=value of the comment line, unparsed (`energy` is what ASE reads as the
   * calculator's energy). */
  info: Record<string, string>;
}

export function parseXyz(text: string, source = "input"): XyzFrame[] {
  const lines = text.split(/\r?\n/);
  // The empty string after a final newline is no line.
  const lineCount = lines.at(-1) === "" ? lines.length - 1 : lines.length;
  const frames: XyzFrame[] = [];
  let at = 0;
  const fail = (line: number, message: string): never => {
    throw new UserError(`${source}:${line + 1}: ${message}`);
  };
  while (at < lines.length) {
    if (lines[at].trim() === "") {
      at++;
      continue;
    }
    const countText = lines[at].trim();
    const count = /^\d{1,15}$/.test(countText) ? Number(countText) : NaN;
    if (!Number.isInteger(count) || count < 1) {
      fail(at, "expected the atom count (a positive whole number alone on its line)");
    }
    if (count > MAX_XYZ_ATOMS) {
      fail(at, `the header says ${count} atoms; at most ${MAX_XYZ_ATOMS} are read per frame`);
    }
    // Checked before allocating: a corrupt count must not become a huge array.
    const remaining = Math.max(0, lineCount - (at + 2));
    if (count > remaining) {
      fail(at + 2 + remaining, `expected ${count} atom lines, found ${remaining}`);
    }
    const info = parseComment(lines[at + 1], (message) => fail(at + 1, message));
    const columns = propertyColumns(info.Properties, (message) => fail(at + 1, message));
    const symbols: string[] = [];
    const positions = new Float64Array(3 * count);
    const forces = columns.forces === undefined ? undefined : new Float64Array(3 * count);
    const readVector = (
      what: string,
      fields: string[],
      column: number,
      into: Float64Array,
      i: number,
    ) => {
      for (let k = 0; k < 3; k++) {
        const value = parseDecimal(fields[column + k]);
        if (!Number.isFinite(value)) {
          fail(
            at + 2 + i,
            `${what} ${"xyz"[k]} (column ${column + k + 1}) is not a decimal number`,
          );
        }
        // Tiny values (1.2e-17 where a symmetric structure has a zero) are fine: only the
        // large overflow what f32 resolves.
        if (Math.abs(value) > MAX_MAGNITUDE) {
          fail(
            at + 2 + i,
            `${what} ${"xyz"[k]} (column ${column + k + 1}) is beyond +-${MAX_MAGNITUDE}, more ` +
              "than the GPU's f32 arithmetic resolves",
          );
        }
        into[3 * i + k] = value;
      }
    };
    for (let i = 0; i < count; i++) {
      const lineIndex = at + 2 + i;
      if (lines[lineIndex].trim() === "") {
        fail(lineIndex, `expected ${count} atom lines, found ${i}`);
      }
      const fields = lines[lineIndex].trim().split(/\s+/);
      if (fields.length < columns.width) {
        fail(lineIndex, `expected ${columns.width} columns, got ${fields.length}`);
      }
      const symbol = fields[columns.species];
      if (!SYMBOL.test(symbol)) {
        fail(lineIndex, `column ${columns.species + 1} is no element symbol (letters and digits)`);
      }
      symbols.push(symbol);
      readVector("coordinate", fields, columns.position, positions, i);
      if (forces !== undefined) readVector("force", fields, columns.forces!, forces, i);
    }
    const frame: XyzFrame = {
      symbols,
      positions,
      box: periodicBox(info, (m) => fail(at + 1, m)),
      info,
    };
    if (forces !== undefined) frame.forces = forces;
    frames.push(frame);
    at += 2 + count;
  }
  if (frames.length === 0) throw new UserError(`${source}: no frames in the file`);
  return frames;
}

/** Extended XYZ that ASE reads back: `Lattice` and `pbc="T T T"` for a periodic frame, nothing
 * for a cluster (ASE then gives pbc False), `forces:R:3` when the frame has forces. */
export function formatXyz(frames: XyzFrame[]): string {
  return frames.map((frame) => {
    const info: Record<string, string> = { ...frame.info };
    delete info.Lattice;
    delete info.Properties;
    delete info.pbc;
    const pairs: string[] = [];
    if (frame.box !== undefined) {
      const L = frame.box;
      pairs.push(`Lattice="${L} 0 0 0 ${L} 0 0 0 ${L}"`, `pbc="T T T"`);
    }
    const forces = frame.forces;
    pairs.push(`Properties=species:S:1:pos:R:3${forces ? ":forces:R:3" : ""}`);
    for (const [key, value] of Object.entries(info)) {
      pairs.push(/\s/.test(value) ? `${key}="${value}"` : `${key}=${value}`);
    }
    const atoms = frame.symbols.map((symbol, i) => {
      const fields = [symbol, ...Array.from(frame.positions.subarray(3 * i, 3 * i + 3), fixed)];
      // Forces at a minimum are tiny: written in full (shortest exact form), not fixed-point.
      if (forces) fields.push(...Array.from(forces.subarray(3 * i, 3 * i + 3), String));
      return fields.join(" ");
    });
    return [String(frame.symbols.length), pairs.join(" "), ...atoms].join("\n") + "\n";
  }).join("");
}

function fixed(x: number): string {
  return x.toFixed(10);
}

function parseComment(line: string, fail: (message: string) => never): Record<string, string> {
  const info: Record<string, string> = {};
  const pattern = /([A-Za-z_][\w-]*)=("([^"]*)"|\S+)/g;
  for (const match of line.matchAll(pattern)) info[match[1]] = match[3] ?? match[2];
  if ((line.match(/"/g)?.length ?? 0) % 2 !== 0) fail("unbalanced quotes in the comment line");
  return info;
}

interface Columns {
  species: number;
  position: number;
  forces?: number;
  width: number;
}

/** The columns parseXyz reads, by Properties name, with the type:count each must have. */
const KNOWN_COLUMNS: Record<string, { key: "species" | "position" | "forces"; shape: string }> = {
  species: { key: "species", shape: "S:1" },
  pos: { key: "position", shape: "R:3" },
  forces: { key: "forces", shape: "R:3" },
};

/** Where the species, position and (optional) force columns are, from
 * Properties=name:type:count:... */
function propertyColumns(
  properties: string | undefined,
  fail: (message: string) => never,
): Columns {
  if (properties === undefined) return { species: 0, position: 1, width: 4 };
  const parts = properties.split(":");
  if (parts.length % 3 !== 0) fail("malformed Properties (expected name:type:count triples)");
  const found: Partial<Record<"species" | "position" | "forces", number>> = {};
  let column = 0;
  for (let k = 0; k < parts.length; k += 3) {
    const [name, type, countText] = parts.slice(k, k + 3);
    const count = /^\d+$/.test(countText) ? Number(countText) : 0;
    if (count < 1) fail("malformed Properties (expected name:type:count triples)");
    const known = Object.hasOwn(KNOWN_COLUMNS, name) ? KNOWN_COLUMNS[name] : undefined;
    if (known !== undefined) {
      if (`${type}:${count}` !== known.shape) {
        fail(`Properties: ${name} must be ${name}:${known.shape}`);
      }
      found[known.key] = column;
    }
    column += count;
  }
  const { species, position, forces } = found;
  if (species === undefined || position === undefined) {
    return fail("Properties must name species:S:1 and pos:R:3");
  }
  return { species, position, forces, width: column };
}

/** The cubic side of a periodic frame, undefined for a cluster (see the file comment). */
function periodicBox(
  info: Record<string, string>,
  fail: (message: string) => never,
): number | undefined {
  const lattice = info.Lattice === undefined ? undefined : latticeVectors(info.Lattice, fail);
  const pbc = info.pbc === undefined ? undefined : parsePbc(info.pbc, fail);
  const periodic = pbc === undefined ? lattice !== undefined : pbc.every(Boolean);
  if (pbc !== undefined && pbc.some(Boolean) && !periodic) {
    const spelled = pbc.map((p) => (p ? "T" : "F")).join(" ");
    fail(
      `slabs (pbc ${spelled}) are not supported; use pbc="F F F" for a cluster or pbc="T T T" ` +
        "with a cubic Lattice",
    );
  }
  if (!periodic) return undefined;
  if (lattice === undefined) fail('pbc="T T T" needs a Lattice="L 0 0 0 L 0 0 0 L"');
  const v = lattice!;
  const side = v[0];
  const cubic = [v[1], v[2], v[3], v[5], v[6], v[7]].every((x) => x === 0) &&
    v[4] === side && v[8] === side && side > 0;
  if (!cubic) fail('only cubic periodic boxes are supported: Lattice="L 0 0 0 L 0 0 0 L"');
  if (side > MAX_MAGNITUDE) {
    fail(`the box side is beyond ${MAX_MAGNITUDE}, more than the GPU's f32 arithmetic resolves`);
  }
  return side;
}

function latticeVectors(lattice: string, fail: (message: string) => never): number[] {
  const v = lattice.trim().split(/\s+/).map(parseDecimal);
  if (v.length !== 9 || v.some((x) => !Number.isFinite(x))) fail("Lattice needs 9 decimal numbers");
  return v;
}

/** ASE's spellings: T/F, True/False, 1/0 in any case; one value stands for all three axes. */
function parsePbc(text: string, fail: (message: string) => never): boolean[] {
  const flags = text.trim().split(/\s+/).map((word) => {
    const w = word.toLowerCase();
    if (w === "t" || w === "true" || w === "1") return true;
    if (w === "f" || w === "false" || w === "0") return false;
    return fail("pbc must be T or F for each axis");
  });
  if (flags.length === 1) return [flags[0], flags[0], flags[0]];
  if (flags.length !== 3) fail(`pbc needs 1 or 3 values, got ${flags.length}`);
  return flags;
}
