/**
 * The one way a user's file is read (structures, configs, checkpoints, search states): it must be
 * a regular file (not a device such as /dev/zero, a FIFO or a folder; a symbolic link counts as
 * what it points to), no larger than a bound stated by the caller, checked before anything is
 * read, and text files must be text (no NUL bytes, valid UTF-8). Every failure is a UserError that
 * names the file and what it was read as, and never quotes its contents.
 */
import { UserError } from "../core/errors.ts";

/** Largest input text file read: far above any structure file the kernels can take (1,024 atoms
 * per frame, ~60 bytes per atom line) even with thousands of frames. */
export const MAX_INPUT_BYTES = 256 * 2 ** 20;

/**
 * Asks Deno for permission to read `path`: granted at once where the program may read it (the
 * tasks and the installed command may read anything the user can), or a UserError saying how to
 * grant it to a script run with narrower permissions.
 */
export async function requestRead(path: string): Promise<void> {
  const { state } = await Deno.permissions.request({ name: "read", path });
  if (state !== "granted") {
    throw new UserError(`no permission to read ${path} (run the script with --allow-read)`);
  }
}

/** The bytes of the regular file `path`, read as `what` ("a checkpoint"), at most `maxBytes`. */
export async function readInputBytes(
  path: string,
  what: string,
  maxBytes: number,
): Promise<Uint8Array> {
  if (path === "") throw new UserError(`the path of ${what} is empty`);
  await requestRead(path);
  const fail = (why: string): never => {
    throw new UserError(`${path} (${what}): ${why}`);
  };
  // stat before open: opening a FIFO would wait for a writer.
  const info = await Deno.stat(path).catch((error) => fail(reason(error)));
  if (!info.isFile) fail(info.isDirectory ? "a folder, not a file" : "not a regular file");
  if (info.size > maxBytes) fail(`${info.size} bytes, more than the ${maxBytes} read at most`);
  let file: Deno.FsFile;
  try {
    file = await Deno.open(path, { read: true });
  } catch (error) {
    return fail(reason(error));
  }
  try {
    // The file opened may not be the one checked (replaced in between): checked again, and read
    // no further than the bound whatever it claims.
    const opened = await file.stat();
    if (!opened.isFile) fail("not a regular file");
    const bytes = new Uint8Array(Math.min(opened.size, maxBytes) + 1);
    let length = 0;
    for (;;) {
      if (length === bytes.length) fail(`more than the ${maxBytes} bytes read at most`);
      const read = await file.read(bytes.subarray(length));
      if (read === null) break;
      length += read;
    }
    return bytes.subarray(0, length);
  } catch (error) {
    if (error instanceof UserError) throw error;
    return fail(reason(error));
  } finally {
    file.close();
  }
}

/** The text of the regular file `path`, read as `what` ("an XYZ file"): UTF-8 without NULs. */
export async function readInputText(
  path: string,
  what: string,
  maxBytes = MAX_INPUT_BYTES,
): Promise<string> {
  const bytes = await readInputBytes(path, what, maxBytes);
  if (bytes.includes(0)) throw new UserError(`${path} (${what}): a binary file, not text`);
  try {
    return new TextDecoder("utf-8", { fatal: true }).decode(bytes);
  } catch {
    throw new UserError(`${path} (${what}): not UTF-8 text`);
  }
}

/** The JSON value in `text` (the file `path`, read as `what`), or a UserError giving where it
 * stops being JSON; never the parser's message, which quotes the text. */
export function parseJsonText(text: string, path: string, what: string): unknown {
  try {
    return JSON.parse(text);
  } catch (error) {
    const position = /position (\d+)/.exec(String((error as Error).message));
    let where = "";
    if (position !== null) {
      const before = text.slice(0, Number(position[1])).split("\n");
      where = ` at line ${before.length}, column ${before.at(-1)!.length + 1}`;
    }
    throw new UserError(`${path} (${what}): not JSON${where}`);
  }
}

function reason(error: unknown): string {
  if (error instanceof Deno.errors.NotCapable) return "no permission to read it";
  if (error instanceof Deno.errors.NotFound) return "no such file";
  if (error instanceof Deno.errors.PermissionDenied) return "permission denied";
  if (error instanceof Deno.errors.NotADirectory) return "a path under a file";
  return osErrorText(error);
}

/** An OS error's message without the "<op> '<path>'" Deno appends (messages name the path). */
export function osErrorText(error: unknown): string {
  // Deno's own permissions: outside what the program was allowed, or a special system file
  // (/proc, /sys, /dev) that Deno keeps from programs without --allow-all.
  if (error instanceof Deno.errors.NotCapable) return "not permitted to this program";
  const message = error instanceof Error ? error.message : String(error);
  return message.replace(/:\s*\w+ '.*'$/, "");
}
