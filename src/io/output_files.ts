/**
 * Writing results without losing or misplacing them. Every output is written to a uniquely named
 * temporary file beside its final name (`.NAME.learn2hop-tmp-UUID`), flushed, then renamed over
 * the name: a crash or a concurrent reader never sees a partial file, and a symlink planted at the
 * name is replaced, never followed. Appends (metrics.jsonl) refuse a name that is a symlink.
 * Temporaries left by a killed run are removed when the next run claims the folder
 * (run_folder.ts); only names of exactly this form are ever removed, never a user's file.
 */
import { basename, dirname } from "node:path";
import { UserError } from "../core/errors.ts";

/** The names of this program's temporary files, and only those: a hidden name, the output's,
 * a fixed infix and a random UUID. */
export const TEMPORARY_PATTERN =
  /^\..+\.learn2hop-tmp-[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}$/;

/** A name for a temporary file of this program's beside `path` (TEMPORARY_PATTERN). */
export function temporaryName(path: string): string {
  return `${dirname(path)}/.${basename(path)}.learn2hop-tmp-${crypto.randomUUID()}`;
}

/** Writes `data` to `path` atomically (temporary file, fsync, rename). */
export async function writeFileAtomic(path: string, data: string | Uint8Array): Promise<void> {
  const bytes = typeof data === "string" ? new TextEncoder().encode(data) : data;
  const temporary = temporaryName(path);
  try {
    const file = await Deno.open(temporary, { write: true, createNew: true });
    try {
      let written = 0;
      while (written < bytes.length) written += await file.write(bytes.subarray(written));
      await file.sync();
    } finally {
      file.close();
    }
    await Deno.rename(temporary, path);
  } catch (error) {
    await Deno.remove(temporary).catch(() => {});
    throw error;
  }
}

/** Whether anything (a file, a folder, a dangling symlink) is at `path`. */
export async function pathExists(path: string): Promise<boolean> {
  try {
    await Deno.lstat(path);
    return true;
  } catch (error) {
    // Nothing can be under a file: `file/name` is absent, not an error.
    if (error instanceof Deno.errors.NotFound || error instanceof Deno.errors.NotADirectory) {
      return false;
    }
    throw error;
  }
}

/** Opens `path` for appending (created if missing); a symlink there is refused, not followed. */
export async function openForAppend(path: string): Promise<Deno.FsFile> {
  const info = await Deno.lstat(path).catch(() => undefined);
  if (info?.isSymlink) {
    throw new UserError(`${path} is a symbolic link; refusing to append through it`);
  }
  if (info !== undefined && !info.isFile) throw new UserError(`${path} is not a regular file`);
  return await Deno.open(path, { append: true, create: true });
}

/** Deletes the temporaries (TEMPORARY_PATTERN) a killed run left in `dir`, which the caller has
 * claimed (a missing folder is fine). */
export async function removeStaleTemporaries(dir: string): Promise<void> {
  let entries: Deno.DirEntry[];
  try {
    entries = await Array.fromAsync(Deno.readDir(dir));
  } catch (error) {
    if (error instanceof Deno.errors.NotFound) return;
    throw error;
  }
  for (const entry of entries) {
    if (entry.isFile && TEMPORARY_PATTERN.test(entry.name)) {
      await Deno.remove(`${dir}/${entry.name}`).catch(() => {});
    }
  }
}
