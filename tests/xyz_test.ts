/** Reading and writing (extended) XYZ. */
import assert from "node:assert/strict";
import { formatXyz, parseXyz, UserError, type XyzFrame } from "../mod.ts";
import { MAX_XYZ_ATOMS } from "../src/io/xyz.ts";

function throwsUserError(text: string, message: RegExp) {
  assert.throws(
    () => parseXyz(text, "f.xyz"),
    (e) => e instanceof UserError && message.test(e.message),
    JSON.stringify(text.slice(0, 200)),
  );
}

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
    ["1\n\nAu 0 zero 0\n", /:3: coordinate y \(column 3\) is not a decimal number$/],
    // Number() would read these; a coordinate is a plain decimal.
    ["1\n\nAu 0x1 0 0\n", /:3: coordinate x \(column 2\) is not a decimal number$/],
    ["1\n\nAu 0 0 Infinity\n", /:3: coordinate z \(column 4\) is not a decimal number$/],
    ["1\n\nAu 0 0 1e39\n", /:3: coordinate z \(column 4\) is beyond \+-1000000/],
    ["1\n\nA:u 0 0 0\n", /:3: column 1 is no element symbol/],
    ['1\nLattice="1 2 3"\nSi 0 0 0\n', /:2: Lattice needs 9 decimal numbers$/],
    ['1\nLattice="1e39 0 0 0 1e39 0 0 0 1e39"\nSi 0 0 0\n', /:2: the box side is beyond 1000000/],
    ['1\nLattice="10 1 0 0 10 0 0 0 10"\nSi 0 0 0\n', /:2: only cubic periodic boxes/],
    ["1\nProperties=species:S:1\nAu 0 0 0\n", /must name species:S:1 and pos:R:3$/],
    ["1\nProperties=species:S:1:pos:R:2\nAu 0 0\n", /:2: Properties: pos must be pos:R:3/],
    [
      "1\nProperties=species:S:1:pos:R:3:forces:R:3\nAu 0 0 0 1 nan 0\n",
      /:3: force y \(column 6\) is not a decimal number$/,
    ],
  ];
  for (const [text, message] of bad) throwsUserError(text, message);
});

// The comment lines ASE 3.22 writes (`ase.io.write("x.xyz", atoms)`), atom lines shortened; the
// backslash-newline keeps the long comment one line.
const ASE_CLUSTER_IN_CELL = `2
Lattice="20.908247792861573 0.0 0.0 0.0 20.908247792861573 0.0 0.0 0.0 20.908247792861573" \
Properties=species:S:1:pos:R:3:tags:I:1 pbc="F F F"
Au 10.45412390 10.45412390 10.45412390 1
Au 10.45412390 10.45412390 13.33412390 1
`;
const ASE_CLUSTER = `2
Properties=species:S:1:pos:R:3:tags:I:1:forces:R:3 energy=-1.5 pbc="F F F"
Au 0.0 0.0 0.0 1 0.25 -0.5 1e-9
Au 0.0 0.0 2.88 1 -0.25 0.5 -1e-9
`;

Deno.test("extended XYZ pbc: F F F is a cluster even with a Lattice; T T T is periodic", () => {
  const [inCell] = parseXyz(ASE_CLUSTER_IN_CELL);
  assert.equal(inCell.box, undefined);
  const centre = 10.4541239;
  assert.deepEqual(Array.from(inCell.positions), [
    centre,
    centre,
    centre,
    centre,
    centre,
    13.3341239,
  ]);
  assert.equal(inCell.info.pbc, "F F F");
  const [bare] = parseXyz(ASE_CLUSTER);
  assert.equal(bare.box, undefined);
  const periodic = ASE_CLUSTER_IN_CELL.replace('pbc="F F F"', 'pbc="T T T"');
  assert.equal(parseXyz(periodic)[0].box, 20.908247792861573);
  // ASE's other spellings, any case; one value stands for all three axes.
  for (const pbc of ["T T T", "True True True", "1 1 1", "t true 1", "T"]) {
    assert.equal(parseXyz(periodic.replace("T T T", pbc))[0].box, 20.908247792861573, pbc);
  }
  for (const pbc of ["False False False", "0 0 0", "f false F", "F"]) {
    assert.equal(parseXyz(periodic.replace("T T T", pbc))[0].box, undefined, pbc);
  }
  // No pbc key: a Lattice means periodic (the older convention).
  assert.equal(parseXyz(periodic.replace(' pbc="T T T"', ""))[0].box, 20.908247792861573);
  // A non-cubic cell is fine for a cluster, an error for a periodic frame.
  const skewed = (pbc: string) =>
    `1\nLattice="10 1 0 0 12 0 0 0 9" Properties=species:S:1:pos:R:3 pbc="${pbc}"\nAu 0 0 0\n`;
  assert.equal(parseXyz(skewed("F F F"))[0].box, undefined);
  throwsUserError(skewed("T T T"), /:2: only cubic periodic boxes are supported/);
});

Deno.test("extended XYZ pbc: slabs, periodic without a Lattice, bad values are refused", () => {
  const frame = (comment: string) => `1\n${comment}\nAu 0 0 0\n`;
  const lattice = 'Lattice="10 0 0 0 10 0 0 0 10"';
  throwsUserError(frame(`${lattice} pbc="T T F"`), /:2: slabs \(pbc T T F\) are not supported; /);
  throwsUserError(frame(`${lattice} pbc="true False 1"`), /slabs \(pbc T F T\) are not supported/);
  throwsUserError(frame('pbc="T T T"'), /:2: pbc="T T T" needs a Lattice/);
  throwsUserError(frame(`${lattice} pbc="yes yes yes"`), /:2: pbc must be T or F for each axis/);
  throwsUserError(frame(`${lattice} pbc="T T"`), /:2: pbc needs 1 or 3 values/);
});

Deno.test("extended XYZ forces: read from a forces:R:3 column, written back exactly", () => {
  const [ase] = parseXyz(ASE_CLUSTER);
  assert.deepEqual(Array.from(ase.forces!), [0.25, -0.5, 1e-9, -0.25, 0.5, -1e-9]);
  assert.deepEqual(Array.from(ase.positions), [0, 0, 0, 0, 0, 2.88]);
  assert.equal(ase.info.energy, "-1.5");
  assert.equal(parseXyz("1\n\nAu 0 0 0\n")[0].forces, undefined);

  const forces = Float64Array.of(1e-12, -3.0000000000000004, 0.1 + 0.2, -2.5e-7, 0, 123456.789);
  const frames: XyzFrame[] = [
    {
      symbols: ["Au", "Au"],
      positions: Float64Array.of(0, 0, 0, 0, 0, 2.9),
      forces,
      info: { energy: "-5.4632421259", rank: "1" },
    },
    { symbols: ["Au", "Au"], positions: Float64Array.of(0, 0, 0, 0, 0, 3), info: {} },
  ];
  const text = formatXyz(frames);
  const [comment, , , , second] = text.split("\n").slice(1);
  assert.equal(comment, "Properties=species:S:1:pos:R:3:forces:R:3 energy=-5.4632421259 rank=1");
  assert.equal(second, "Properties=species:S:1:pos:R:3");
  const [withForces, without] = parseXyz(text);
  assert.deepEqual(Array.from(withForces.forces!), Array.from(forces));
  assert.equal(withForces.info.energy, "-5.4632421259");
  assert.equal(withForces.box, undefined);
  assert.equal(without.forces, undefined);
});

Deno.test("XYZ: a corrupt header or binary junk is refused briefly, before allocating", () => {
  throwsUserError("999999999999\n\n", /:1: the header says 999999999999 atoms; at most 1000000/);
  assert.equal(MAX_XYZ_ATOMS, 1_000_000);
  // Within the maximum, the count is checked against the lines there are.
  throwsUserError("500000\n\nAu 0 0 0\n", /:4: expected 500000 atom lines, found 1/);
  throwsUserError("3\n\nAu 0 0 0\nAu 0 0 1", /:5: expected 3 atom lines, found 2/);
  // A file that is not XYZ (a link to /etc/passwd, junk) is never quoted back.
  const junk = "\x01\x02ab\u00ff" + "SECRET".repeat(500);
  for (
    const text of [
      junk,
      "root:x:0:0:root:/root:/bin/bash\n",
      `1\n\nAu 0 ${junk} 0\n`,
      `1\nLattice="${junk}"\nSi 0 0 0\n`,
      `1\nProperties=${junk}\nSi 0 0 0\n`,
      `1\n\n${junk} 0 0 0\n`,
    ]
  ) {
    assert.throws(() => parseXyz(text, "f.xyz"), (error) => {
      assert.ok(error instanceof UserError);
      assert.ok(error.message.length < 120, error.message);
      assert.ok(!/SECRET|root/.test(error.message), error.message);
      return true;
    });
  }
});
