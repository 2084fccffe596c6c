/**
 * Writing results without losing or misplacing them. Every output is written to a uniquely named
 * temporary file beside its final name (`NAME.tmp-UUID`), flushed, then renamed over the name: a
 * crash or a concurrent reader never sees a partial file, and a symlink planted at the name is
 * replaced, never followed. Appends (metrics.jsonl) refuse a name that is a symlink. Temporaries
 * left by a killed run are removed when the next run prepares the folder. An output folder is
 * checked before any GPU work: it must be a folder (or creatable), writable, and, unless the
 * caller continues a run in it, must not hold an earlier run.
 */
import { UserError } from "../core/errors.ts";
import { osErrorText } from "./input_files.ts";

/** Marks a temporary output file; `removeStaleTemporaries` deletes what matches. */
const TEMPORARY_INFIX = ".tmp-";

function temporaryName(path: string): string {
  return `${path}${TEMPORARY_INFIX}${crypto.randomUUID()}`;
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

/** Deletes the `*.tmp-*` files a killed run left in `dir` (a missing folder is fine). */
export async function removeStaleTemporaries(dir: string): Promise<void> {
  let entries: Deno.DirEntry[];
  try {
    entries = await Array.fromAsync(Deno.readDir(dir));
  } catch (error) {
    if (error instanceof Deno.errors.NotFound) return;
    throw error;
  }
  for (const entry of entries) {
    if (entry.isFile && entry.name.includes(TEMPORARY_INFIX)) {
      await Deno.remove(`${dir}/${entry.name}`).catch(() => {});
    }
  }
}

export interface PrepareOptions {
  /** Files whose presence means the folder holds a run (e.g. summary.json). */
  runMarkers: string[];
  /** The flag that named the folder, for messages ("--out"). */
  flag: string;
  /** True when the caller continues the run already in the folder (--resume). */
  continuing?: boolean;
}

/**
 * Makes `dir` ready for outputs before any work is done, or throws a UserError naming the
 * problem: `dir` is a file, lies under a file, cannot be created or written (including Deno's
 * write permission, which is requested for it), or holds an earlier run (a run marker) and the
 * caller is not continuing it. Creates the folder and removes stale temporaries.
 */
export async function prepareOutputDir(dir: string, options: PrepareOptions): Promise<void> {
  const permission = await Deno.permissions.request({ name: "write", path: dir });
  if (permission.state !== "granted") {
    throw new UserError(
      `${options.flag} ${dir}: no permission to write there (deno task grants writing under ` +
        "runs/; run the script with deno run --allow-write=DIR to write elsewhere)",
    );
  }
  const info = await Deno.stat(dir).catch((error) => error as Error);
  if (info instanceof Error) {
    if (info instanceof Deno.errors.NotADirectory) {
      throw new UserError(`${options.flag} ${dir} lies under a file, not a folder`);
    }
    if (!(info instanceof Deno.errors.NotFound)) {
      throw new UserError(`${options.flag} ${dir}: ${osErrorText(info)}`);
    }
  } else if (!info.isDirectory) {
    throw new UserError(`${options.flag} ${dir} is a file, not a folder`);
  }
  try {
    await Deno.mkdir(dir, { recursive: true });
  } catch (error) {
    throw new UserError(`${options.flag} ${dir}: cannot create the folder (${osErrorText(error)})`);
  }
  if (!options.continuing) {
    for (const marker of options.runMarkers) {
      if (await pathExists(`${dir}/${marker}`)) {
        throw new UserError(
          `${options.flag} ${dir} already holds a run (${marker}); choose another folder or ` +
            "remove it",
        );
      }
    }
  }
  const probe = temporaryName(`${dir}/.write-test`);
  try {
    await Deno.writeTextFile(probe, "", { createNew: true });
    await Deno.remove(probe);
  } catch (error) {
    throw new UserError(`${options.flag} ${dir}: cannot write there (${osErrorText(error)})`);
  }
  await removeStaleTemporaries(dir);
}

/**
 * `base`, or `base-2`, `base-3`, ...: the first folder that holds none of `runMarkers`, so a
 * default output folder never overwrites an earlier run.
 */
export async function freeDirectory(base: string, runMarkers: string[]): Promise<string> {
  for (let k = 1;; k++) {
    const candidate = k === 1 ? base : `${base}-${k}`;
    const taken = await Promise.all(runMarkers.map((m) => pathExists(`${candidate}/${m}`)));
    if (!taken.some(Boolean)) return candidate;
  }
}
