/**
 * The safetensors container (https://huggingface.co/docs/safetensors), read and written without
 * dependencies so that checkpoints open in Python (numpy, torch, jax) as well as here:
 *
 *     u64 little-endian N | N bytes of UTF-8 JSON header | raw little-endian tensor data
 *
 * The header maps each tensor name to `{dtype, shape, data_offsets: [begin, end]}` (byte offsets
 * into the data section) plus an optional `"__metadata__"` map of strings. Decoding is strict: a
 * file that is truncated, has overlapping or uncovered bytes, or a tensor whose size disagrees
 * with its shape is rejected with a {@link CheckpointError} rather than read as garbage.
 */
import { UserError } from "../core/errors.ts";
import { quoted } from "../core/quote.ts";

/**
 * A checkpoint file that cannot be written or read as asked: truncated, corrupted, of another
 * format, or trained for a different architecture or feature list. A {@link UserError}, so the
 * command-line tasks report it on one line.
 */
export class CheckpointError extends UserError {
  override name = "CheckpointError";
}

/** The element types this project stores; other safetensors dtypes are rejected on reading. */
export type SafetensorsDtype = "F32" | "F64" | "U32" | "I32";

export type TensorData = Float32Array | Float64Array | Uint32Array | Int32Array;

export interface Tensor {
  dtype: SafetensorsDtype;
  /** Row-major dimensions; the empty shape is a scalar (one element). */
  shape: number[];
  data: TensorData;
}

export interface Safetensors {
  tensors: Record<string, Tensor>;
  metadata: Record<string, string>;
}

interface DtypeInfo {
  /** Bytes per element. */
  size: number;
  array: new (buffer: ArrayBuffer) => TensorData;
}

const DTYPES: Record<SafetensorsDtype, DtypeInfo> = {
  F32: { size: 4, array: Float32Array },
  F64: { size: 8, array: Float64Array },
  U32: { size: 4, array: Uint32Array },
  I32: { size: 4, array: Int32Array },
};

const METADATA_KEY = "__metadata__";

/** Bytes of the little-endian u64 header length at the start of the file. */
const LENGTH_BYTES = 8;

/** Typed arrays use the host's byte order; the file's is little-endian. */
const HOST_LITTLE_ENDIAN = new Uint8Array(Uint16Array.of(1).buffer)[0] === 1;

/**
 * Serialises tensors and string metadata. Names and metadata keys are sorted and tensors laid out
 * in name order, so identical content always gives identical bytes; the header is padded with
 * spaces so the data section starts 8-byte aligned (as the reference implementation does).
 */
export function encodeSafetensors(
  tensors: Record<string, Tensor>,
  metadata: Record<string, string>,
): Uint8Array {
  const names = Object.keys(tensors).sort();
  const entries: string[] = [];
  const metadataKeys = Object.keys(metadata).sort();
  if (metadataKeys.length > 0) {
    for (const key of metadataKeys) checkMetadataValue(key, metadata[key]);
    entries.push(`${JSON.stringify(METADATA_KEY)}:${sortedObjectJson(metadata, metadataKeys)}`);
  }
  let offset = 0;
  for (const name of names) {
    const byteLength = checkTensorForWriting(name, tensors[name]);
    const { dtype, shape } = tensors[name];
    const info = { dtype, shape, data_offsets: [offset, offset + byteLength] };
    entries.push(`${JSON.stringify(name)}:${JSON.stringify(info)}`);
    offset += byteLength;
  }
  const json = new TextEncoder().encode(`{${entries.join(",")}}`);
  const headerLength = Math.ceil((LENGTH_BYTES + json.length) / 8) * 8 - LENGTH_BYTES;
  const bytes = new Uint8Array(LENGTH_BYTES + headerLength + offset);
  new DataView(bytes.buffer).setBigUint64(0, BigInt(headerLength), true);
  bytes.set(json, LENGTH_BYTES);
  bytes.fill(0x20, LENGTH_BYTES + json.length, LENGTH_BYTES + headerLength);
  let at = LENGTH_BYTES + headerLength;
  for (const name of names) {
    const data = tensors[name].data;
    bytes.set(new Uint8Array(data.buffer, data.byteOffset, data.byteLength), at);
    swapToHost(bytes.subarray(at, at + data.byteLength), DTYPES[tensors[name].dtype].size);
    at += data.byteLength;
  }
  return bytes;
}

/**
 * Parses and validates a safetensors file. The returned arrays are copies, independent of
 * `bytes`. Throws {@link CheckpointError} for anything that is not a complete, consistent file.
 */
export function decodeSafetensors(bytes: Uint8Array): Safetensors {
  const { header, dataStart } = readHeader(bytes);
  const dataLength = bytes.length - dataStart;
  const metadata = readMetadata(header[METADATA_KEY]);
  const layout = Object.entries(header)
    .filter(([name]) => name !== METADATA_KEY)
    .map(([name, info]) => readTensorInfo(name, info, dataLength));
  checkCoverage(layout, dataLength);
  const tensors = Object.fromEntries(layout.map(({ name, dtype, shape, begin, end }) => {
    const copy = bytes.slice(dataStart + begin, dataStart + end);
    const data = new DTYPES[dtype].array(swapToHost(copy, DTYPES[dtype].size).buffer);
    return [name, { dtype, shape, data }];
  }));
  return { tensors, metadata };
}

/** Sorted keys written as a JSON object; JS objects would put integer-like keys first. */
function sortedObjectJson(object: Record<string, string>, keys: string[]): string {
  return `{${
    keys.map((key) => `${JSON.stringify(key)}:${JSON.stringify(object[key])}`).join(",")
  }}`;
}

function checkMetadataValue(key: string, value: unknown): void {
  if (typeof value !== "string") {
    throw new CheckpointError(`metadata "${key}" must be a string, not ${typeof value}`);
  }
}

/** Validates a tensor about to be written; returns its size in bytes. */
function checkTensorForWriting(name: string, tensor: Tensor): number {
  if (name === METADATA_KEY) throw new CheckpointError(`"${METADATA_KEY}" is not a tensor name`);
  const info = DTYPES[tensor.dtype];
  if (info === undefined) {
    throw new CheckpointError(`tensor "${name}": unsupported dtype ${tensor.dtype}`);
  }
  if (!(tensor.data instanceof info.array)) {
    throw new CheckpointError(
      `tensor "${name}": dtype ${tensor.dtype} but data is a ${tensor.data.constructor.name}`,
    );
  }
  const count = elementCount(name, tensor.shape);
  if (count !== tensor.data.length) {
    throw new CheckpointError(
      `tensor "${name}": shape [${tensor.shape}] has ${count} elements, data has ${tensor.data.length}`,
    );
  }
  return tensor.data.byteLength;
}

/** Product of the dimensions, each a non-negative integer, without leaving exact integers. */
function elementCount(name: string, shape: unknown): number {
  if (!Array.isArray(shape) || !shape.every((d) => Number.isSafeInteger(d) && d >= 0)) {
    throw new CheckpointError(
      `tensor ${quoted(name)}: shape must be a list of non-negative integers, got ${quoted(shape)}`,
    );
  }
  const count = shape.reduce((product: number, d: number) => product * d, 1);
  if (!Number.isSafeInteger(count)) throw new CheckpointError(`tensor "${name}": shape too large`);
  return count;
}

/** Reverses each element's bytes on a big-endian host (in place; its own inverse). */
function swapToHost<T extends Uint8Array>(bytes: T, size: number): T {
  if (!HOST_LITTLE_ENDIAN) {
    for (let i = 0; i < bytes.length; i += size) bytes.subarray(i, i + size).reverse();
  }
  return bytes;
}

/** The length prefix and JSON header, checked to lie within the file and to be a JSON object. */
function readHeader(bytes: Uint8Array): { header: Record<string, unknown>; dataStart: number } {
  if (bytes.length < LENGTH_BYTES) {
    throw new CheckpointError(
      `truncated: ${bytes.length} bytes, shorter than the ${LENGTH_BYTES}-byte header length`,
    );
  }
  const view = new DataView(bytes.buffer, bytes.byteOffset, bytes.byteLength);
  const headerLength = view.getBigUint64(0, true);
  const available = bytes.length - LENGTH_BYTES;
  if (headerLength > BigInt(available)) {
    throw new CheckpointError(
      `truncated: header says ${headerLength} bytes, file has ${available} after the length`,
    );
  }
  const dataStart = LENGTH_BYTES + Number(headerLength);
  let header: unknown;
  try {
    const text = new TextDecoder("utf-8", { fatal: true }).decode(
      bytes.subarray(LENGTH_BYTES, dataStart),
    );
    header = JSON.parse(text);
  } catch {
    // Not the parser's message: it would quote the file.
    throw new CheckpointError("the safetensors header is not UTF-8 JSON");
  }
  if (!isPlainObject(header)) {
    throw new CheckpointError("the safetensors header is not a JSON object");
  }
  return { header, dataStart };
}

function readMetadata(value: unknown): Record<string, string> {
  if (value === undefined) return {};
  if (!isPlainObject(value)) throw new CheckpointError(`"${METADATA_KEY}" is not a JSON object`);
  for (const [key, item] of Object.entries(value)) checkMetadataValue(key, item);
  return value as Record<string, string>;
}

interface TensorLayout {
  name: string;
  dtype: SafetensorsDtype;
  shape: number[];
  /** Byte offsets into the data section, end exclusive. */
  begin: number;
  end: number;
}

/** One header entry, checked for a known dtype, offsets in range and a size matching its shape. */
function readTensorInfo(name: string, info: unknown, dataLength: number): TensorLayout {
  if (!isPlainObject(info)) {
    throw new CheckpointError(`tensor ${quoted(name)}: entry is not an object`);
  }
  const { dtype, shape, data_offsets: offsets } = info;
  if (typeof dtype !== "string" || !Object.hasOwn(DTYPES, dtype)) {
    throw new CheckpointError(
      `tensor ${quoted(name)}: dtype ${quoted(dtype)} is not one of ${Object.keys(DTYPES)}`,
    );
  }
  const count = elementCount(name, shape);
  if (
    !Array.isArray(offsets) || offsets.length !== 2 ||
    !offsets.every((o) => Number.isSafeInteger(o) && o >= 0) || offsets[0] > offsets[1]
  ) {
    throw new CheckpointError(
      `tensor ${quoted(name)}: data_offsets must be [begin, end] with 0 <= begin <= end, got ${
        quoted(offsets)
      }`,
    );
  }
  const [begin, end] = offsets as number[];
  if (end > dataLength) {
    throw new CheckpointError(
      `truncated: tensor ${quoted(name)} ends at data byte ${end}, data section has ${dataLength}`,
    );
  }
  const expected = count * DTYPES[dtype as SafetensorsDtype].size;
  if (end - begin !== expected) {
    throw new CheckpointError(
      `tensor ${quoted(name)}: ${dtype} shape [${shape}] needs ${expected} bytes, offsets give ${
        end - begin
      }`,
    );
  }
  return { name, dtype: dtype as SafetensorsDtype, shape: shape as number[], begin, end };
}

/** The tensors must tile the data section exactly: no gaps, no overlaps, no trailing bytes. */
function checkCoverage(layout: TensorLayout[], dataLength: number): void {
  const ordered = [...layout].sort((a, b) => a.begin - b.begin || a.end - b.end);
  let covered = 0;
  let previous = "the start of the data section";
  for (const { name, begin, end } of ordered) {
    if (begin < covered) {
      throw new CheckpointError(
        `tensors overlap: ${
          quoted(name)
        } begins at data byte ${begin}, before ${previous} ends at ${covered}`,
      );
    }
    if (begin > covered) {
      throw new CheckpointError(`data bytes ${covered}..${begin} belong to no tensor`);
    }
    covered = end;
    previous = quoted(name);
  }
  if (covered !== dataLength) {
    throw new CheckpointError(
      `data section has ${dataLength} bytes but the tensors cover only ${covered}`,
    );
  }
}

function isPlainObject(value: unknown): value is Record<string, unknown> {
  return typeof value === "object" && value !== null && !Array.isArray(value);
}
