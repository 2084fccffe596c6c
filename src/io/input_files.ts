/**
 * Reading a user's text file (structures, configs) safely: it must be a regular file (not a
 * device such as /dev/zero, a FIFO or a folder), no larger than a stated maximum, and text (no NUL
 * bytes, valid UTF-8). Every failure is a UserError that names the file and the reason and never
 * quotes its contents.
 */
import { UserError } from "../core/errors.ts";

/** Largest input text file read: far above any structure file the kernels can take (1,024 atoms
 * per frame, ~60 bytes per atom line) even with thousands of frames. */
export const MAX_INPUT_BYTES = 256 * 2 ** 20;

/**
 * Asks Deno for permission to read `path` (granted at once where the task may read it already;
 * `deno task` grants the project folder, so a file elsewhere prompts on a terminal), or a
 * UserError saying how to grant it.
 */
export async function requestRead(path: string): Promise<void> {
  const { state } = await Deno.permissions.request({ name: "read", path });
  if (state !== "granted") {
    throw new UserError(
      `no permission to read ${path} (deno task grants reading inside the project; copy the ` +
        "file there, or run the script with deno run --allow-read=PATH)",
    );
  }
}

export async function readInputText(
  path: string,
  what: string,
  maxBytes = MAX_INPUT_BYTES,
): Promise<string> {
  await requestRead(path);
  let info: Deno.FileInfo;
  try {
    info = await Deno.stat(path);
  } catch (error) {
    throw new UserError(`cannot read ${path}: ${reason(error)}`);
  }
  if (!info.isFile) throw new UserError(`${path} is not a regular file (expected ${what})`);
  if (info.size > maxBytes) {
    throw new UserError(
      `${path} is ${info.size} bytes, more than the ${maxBytes} read as ${what}`,
    );
  }
  let bytes: Uint8Array;
  try {
    bytes = await Deno.readFile(path);
  } catch (error) {
    throw new UserError(`cannot read ${path}: ${reason(error)}`);
  }
  if (bytes.length > maxBytes) {
    throw new UserError(`${path} is more than the ${maxBytes} bytes read as ${what}`);
  }
  if (bytes.includes(0)) throw new UserError(`${path} is a binary file, not ${what}`);
  try {
    return new TextDecoder("utf-8", { fatal: true }).decode(bytes);
  } catch {
    throw new UserError(`${path} is not UTF-8 text, not ${what}`);
  }
}

function reason(error: unknown): string {
  if (error instanceof Deno.errors.NotFound) return "no such file";
  if (error instanceof Deno.errors.PermissionDenied) return "permission denied";
  return osErrorText(error);
}

/** An OS error's message without the "<op> '<path>'" Deno appends (messages name the path). */
export function osErrorText(error: unknown): string {
  const message = error instanceof Error ? error.message : String(error);
  return message.replace(/:\s*\w+ '.*'$/, "");
}
