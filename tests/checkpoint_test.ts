/**
 * Learned-optimizer checkpoints: bit-exact round trips, deterministic bytes, atomic replacement,
 * and a CheckpointError (never another error, never garbage) for truncated, corrupted,
 * inconsistent or mismatched files. numpy parses the file by hand where /usr/bin/python3 has it.
 */
import assert from "node:assert/strict";
import {
  type Architecture,
  type Checkpoint,
  decodeCheckpoint,
  encodeCheckpoint,
  loadCheckpoint,
  saveCheckpoint,
} from "../src/learned/checkpoint.ts";
import {
  CheckpointError,
  decodeSafetensors,
  encodeSafetensors,
} from "../src/learned/safetensors.ts";
import { Rng } from "../src/core/rng.ts";

const PYTHON = "/usr/bin/python3";

/** mlp(4->3->2): 4*3 + 3 weights and biases into the hidden layer, 3*2 + 2 out of it. */
const SMALL: Architecture = { name: "mlp", inputs: 4, hidden: [3], outputs: 2, parameterCount: 23 };
const FEATURES = ["gradient", "momentum", "log_step_size", "energy_rank"];

/** A checkpoint whose theta holds the awkward finite floats: -0, the largest, a subnormal, the
 * smallest normal negative. */
function sampleCheckpoint(seed = 1, architecture = SMALL): Checkpoint {
  const rng = new Rng(seed);
  const vector = () =>
    Float32Array.from({ length: architecture.parameterCount }, () => rng.uniform() - 0.5);
  const theta = vector();
  new Uint32Array(theta.buffer).set([0x80000000, 0x7f7fffff, 0x00000001, 0x80800000]);
  return {
    theta,
    optimizer: { m: vector(), v: vector().map(Math.abs), step: 40 + seed },
    outerStep: 41 + seed,
    rngState: rng.state(),
    architecture: structuredClone(architecture),
    features: [...FEATURES],
    config: { system: "LJ38", replicas: 1024, sigma: 0.01, schedule: [1, 2.5, null], seed },
    projectVersion: "0.1.0",
  };
}

function bits(values: Float32Array): number[] {
  return Array.from(new Uint32Array(values.buffer, values.byteOffset, values.length));
}

/** Compares floats by bit pattern, so -0 and subnormals count. */
function assertSameCheckpoint(actual: Checkpoint, expected: Checkpoint): void {
  assert.deepEqual(bits(actual.theta), bits(expected.theta));
  assert.deepEqual(bits(actual.optimizer.m), bits(expected.optimizer.m));
  assert.deepEqual(bits(actual.optimizer.v), bits(expected.optimizer.v));
  assert.ok(actual.theta instanceof Float32Array && actual.rngState instanceof Uint32Array);
  const { theta: _t, optimizer, ...rest } = actual;
  const { theta: _u, optimizer: wantedOptimizer, ...wantedRest } = expected;
  assert.equal(optimizer.step, wantedOptimizer.step);
  assert.deepEqual(rest, wantedRest);
}

/** A safetensors file with a header written verbatim (no padding), for malformed cases. */
function handMade(header: unknown, dataBytes = 0): Uint8Array {
  const json = new TextEncoder().encode(JSON.stringify(header));
  const bytes = new Uint8Array(8 + json.length + dataBytes);
  new DataView(bytes.buffer).setBigUint64(0, BigInt(json.length), true);
  bytes.set(json, 8);
  return bytes;
}

function assertCheckpointError(fn: () => unknown, pattern: RegExp): void {
  assert.throws(fn, (error) => {
    assert.ok(error instanceof CheckpointError, `not a CheckpointError: ${error}`);
    assert.match(error.message, pattern);
    return true;
  });
}

async function assertRejectsCheckpoint(promise: Promise<unknown>, pattern: RegExp): Promise<void> {
  await assert.rejects(promise, (error) => {
    assert.ok(error instanceof CheckpointError, `not a CheckpointError: ${error}`);
    assert.match(error.message, pattern);
    return true;
  });
}

/** Header text of a safetensors file, and its offset, for in-place corruption. */
function headerText(bytes: Uint8Array): string {
  const length = Number(new DataView(bytes.buffer).getBigUint64(0, true));
  return new TextDecoder().decode(bytes.subarray(8, 8 + length));
}

/** Replaces `from` with the equally long `to` inside the header. */
function patchHeader(bytes: Uint8Array, from: string, to: string): Uint8Array {
  assert.equal(from.length, to.length);
  const at = headerText(bytes).indexOf(from);
  assert.ok(at >= 0, `header lacks ${from}`);
  const patched = bytes.slice();
  patched.set(new TextEncoder().encode(to), 8 + at);
  return patched;
}

Deno.test("checkpoint round trip is bit-exact: theta, Adam state, RNG, metadata", async () => {
  const checkpoint = sampleCheckpoint();
  assertSameCheckpoint(decodeCheckpoint(encodeCheckpoint(checkpoint)), checkpoint);
  const dir = await Deno.makeTempDir();
  try {
    const path = `${dir}/lopt.safetensors`;
    await saveCheckpoint(path, checkpoint);
    const loaded = await loadCheckpoint(path, { architecture: SMALL, features: FEATURES });
    assertSameCheckpoint(loaded, checkpoint);
    // The RNG continues the same stream.
    const original = Rng.fromState(checkpoint.rngState);
    assert.equal(Rng.fromState(loaded.rngState).nextUint32(), original.nextUint32());
  } finally {
    await Deno.remove(dir, { recursive: true });
  }
});

Deno.test("checkpoint layout: named tensors and metadata a foreign reader can use", () => {
  const checkpoint = sampleCheckpoint();
  const { tensors, metadata } = decodeSafetensors(encodeCheckpoint(checkpoint));
  assert.deepEqual(
    Object.fromEntries(Object.entries(tensors).map(([name, t]) => [name, [t.dtype, t.shape]])),
    {
      theta: ["F32", [23]],
      adam_m: ["F32", [23]],
      adam_v: ["F32", [23]],
      rng_state: ["U32", [4]],
    },
  );
  assert.deepEqual(metadata, {
    format: "learn2hop-checkpoint",
    format_version: "1",
    outer_step: "42",
    adam_step: "41",
    architecture: JSON.stringify(SMALL),
    features: JSON.stringify(FEATURES),
    config: JSON.stringify(checkpoint.config),
    project_version: "0.1.0",
  });
});

Deno.test("identical content gives identical bytes, whatever the key order", () => {
  const checkpoint = sampleCheckpoint();
  assert.deepEqual(encodeCheckpoint(checkpoint), encodeCheckpoint(sampleCheckpoint()));
  const architecture = { parameterCount: 23, outputs: 2, hidden: [3], inputs: 4, name: "mlp" };
  const reordered = { ...checkpoint, architecture };
  assert.deepEqual(encodeCheckpoint(reordered), encodeCheckpoint(checkpoint));

  const a = { dtype: "F64" as const, shape: [2], data: Float64Array.of(1, -2) };
  const b = { dtype: "I32" as const, shape: [], data: Int32Array.of(-7) };
  const c = { dtype: "U32" as const, shape: [1, 3], data: Uint32Array.of(1, 2, 3) };
  const first = encodeSafetensors({ b, a, "10": c }, { z: "1", "2": "x", a: "" });
  const second = encodeSafetensors({ "10": c, a, b }, { a: "", z: "1", "2": "x" });
  assert.deepEqual(first, second);
  const headerLength = Number(new DataView(first.buffer).getBigUint64(0, true));
  assert.equal((8 + headerLength) % 8, 0, "data section 8-byte aligned");
  assert.match(headerText(first), /^\{"__metadata__":\{"2":"x","a":"","z":"1"\},"10":.*\} *$/);
  const decoded = decodeSafetensors(first);
  assert.deepEqual(decoded.tensors, { a, b, "10": c });
  assert.deepEqual(decoded.metadata, { a: "", z: "1", "2": "x" });
});

Deno.test("saving is atomic: directory created, old checkpoint replaced, no temp file left", async () => {
  const dir = await Deno.makeTempDir();
  try {
    const folder = `${dir}/runs/meta`;
    const path = `${folder}/lopt.safetensors`;
    await saveCheckpoint(path, sampleCheckpoint(1));
    const newer = sampleCheckpoint(2);
    await saveCheckpoint(path, newer);
    assertSameCheckpoint(await loadCheckpoint(path), newer);
    const names = async (where: string) =>
      (await Array.fromAsync(Deno.readDir(where))).map((entry) => entry.name);
    assert.deepEqual(await names(folder), ["lopt.safetensors"]);

    // A rename that fails (onto a non-empty directory) removes its temporary file.
    await Deno.mkdir(`${folder}/occupied/inside`, { recursive: true });
    await assert.rejects(saveCheckpoint(`${folder}/occupied`, newer));
    assert.deepEqual((await names(folder)).sort(), ["lopt.safetensors", "occupied"]);

    // An inconsistent checkpoint is refused before anything is written.
    const broken = { ...newer, theta: new Float32Array(5) };
    await assertRejectsCheckpoint(saveCheckpoint(path, broken), /theta has 5 values, expected 23/);
    assertSameCheckpoint(await loadCheckpoint(path), newer);
  } finally {
    await Deno.remove(dir, { recursive: true });
  }
});

Deno.test("non-finite weights or moments are refused on reading and writing", async () => {
  const good = sampleCheckpoint();
  const { tensors, metadata } = decodeSafetensors(encodeCheckpoint(good));
  /** The checkpoint's bytes with `name`[index] set to `value`, past the checkpoint's checks. */
  const withValue = (name: string, index: number, value: number) => {
    const data = Float32Array.from(tensors[name].data);
    data[index] = value;
    return encodeSafetensors({ ...tensors, [name]: { ...tensors[name], data } }, metadata);
  };
  const cases: [Uint8Array, RegExp][] = [
    [
      withValue("theta", 7, NaN),
      /^checkpoint theta\[7\] is NaN; every value must be a finite number$/,
    ],
    [withValue("theta", 22, Infinity), /^checkpoint theta\[22\] is Infinity/],
    [withValue("theta", 0, -Infinity), /^checkpoint theta\[0\] is -Infinity/],
    [withValue("adam_m", 3, NaN), /^checkpoint adam_m\[3\] is NaN/],
    [withValue("adam_v", 5, Infinity), /^checkpoint adam_v\[5\] is Infinity/],
    [withValue("adam_v", 2, -0.5), /^checkpoint adam_v\[2\] is -0.5; Adam's second moments/],
  ];
  for (const [bytes, pattern] of cases) {
    assertCheckpointError(() => decodeCheckpoint(bytes), pattern);
  }

  // Garbage over the data section (0xff bytes read as NaN) is refused, not loaded as weights.
  const garbage = encodeCheckpoint(good);
  const dataStart = 8 + Number(new DataView(garbage.buffer).getBigUint64(0, true));
  garbage.fill(0xff, dataStart);
  assertCheckpointError(() => decodeCheckpoint(garbage), /^checkpoint theta\[0\] is NaN/);

  const dir = await Deno.makeTempDir();
  try {
    const path = `${dir}/lopt.safetensors`;
    await Deno.writeFile(path, withValue("theta", 7, NaN));
    await assertRejectsCheckpoint(
      loadCheckpoint(path),
      new RegExp(`^${RegExp.escape(path)} \\(a checkpoint\\): checkpoint theta\\[7\\] is NaN`),
    );
    // Saving refuses too, and leaves the earlier checkpoint and no temporary file.
    await saveCheckpoint(path, good);
    const theta = Float32Array.from(good.theta);
    theta[9] = NaN;
    await assertRejectsCheckpoint(saveCheckpoint(path, { ...good, theta }), /theta\[9\] is NaN/);
    assertSameCheckpoint(await loadCheckpoint(path), good);
    const names = (await Array.fromAsync(Deno.readDir(dir))).map((entry) => entry.name);
    assert.deepEqual(names, ["lopt.safetensors"]);
    // A path under a file is a CheckpointError, not a file-system exception.
    await assertRejectsCheckpoint(
      loadCheckpoint(`${path}/checkpoint.safetensors`),
      /^.*lopt\.safetensors\/checkpoint\.safetensors \(a checkpoint\): a path under a file$/,
    );
  } finally {
    await Deno.remove(dir, { recursive: true });
  }
});

Deno.test("every truncation of a checkpoint is a CheckpointError saying so", async () => {
  const bytes = encodeCheckpoint(sampleCheckpoint());
  for (let length = 0; length < bytes.length; length++) {
    assertCheckpointError(() => decodeCheckpoint(bytes.subarray(0, length)), /truncated/);
  }
  const dir = await Deno.makeTempDir();
  try {
    const path = `${dir}/short.safetensors`;
    await Deno.writeFile(path, bytes.subarray(0, bytes.length - 1));
    await assertRejectsCheckpoint(
      loadCheckpoint(path),
      new RegExp(
        `^${
          RegExp.escape(path)
        } \\(a checkpoint\\): truncated: tensor 'theta' ends at data byte 292`,
      ),
    );
    await assertRejectsCheckpoint(
      loadCheckpoint(`${dir}/absent`),
      /^.*absent \(a checkpoint\): no such file$/,
    );
  } finally {
    await Deno.remove(dir, { recursive: true });
  }
});

Deno.test("malformed safetensors files are CheckpointErrors with the reason", () => {
  const f32 = (begin: number, end: number, shape = [(end - begin) / 4]) => ({
    dtype: "F32",
    shape,
    data_offsets: [begin, end],
  });
  // The hand-made writer produces valid files when nothing is wrong.
  assert.deepEqual(decodeSafetensors(handMade({ a: f32(0, 8), b: f32(8, 12) }, 12)).metadata, {});

  const huge = new Uint8Array(16);
  new DataView(huge.buffer).setBigUint64(0, 2n ** 63n, true);
  assertCheckpointError(
    () => decodeSafetensors(huge),
    /truncated: header says 9223372036854775808/,
  );

  const cases: [unknown, number, RegExp][] = [
    [{ a: f32(0, 8), b: f32(4, 12) }, 12, /tensors overlap: 'b' begins at data byte 4, before 'a'/],
    [{ a: f32(0, 4), b: f32(8, 12) }, 12, /data bytes 4\.\.8 belong to no tensor/],
    [{ a: f32(4, 8) }, 8, /data bytes 0\.\.4 belong to no tensor/],
    [{ a: f32(0, 4) }, 8, /data section has 8 bytes but the tensors cover only 4/],
    [{ a: f32(0, 8, [3]) }, 8, /F32 shape \[3\] needs 12 bytes, offsets give 8/],
    [{ a: f32(0, 16) }, 8, /truncated: tensor 'a' ends at data byte 16, data section has 8/],
    [{ a: { ...f32(0, 4), dtype: "F16" } }, 4, /dtype 'F16' is not one of F32,F64,U32,I32/],
    [{ a: { ...f32(0, 4), dtype: undefined } }, 4, /dtype 'undefined' is not one of/],
    [{ a: f32(0, 4, [0.5, 2]) }, 4, /shape must be a list of non-negative integers/],
    [{ a: { ...f32(0, 4), data_offsets: [4, 0] } }, 4, /data_offsets must be \[begin, end\]/],
    [{ a: { ...f32(0, 4), data_offsets: [0] } }, 4, /data_offsets must be/],
    [{ a: [] }, 0, /tensor 'a': entry is not an object/],
    [[1, 2], 0, /header is not a JSON object/],
    [{ __metadata__: { version: 1 } }, 0, /metadata "version" must be a string, not number/],
    [{ __metadata__: "v1" }, 0, /"__metadata__" is not a JSON object/],
  ];
  for (const [header, dataBytes, pattern] of cases) {
    assertCheckpointError(() => decodeSafetensors(handMade(header, dataBytes)), pattern);
  }

  const notUtf8 = handMade({ a: f32(0, 0) });
  notUtf8[10] = 0xff;
  assertCheckpointError(() => decodeSafetensors(notUtf8), /header is not UTF-8 JSON$/);
});

Deno.test("a corrupted checkpoint header is a CheckpointError, not a JSON SyntaxError", () => {
  const bytes = encodeCheckpoint(sampleCheckpoint());
  const text = headerText(bytes);
  const broken = bytes.slice();
  broken[8 + text.lastIndexOf("}")] = 0x20;
  assertCheckpointError(() => decodeCheckpoint(broken), /header is not UTF-8 JSON$/);
  assertCheckpointError(
    () => decodeCheckpoint(patchHeader(bytes, '"dtype":"U32"', '"dtype":"U64"')),
    /tensor 'rng_state': dtype 'U64' is not one of/,
  );
});

Deno.test("checkpoint contents are validated: format, dtypes, shapes, metadata", () => {
  const bytes = encodeCheckpoint(sampleCheckpoint());
  const { tensors, metadata } = decodeSafetensors(bytes);
  const rebuilt = (change: (t: typeof tensors, m: typeof metadata) => void) => {
    const t = { ...tensors };
    const m = { ...metadata };
    change(t, m);
    return encodeSafetensors(t, m);
  };
  const cases: [Uint8Array, RegExp][] = [
    [
      patchHeader(bytes, '"dtype":"F32"', '"dtype":"I32"'),
      /"adam_m" is I32 \[23\], expected 1-D F32/,
    ],
    [
      rebuilt((t) => t.theta = { ...t.theta, dtype: "F64", data: new Float64Array(23) }),
      /"theta" is F64 \[23\], expected 1-D F32/,
    ],
    [rebuilt((t) => t.theta = { ...t.theta, shape: [1, 23] }), /"theta" is F32 \[1,23\]/],
    [rebuilt((t) => delete t.adam_v), /tensors are \[adam_m,rng_state,theta\], expected/],
    [rebuilt((t) => t.extra = t.rng_state), /tensors are \[adam_m,adam_v,extra,rng_state,theta\]/],
    [
      rebuilt((t) => t.rng_state = { dtype: "U32", shape: [3], data: new Uint32Array(3) }),
      /rng_state has 3 values, expected 4/,
    ],
    [rebuilt((_, m) => m.format = "gguf"), /not a learn2hop checkpoint \(format 'gguf'\)/],
    [rebuilt((_, m) => delete m.format), /not a learn2hop checkpoint \(format 'null'\)/],
    [rebuilt((_, m) => m.format_version = "2"), /format version '2' is not supported/],
    [rebuilt((_, m) => delete m.outer_step), /metadata lacks "outer_step"/],
    [rebuilt((_, m) => m.adam_step = "07"), /"adam_step" is not a step count: '07'/],
    [rebuilt((_, m) => m.adam_step = "-1"), /"adam_step" is not a step count/],
    [rebuilt((_, m) => m.config = "{"), /metadata "config" is not valid JSON/],
    [rebuilt((_, m) => m.features = '["a",1]'), /features must be a list of names/],
    [rebuilt((_, m) => m.architecture = '{"name":"mlp"}'), /architecture is malformed/],
    [
      rebuilt((_, m) => m.architecture = JSON.stringify({ ...SMALL, parameterCount: 24 })),
      /theta has 23 values, expected 24/,
    ],
  ];
  for (const [file, pattern] of cases) assertCheckpointError(() => decodeCheckpoint(file), pattern);
  // The unchanged rebuild is accepted, so each case fails for its own reason.
  assertSameCheckpoint(decodeCheckpoint(rebuilt(() => {})), sampleCheckpoint());
});

Deno.test("a checkpoint for another architecture or feature list is refused, clearly", () => {
  // 19*32 + 32 + 32*32 + 32 + 32*3 + 3 parameters.
  const trained: Architecture = {
    name: "mlp",
    inputs: 19,
    hidden: [32, 32],
    outputs: 3,
    parameterCount: 1795,
  };
  const bytes = encodeCheckpoint(sampleCheckpoint(3, trained));
  const code = { architecture: trained, features: FEATURES };
  assert.equal(decodeCheckpoint(bytes, code).architecture.parameterCount, 1795);

  const narrower = { ...trained, hidden: [64], parameterCount: 1475 };
  assertCheckpointError(
    () => decodeCheckpoint(bytes, { ...code, architecture: narrower }),
    /^checkpoint architecture mlp\(19->32->32->3\) does not match the code's mlp\(19->64->3\)$/,
  );
  assertCheckpointError(
    () => decodeCheckpoint(bytes, { ...code, architecture: { ...trained, parameterCount: 1800 } }),
    /mlp\(19->32->32->3\) with 1795 parameters does not match the code's .* with 1800 parameters/,
  );
  assertCheckpointError(
    () => decodeCheckpoint(bytes, { ...code, architecture: { ...trained, name: "gru" } }),
    /does not match the code's gru\(19->32->32->3\)/,
  );
  const reordered = [FEATURES[1], FEATURES[0], ...FEATURES.slice(2)];
  assertCheckpointError(
    () => decodeCheckpoint(bytes, { ...code, features: reordered }),
    new RegExp(
      `^checkpoint was trained with features '\\["gradient","momentum",.*\\]'; ` +
        `this build computes \\["momentum","gradient",.*\\]$`,
    ),
  );
  assertCheckpointError(
    () => decodeCheckpoint(bytes, { ...code, features: FEATURES.slice(0, 3) }),
    /this build computes \["gradient","momentum","log_step_size"\]$/,
  );
});

/** Reads the file with struct, json and numpy only (and with `safetensors` if installed). */
const PYTHON_READER = `
import json, struct, sys
import numpy as np
path = sys.argv[1]
with open(path, "rb") as f:
    raw = f.read()
(n,) = struct.unpack("<Q", raw[:8])
header = json.loads(raw[8:8 + n].decode("utf-8"))
data = raw[8 + n:]
def tensor(name):
    info = header[name]
    begin, end = info["data_offsets"]
    dtype = {"F32": "<f4", "U32": "<u4"}[info["dtype"]]
    return np.frombuffer(data[begin:end], dtype=dtype).reshape(info["shape"])
out = {
    "theta_bits": tensor("theta").view("<u4").tolist(),
    "theta_tail": tensor("theta")[4:].astype(np.float64).tolist(),
    "rng_state": tensor("rng_state").tolist(),
    "metadata": header["__metadata__"],
}
try:
    from safetensors.numpy import load_file
except ImportError:
    out["library_theta_bits"] = None
else:
    out["library_theta_bits"] = load_file(path)["theta"].view("<u4").tolist()
print(json.dumps(out))
`;

async function numpyAvailable(): Promise<boolean> {
  try {
    const command = new Deno.Command(PYTHON, { args: ["-c", "import numpy"], stderr: "null" });
    return (await command.output()).success;
  } catch {
    return false;
  }
}

const hasNumpy = await numpyAvailable();

Deno.test({
  name: `numpy reads theta bit-exactly${hasNumpy ? "" : ` SKIPPED (no numpy for ${PYTHON})`}`,
  ignore: !hasNumpy,
  fn: async () => {
    const checkpoint = sampleCheckpoint();
    const dir = await Deno.makeTempDir();
    try {
      const path = `${dir}/lopt.safetensors`;
      await saveCheckpoint(path, checkpoint);
      const output = await new Deno.Command(PYTHON, { args: ["-c", PYTHON_READER, path] })
        .output();
      const stderr = new TextDecoder().decode(output.stderr);
      assert.ok(output.success, stderr);
      const read = JSON.parse(new TextDecoder().decode(output.stdout));
      assert.deepEqual(read.theta_bits, bits(checkpoint.theta));
      assert.deepEqual(read.theta_tail, Array.from(checkpoint.theta.slice(4)));
      assert.deepEqual(read.rng_state, Array.from(checkpoint.rngState));
      assert.equal(read.metadata.format, "learn2hop-checkpoint");
      assert.deepEqual(JSON.parse(read.metadata.features), FEATURES);
      if (read.library_theta_bits !== null) {
        assert.deepEqual(read.library_theta_bits, bits(checkpoint.theta));
      }
    } finally {
      await Deno.remove(dir, { recursive: true });
    }
  },
});
