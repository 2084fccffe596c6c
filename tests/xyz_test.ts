/** Reading and writing (extended) XYZ. */
import assert from "node:assert/strict";
import { formatXyz, parseXyz, UserError, type XyzFrame } from "../mod.ts";

Deno.test("extended XYZ: Lattice, Properties with extra columns, several frames", () => {
  const text = `2
Lattice="10.862 0.0 0.0 0.0 10.862 0.0 0.0 0.0 10.862" Properties=id:I:1:species:S:1:pos:R:3:forces:R:3 energy=-8.5 pbc="T T T"
1 Si 0.5 1.5 2.5 0 0 0
2 Si 3.0 4.0 5.0 0 0 0
3
plain frame
Au 0 0 0
Au 0 0 2.9
Ag 0 2.9 2.9
`;
  const [si, gold] = parseXyz(text);
  assert.equal(si.box, 10.862);
  assert.deepEqual(si.symbols, ["Si", "Si"]);
  assert.deepEqual(Array.from(si.positions), [0.5, 1.5, 2.5, 3, 4, 5]);
  assert.equal(si.info.energy, "-8.5");
  assert.equal(gold.box, undefined);
  assert.deepEqual(gold.symbols, ["Au", "Au", "Ag"]);
  assert.equal(gold.positions[8], 2.9);
});

Deno.test("XYZ: written frames read back the same", () => {
  const frames: XyzFrame[] = [
    {
      symbols: ["Ag", "Au"],
      positions: Float64Array.of(0, 0.125, -1, 2.5, 3, 4),
      info: { note: "two words" },
    },
    { symbols: ["Si", "Si"], positions: Float64Array.of(1, 2, 3, 4, 5, 6), box: 11, info: {} },
  ];
  const back = parseXyz(formatXyz(frames));
  assert.deepEqual(back.map((f) => [f.symbols, Array.from(f.positions), f.box, f.info.note]), [
    [["Ag", "Au"], [0, 0.125, -1, 2.5, 3, 4], undefined, "two words"],
    [["Si", "Si"], [1, 2, 3, 4, 5, 6], 11, undefined],
  ]);
});

Deno.test("XYZ: malformed input is a UserError with the line number", () => {
  const bad: [string, RegExp][] = [
    ["", /no frames/],
    ["two\n\n", /:1: expected the atom count/],
    ["2\n\nAu 0 0 0\n", /:4: expected 2 atom lines, found 1/],
    ["1\n\nAu 0 0\n", /:3: expected 4 columns/],
    ["1\n\nAu 0 zero 0\n", /:3: coordinate 'zero' is not a number/],
    ['1\nLattice="1 2 3"\nSi 0 0 0\n', /:2: Lattice needs 9 numbers/],
    ['1\nLattice="10 1 0 0 10 0 0 0 10"\nSi 0 0 0\n', /only cubic boxes/],
    ["1\nProperties=species:S:1\nAu 0 0 0\n", /must name species and pos/],
  ];
  for (const [text, message] of bad) {
    assert.throws(
      () => parseXyz(text, "f.xyz"),
      (e) => e instanceof UserError && message.test(e.message),
      JSON.stringify(text),
    );
  }
});
