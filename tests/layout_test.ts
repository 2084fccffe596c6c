/** Binary layouts declared once in TypeScript: offsets, the emitted WGSL, and typed access. */
import assert from "node:assert/strict";
import { type Layout, layoutWords, offsets, StructArray, wgslStruct } from "../src/core/layout.ts";
import { REPLICA_LAYOUT, TABOO_CAPACITY } from "../src/methods/kernel_layout.ts";

const LAYOUT: Layout = {
  name: "Example",
  fields: [
    { name: "energy", type: "f32", doc: "eV" },
    { name: "count", type: "u32" },
    { name: "rho", type: "f32", count: 2 },
    { name: "rng", type: "vec4u" },
  ],
};

Deno.test("layouts: word offsets, padding and the WGSL declaration", () => {
  assert.deepEqual(offsets(LAYOUT), { energy: 0, count: 1, rho: 2, rng: 4 });
  assert.equal(layoutWords(LAYOUT), 8);
  assert.equal(
    wgslStruct(LAYOUT),
    "struct Example {\n  // eV\n  energy: f32,\n  count: u32,\n  rho: array<f32, 2>,\n" +
      "  rng: vec4u,\n}",
  );
  assert.equal(wgslStruct({ name: "Empty", fields: [] }), "struct Empty {\n  unused: u32,\n}");
  // WGSL aligns a vec4u to 16 bytes; a layout that would need hidden padding is refused.
  const misaligned: Layout = {
    name: "Bad",
    fields: [{ name: "a", type: "u32" }, { name: "v", type: "vec4u" }],
  };
  assert.throws(() => offsets(misaligned), /multiple of 4 words/);
  // The kernel's Replica struct: its random state first, then 16 scalars, one probability per
  // registered move but the uniform one (9), the hop tolerance's scale, reseeding's three fields,
  // the taboo list (TABOO_CAPACITY energies, the count saved and its hits), the host's placement
  // flag and the rejection count: 57 words, padded to a multiple of 4.
  assert.equal(TABOO_CAPACITY, 20);
  assert.equal(layoutWords(REPLICA_LAYOUT), 60);
  assert.equal(offsets(REPLICA_LAYOUT).rng, 0);
  assert.equal(offsets(REPLICA_LAYOUT).taboo, 33);
  assert.equal(offsets(REPLICA_LAYOUT).rejected_nonfinite, 56);
});

Deno.test("layouts: fields written through one struct array read back per field", () => {
  const structs = new StructArray(LAYOUT, 3);
  for (let k = 0; k < 3; k++) {
    structs.f32[structs.at(k, "energy")] = -1.5 * k;
    structs.u32[structs.at(k, "count")] = 10 + k;
  }
  assert.deepEqual([...structs.column("energy", "f32")], [-0, -1.5, -3]);
  assert.deepEqual([...structs.column("count", "u32")], [10, 11, 12]);
  assert.equal(structs.at(2, "rng"), 2 * 8 + 4);
  assert.throws(() => structs.at(0, "missing"), /no field missing/);
});
