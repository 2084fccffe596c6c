/**
 * XYZ and extended XYZ (the ASE / ovito convention), several frames per file.
 *   line 1: atom count
 *   line 2: comment; extended XYZ puts key=value pairs here, values may be "quoted":
 *           Lattice="ax ay az bx by bz cx cy cz" Properties=species:S:1:pos:R:3 energy=-44.3
 *   then one line per atom: columns as Properties says (plain XYZ: symbol x y z).
 * Lengths in the file's units (Angstrom for Gupta and SW, reduced units for LJ). Only cubic
 * boxes (a diagonal Lattice with equal sides) are supported, as the potentials need.
 */
import { UserError } from "../core/errors.ts";

export interface XyzFrame {
  symbols: string[];
  /** Flat [x0, y0, z0, x1, ...]. */
  positions: Float64Array;
  /** Cubic box side from Lattice=..., undefined without a lattice. */
  box?: number;
  /** Every key=value of the comment line, unparsed. */
  info: Record<string, string>;
}

export function parseXyz(text: string, source = "input"): XyzFrame[] {
  const lines = text.split(/\r?\n/);
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
    const count = Number(lines[at].trim());
    if (!Number.isInteger(count) || count < 1) {
      fail(at, `expected the atom count, got '${lines[at].trim()}'`);
    }
    if (at + 1 >= lines.length) fail(at, "missing comment line");
    const info = parseComment(lines[at + 1], (message) => fail(at + 1, message));
    const columns = propertyColumns(info.Properties, (message) => fail(at + 1, message));
    const symbols: string[] = [];
    const positions = new Float64Array(3 * count);
    for (let i = 0; i < count; i++) {
      const lineIndex = at + 2 + i;
      if (lineIndex >= lines.length || lines[lineIndex].trim() === "") {
        fail(lineIndex, `expected ${count} atom lines, found ${i}`);
      }
      const fields = lines[lineIndex].trim().split(/\s+/);
      if (fields.length < columns.width) {
        fail(lineIndex, `expected ${columns.width} columns, got ${fields.length}`);
      }
      symbols.push(fields[columns.species]);
      for (let k = 0; k < 3; k++) {
        const value = Number(fields[columns.position + k]);
        if (!Number.isFinite(value)) {
          fail(lineIndex, `coordinate '${fields[columns.position + k]}' is not a number`);
        }
        positions[3 * i + k] = value;
      }
    }
    const box = info.Lattice === undefined
      ? undefined
      : cubicSide(info.Lattice, (message) => fail(at + 1, message));
    frames.push({ symbols, positions, box, info });
    at += 2 + count;
  }
  if (frames.length === 0) throw new UserError(`${source}: no frames in the file`);
  return frames;
}

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
    pairs.push("Properties=species:S:1:pos:R:3");
    for (const [key, value] of Object.entries(info)) {
      pairs.push(/\s/.test(value) ? `${key}="${value}"` : `${key}=${value}`);
    }
    const atoms = frame.symbols.map((symbol, i) =>
      [symbol, ...Array.from(frame.positions.subarray(3 * i, 3 * i + 3), (x) => x.toFixed(10))]
        .join(" ")
    );
    return [String(frame.symbols.length), pairs.join(" "), ...atoms].join("\n") + "\n";
  }).join("");
}

function parseComment(line: string, fail: (message: string) => never): Record<string, string> {
  const info: Record<string, string> = {};
  const pattern = /([A-Za-z_][\w-]*)=("([^"]*)"|\S+)/g;
  for (const match of line.matchAll(pattern)) info[match[1]] = match[3] ?? match[2];
  if ((line.match(/"/g)?.length ?? 0) % 2 !== 0) fail("unbalanced quotes in the comment line");
  return info;
}

/** Where the species and position columns are, from Properties=name:type:count:... */
function propertyColumns(
  properties: string | undefined,
  fail: (message: string) => never,
): { species: number; position: number; width: number } {
  if (properties === undefined) return { species: 0, position: 1, width: 4 };
  const parts = properties.split(":");
  if (parts.length % 3 !== 0) fail(`malformed Properties '${properties}'`);
  let column = 0;
  let species = -1;
  let position = -1;
  for (let k = 0; k < parts.length; k += 3) {
    const [name, , countText] = parts.slice(k, k + 3);
    const count = Number(countText);
    if (!Number.isInteger(count) || count < 1) fail(`malformed Properties '${properties}'`);
    if (name === "species") species = column;
    if (name === "pos") position = column;
    column += count;
  }
  if (species < 0 || position < 0) fail(`Properties must name species and pos: '${properties}'`);
  return { species, position, width: column };
}

function cubicSide(lattice: string, fail: (message: string) => never): number {
  const v = lattice.trim().split(/\s+/).map(Number);
  if (v.length !== 9 || v.some((x) => !Number.isFinite(x))) {
    fail(`Lattice needs 9 numbers, got '${lattice}'`);
  }
  const side = v[0];
  const cubic = [v[1], v[2], v[3], v[5], v[6], v[7]].every((x) => x === 0) &&
    v[4] === side && v[8] === side && side > 0;
  if (!cubic) fail(`only cubic boxes are supported, got Lattice="${lattice}"`);
  return side;
}
