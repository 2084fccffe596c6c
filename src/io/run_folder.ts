/**
 * The output folder a run owns. A run claims its folder before any work: it creates the folder if
 * needed and holds an exclusive lock on a file in it (LOCK_FILE, flock) for as long as it runs.
 * The operating system drops the lock when the process ends, however it ends (kill -9 included),
 * so the lock tells a folder in use from one a run has left:
 *   - two runs never share a folder: the second finds the lock held and is refused (given --out)
 *     or takes the next free name (a default folder: runs/NAME, runs/NAME-2, ...);
 *   - a folder holding a run's saved state (`savedState`: a checkpoint, a search state, a report)
 *     is refused to a new run; --resume claims it to continue;
 *   - a folder that a killed run left before its first save (the lock file, perhaps its own
 *     `leftovers` such as a metrics log) is taken afresh: the leftovers are removed.
 * The lock file is never removed while the folder is in use (removing it would let a third run
 * lock a new file beside a second run's old one); a claim that ends with nothing written
 * (`release`) removes it, and the folder if the claim created it, so a refusal found after the
 * claim (a batch too large for the GPU, an unreachable Redis) leaves nothing behind.
 */
import { dirname } from "node:path";
import { UserError } from "../core/errors.ts";
import { osErrorText } from "./input_files.ts";
import { pathExists, removeStaleTemporaries } from "./output_files.ts";

/** The lock file of a claimed folder (hidden: it is bookkeeping, not an output). */
export const LOCK_FILE = ".learn2hop.lock";

export interface ClaimOptions {
  /** How the user named the folder, for messages ("--out", "--resume"). */
  flag: string;
  /** Files whose presence means the folder holds a run that can be continued or has finished:
   * a new run refuses such a folder, --resume requires the first of them. */
  savedState: string[];
  /** Files a run writes before its first save (a metrics log, distributed.json): in a folder a
   * killed run left, removed before the folder is taken afresh. */
  leftovers?: string[];
  /** What the run is, for messages ("a search", "a training run"). */
  what: string;
  /** The command that continues the run in a folder, for messages ("deno task search --resume
   * DIR"). */
  resumeHint?: (dir: string) => string;
}

/** Why a folder cannot be claimed: another run holds it, or it holds a run. */
type Refusal = { reason: "busy"; holder: string } | { reason: "holds-run"; file: string };

export class RunFolder {
  readonly path: string;
  /** Whether the claim created the folder. */
  readonly created: boolean;
  #lock: Deno.FsFile | undefined;
  /** Whether the claim created the lock file (the folder was no run's before). */
  #newLock: boolean;

  private constructor(path: string, created: boolean, lock: Lock) {
    this.path = path;
    this.created = created;
    this.#lock = lock.file;
    this.#newLock = lock.created;
  }

  /** The folder `dir` for a new run, or a UserError: it is in use, holds a run, is a file, lies
   * under a file, or cannot be created or written. */
  static async claimNew(dir: string, options: ClaimOptions): Promise<RunFolder> {
    const claim = await RunFolder.#tryClaim(dir, options);
    if (claim instanceof RunFolder) return claim;
    if (claim.reason === "busy") {
      throw new UserError(`${options.flag} ${dir} is in use by ${claim.holder}`);
    }
    const hint = options.resumeHint === undefined
      ? ""
      : ` (if it was stopped before its end: ${options.resumeHint(dir)})`;
    throw new UserError(
      `${options.flag} ${dir} already holds ${options.what} (${claim.file}); choose another ` +
        `folder, or continue that one${hint}`,
    );
  }

  /** The first of `base`, `base-2`, `base-3`, ... that a new run can claim. */
  static async claimFree(base: string, options: ClaimOptions): Promise<RunFolder> {
    for (let k = 1;; k++) {
      const claim = await RunFolder.#tryClaim(k === 1 ? base : `${base}-${k}`, options);
      if (claim instanceof RunFolder) return claim;
    }
  }

  /**
   * The existing folder `dir` of a run to continue (--resume): not in use, and holding the
   * run's saved state (`savedState[0]`). Its stale temporaries are removed.
   */
  static async claimExisting(dir: string, options: ClaimOptions): Promise<RunFolder> {
    const info = await Deno.stat(dir).catch((error) => error as Error);
    if (info instanceof Error) {
      const why = info instanceof Deno.errors.NotFound ? "no such folder" : osErrorText(info);
      throw new UserError(`${options.flag} ${dir}: ${why}`);
    }
    if (!info.isDirectory) throw new UserError(`${options.flag} ${dir} is a file, not a folder`);
    const lock = await lockFile(dir, options.flag);
    if (lock instanceof Error) throw lock;
    if (typeof lock === "string") {
      throw new UserError(`${options.flag} ${dir} is in use by ${lock}`);
    }
    const folder = new RunFolder(dir, false, lock);
    const state = `${dir}/${options.savedState[0]}`;
    const stateInfo = await Deno.lstat(state).catch(() => undefined);
    if (stateInfo === undefined) {
      await folder.#refuse();
      throw new UserError(
        `${options.flag} ${dir}: nothing to continue there (no ${options.savedState[0]}): not ` +
          `the folder of ${options.what}, or its run stopped before its first save; start it ` +
          "again with --out",
      );
    }
    if (!stateInfo.isFile) {
      await folder.#refuse();
      throw new UserError(`${options.flag} ${dir}: ${options.savedState[0]} is not a regular file`);
    }
    await folder.#recordHolder(options.what);
    await removeStaleTemporaries(dir);
    return folder;
  }

  /** Claims `dir`, or says why not; UserErrors for a folder that cannot be used at all. */
  static async #tryClaim(dir: string, options: ClaimOptions): Promise<RunFolder | Refusal> {
    const created = await makeFolder(dir, options.flag);
    const lock = await lockFile(dir, options.flag);
    if (lock instanceof Error) {
      if (created) await Deno.remove(dir).catch(() => {});
      throw lock;
    }
    if (typeof lock === "string") return { reason: "busy", holder: lock };
    const folder = new RunFolder(dir, created, lock);
    for (const file of [...options.savedState, ...(lock.created ? options.leftovers ?? [] : [])]) {
      // A run's saved state; or files a run writes first, in a folder no run of ours held.
      if (await pathExists(`${dir}/${file}`)) {
        await folder.#refuse();
        return { reason: "holds-run", file };
      }
    }
    try {
      await folder.#startAfresh(options);
    } catch (error) {
      await folder.release();
      throw error;
    }
    return folder;
  }

  /** Removes what a killed run left before its first save (the folder held our lock file, so it
   * was a run's), checks that the folder is writable, and records the holder. */
  async #startAfresh(options: ClaimOptions): Promise<void> {
    for (const file of options.leftovers ?? []) {
      const path = `${this.path}/${file}`;
      const info = await Deno.lstat(path).catch(() => undefined);
      if (info === undefined) continue;
      if (!info.isFile) {
        throw new UserError(`${options.flag} ${this.path}: ${file} there is not a regular file`);
      }
      await Deno.remove(path);
    }
    await this.#recordHolder(options.what);
    await removeStaleTemporaries(this.path);
  }

  /** Writes who holds the lock into the lock file, for the messages of runs refused; also the
   * check that the folder can be written. */
  async #recordHolder(what: string): Promise<void> {
    const text = `${what}, process ${Deno.pid}, since ${new Date().toISOString()}\n`;
    try {
      await this.#lock!.truncate(0);
      await this.#lock!.write(new TextEncoder().encode(text));
    } catch (error) {
      throw new UserError(`${this.path}: cannot write there (${osErrorText(error)})`);
    }
  }

  /**
   * Ends the claim. Where the folder holds nothing but the lock file (the run wrote nothing: it
   * was refused after the claim), the lock file goes, and the folder too if the claim made it.
   */
  async release(): Promise<void> {
    if (this.#lock === undefined) return;
    const entries = await Array.fromAsync(Deno.readDir(this.path)).catch(() => undefined);
    const empty = entries !== undefined && entries.every((e) => e.name === LOCK_FILE);
    if (empty) {
      // Removed while still locked: a run waiting on the old file then finds it gone and retries.
      await Deno.remove(`${this.path}/${LOCK_FILE}`).catch(() => {});
      if (this.created) await Deno.remove(this.path).catch(() => {});
    }
    this.#unlock();
  }

  /** Gives the folder up unused: the lock file goes again if this claim created it. */
  async #refuse(): Promise<void> {
    if (this.#newLock) await Deno.remove(`${this.path}/${LOCK_FILE}`).catch(() => {});
    this.#unlock();
  }

  #unlock(): void {
    this.#lock?.close(); // closing the file drops the lock
    this.#lock = undefined;
  }
}

/** Creates `dir` (and its parents) if missing; whether it did. UserErrors for a file in the way
 * or a folder that cannot be made. */
async function makeFolder(dir: string, flag: string): Promise<boolean> {
  const info = await Deno.stat(dir).catch((error) => error as Error);
  if (!(info instanceof Error)) {
    if (!info.isDirectory) throw new UserError(`${flag} ${dir} is a file, not a folder`);
    return false;
  }
  if (info instanceof Deno.errors.NotADirectory) {
    throw new UserError(`${flag} ${dir} lies under a file, not a folder`);
  }
  if (info instanceof Deno.errors.NotCapable) throw noPermission(flag, dir);
  if (!(info instanceof Deno.errors.NotFound)) {
    throw new UserError(`${flag} ${dir}: ${osErrorText(info)}`);
  }
  try {
    await Deno.mkdir(dirname(dir), { recursive: true });
    await Deno.mkdir(dir);
    return true;
  } catch (error) {
    // Another run made it in between: it is not ours, but may still be free.
    if (error instanceof Deno.errors.AlreadyExists) return makeFolder(dir, flag);
    if (error instanceof Deno.errors.NotADirectory) {
      throw new UserError(`${flag} ${dir} lies under a file, not a folder`);
    }
    if (error instanceof Deno.errors.NotCapable) throw noPermission(flag, dir);
    throw new UserError(`${flag} ${dir}: cannot create the folder (${osErrorText(error)})`);
  }
}

/** A held lock file, and whether this claim created it. */
interface Lock {
  file: Deno.FsFile;
  created: boolean;
}

/**
 * The locked lock file of `dir`; the holder's description (a string) when another process
 * holds it; a UserError when it cannot be opened. The file opened must still be the one at the
 * path once locked: a run releasing an empty folder removes it, and then this one tries again.
 */
async function lockFile(dir: string, flag: string): Promise<Lock | string | UserError> {
  const path = `${dir}/${LOCK_FILE}`;
  for (let attempt = 0; attempt < 100; attempt++) {
    let file: Deno.FsFile;
    let created = false;
    try {
      const info = await Deno.lstat(path).catch(() => undefined);
      if (info !== undefined && !info.isFile) {
        return new UserError(`${flag} ${dir}: ${LOCK_FILE} there is not a regular file`);
      }
      file = await Deno.open(path, { read: true, write: true, createNew: true }).then(
        (opened) => (created = true, opened),
        (error) => {
          if (error instanceof Deno.errors.AlreadyExists) {
            return Deno.open(path, { read: true, write: true });
          }
          throw error;
        },
      );
    } catch (error) {
      if (error instanceof Deno.errors.NotFound) {
        await Deno.mkdir(dir, { recursive: true }).catch(() => {});
        continue;
      }
      if (error instanceof Deno.errors.NotCapable) return noPermission(flag, dir);
      return new UserError(`${flag} ${dir}: cannot write there (${osErrorText(error)})`);
    }
    if (!await file.tryLock(true)) {
      const holder = await Deno.readTextFile(path).catch(() => "");
      file.close();
      return describeHolder(holder);
    }
    const [opened, current] = [await file.stat(), await Deno.stat(path).catch(() => undefined)];
    if (current !== undefined && current.ino === opened.ino && current.dev === opened.dev) {
      return { file, created };
    }
    file.close();
  }
  return new UserError(`${flag} ${dir}: the folder keeps changing under this run; try again`);
}

/** Deno's permissions do not cover `dir` (a script run with a narrower --allow-write, or a
 * special system path). */
function noPermission(flag: string, dir: string): UserError {
  return new UserError(`${flag} ${dir}: no permission to write there`);
}

/** "a search still running (process 123, since ...)" from what the holder wrote in the lock
 * file (checked, as it is read from disk), or "another run" where it has not written it yet. */
function describeHolder(text: string): string {
  const match = /^([\w -]{1,40}), (process \d{1,10}, since [\dT:.Z-]{1,30})$/.exec(
    text.split("\n")[0],
  );
  return match === null ? "another run" : `${match[1]} still running (${match[2]})`;
}
