/**
 * The output folder a run owns. A run claims its folder before any work: it creates the folder if
 * needed and holds an exclusive lock on a file in it (LOCK_FILE, flock) for as long as it runs.
 * The operating system drops the lock when the process ends, however it ends (kill -9 included),
 * so the lock tells a folder in use from one a run has left:
 *   - two runs never share a folder: the second finds the lock held and is refused (given --out)
 *     or takes the next free name (a default folder: runs/NAME, runs/NAME-2, ...);
 *   - a new run takes only a new or empty folder: one holding a run's saved state
 *     (`savedState`: a checkpoint, a search state, a report) is continued with --resume, and one
 *     holding anything else (another kind of run, the user's files) is never written into, so no
 *     user's file is ever replaced or removed;
 *   - a folder that a killed run left before its first save (the lock file, this program's
 *     temporaries, perhaps the run's own `leftovers` such as a metrics log) counts as empty: it is
 *     cleaned of those and taken afresh.
 * A run removes the lock file when it ends (`release`), while still holding it: a run waiting on
 * the old file then finds it gone and locks a new one. So a lock file found unlocked is what a
 * killed run left. A claim that ends with none of the run's files written (the run was refused
 * after the claim: a batch too large for the GPU, an unreachable Redis) also removes the folders
 * it created, so it leaves nothing behind.
 */
import { dirname, resolve } from "node:path";
import { UserError } from "../core/errors.ts";
import { osErrorText } from "./input_files.ts";
import { pathExists, removeStaleTemporaries, TEMPORARY_PATTERN } from "./output_files.ts";

/** The lock file of a claimed folder (hidden: it is bookkeeping, not an output). */
export const LOCK_FILE = ".learn2hop.lock";

export interface ClaimOptions {
  /** How the user named the folder, for messages ("--out", "--resume"). */
  flag: string;
  /** Files whose presence means the folder holds a run that can be continued or has finished:
   * --resume requires the first of them. */
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

/** Why a folder cannot be claimed: another run holds it, it holds a run, or other files. */
type Refusal =
  | { reason: "busy"; holder: string }
  | { reason: "holds-run"; file: string }
  | { reason: "holds-files"; files: string[] };

export class RunFolder {
  readonly path: string;
  readonly #options: ClaimOptions;
  /** The folders the claim created, outermost first. */
  readonly #made: string[];
  #lock: Deno.FsFile | undefined;
  /** Whether the claim created the lock file. */
  readonly #newLock: boolean;

  private constructor(path: string, options: ClaimOptions, made: string[], lock: Lock) {
    this.path = path;
    this.#options = options;
    this.#made = made;
    this.#lock = lock.file;
    this.#newLock = lock.created;
  }

  /** Whether the claim created the folder. */
  get created(): boolean {
    return this.#made.length > 0;
  }

  /** The folder `dir` for a new run, or a UserError: it is in use, holds a run or other files,
   * is a file, lies under a file, or cannot be created or written. */
  static async claimNew(dir: string, options: ClaimOptions): Promise<RunFolder> {
    const claim = await RunFolder.#tryClaim(dir, options);
    if (claim instanceof RunFolder) return claim;
    const { flag, what, resumeHint } = options;
    if (claim.reason === "busy") throw new UserError(`${flag} ${dir} is in use by ${claim.holder}`);
    if (claim.reason === "holds-files") {
      const shown = claim.files.slice(0, 3).map((name) => name.slice(0, 40)).join(", ");
      const more = claim.files.length > 3 ? `, ... (${claim.files.length} entries)` : "";
      throw new UserError(
        `${flag} ${dir} already holds files (${shown}${more}); a new run takes a new or empty ` +
          "folder",
      );
    }
    const hint = resumeHint === undefined
      ? ""
      : `, or continue that one (if it was stopped before its end: ${resumeHint(dir)})`;
    throw new UserError(
      `${flag} ${dir} already holds ${what} (${claim.file}); choose another folder${hint}`,
    );
  }

  /** The first of `base`, `base-2`, `base-3`, ... that a new run can claim. */
  static async claimFree(base: string, options: ClaimOptions): Promise<RunFolder> {
    for (let k = 1;; k++) {
      const dir = k === 1 ? base : `${base}-${k}`;
      // A file of that name is just not free.
      if (await Deno.stat(dir).then((info) => !info.isDirectory, () => false)) continue;
      const claim = await RunFolder.#tryClaim(dir, options);
      if (claim instanceof RunFolder) return claim;
    }
  }

  /**
   * The existing folder `dir` of a run to continue (--resume): not in use, and holding the
   * run's saved state (`savedState[0]`). Its stale temporaries are removed. A caller that then
   * refuses the run gives it up with `release`, which leaves the folder as it was.
   */
  static async claimExisting(dir: string, options: ClaimOptions): Promise<RunFolder> {
    const { flag, what, savedState } = options;
    if (dir === "") throw new UserError(`${flag}: the path is empty`);
    const info = await Deno.stat(dir).catch((error) => error as Error);
    if (info instanceof Error) {
      const why = info instanceof Deno.errors.NotFound ? "no such folder" : osErrorText(info);
      throw new UserError(`${flag} ${dir}: ${why}`);
    }
    if (!info.isDirectory) throw new UserError(`${flag} ${dir} is a file, not a folder`);
    const lock = await lockFile(dir, flag);
    if (lock instanceof Error) throw lock;
    if (typeof lock === "string") throw new UserError(`${flag} ${dir} is in use by ${lock}`);
    const folder = new RunFolder(dir, options, [], lock);
    const stateInfo = await Deno.lstat(`${dir}/${savedState[0]}`).catch(() => undefined);
    if (stateInfo === undefined || !stateInfo.isFile) {
      await folder.#giveUp();
      throw new UserError(
        stateInfo === undefined
          ? `${flag} ${dir}: nothing to continue there (no ${savedState[0]}): not the folder ` +
            `of ${what}, or its run stopped before its first save; start it again with --out`
          : `${flag} ${dir}: ${savedState[0]} is not a regular file`,
      );
    }
    try {
      await folder.#recordHolder();
      await removeStaleTemporaries(dir);
    } catch (error) {
      await folder.#giveUp();
      throw error;
    }
    return folder;
  }

  /** Claims `dir`, or says why not; UserErrors for a folder that cannot be used at all. */
  static async #tryClaim(dir: string, options: ClaimOptions): Promise<RunFolder | Refusal> {
    const made = await makeFolders(dir, options.flag);
    const lock = await lockFile(dir, options.flag);
    if (lock instanceof Error) {
      await removeEmpty(made);
      throw lock;
    }
    if (typeof lock === "string") return { reason: "busy", holder: lock };
    const folder = new RunFolder(dir, options, made, lock);
    const refusal = await folder.#contentsRefusal();
    if (refusal !== undefined) {
      await folder.#giveUp();
      return refusal;
    }
    try {
      // What a killed run left: its leftovers (where the lock file was there before), its
      // temporaries.
      if (!lock.created) {
        for (const file of options.leftovers ?? []) {
          await Deno.remove(`${dir}/${file}`).catch((error) => {
            if (!(error instanceof Deno.errors.NotFound)) throw error;
          });
        }
      }
      await removeStaleTemporaries(dir);
      await folder.#recordHolder();
    } catch (error) {
      await folder.release();
      if (error instanceof UserError) throw error;
      throw new UserError(`${options.flag} ${dir}: cannot write there (${osErrorText(error)})`);
    }
    return folder;
  }

  /** Why a new run may not take the folder, if it may not: anything in it but the lock file,
   * this program's temporaries and (where the lock file was there before) the run's leftovers. */
  async #contentsRefusal(): Promise<Refusal | undefined> {
    const { savedState, leftovers = [] } = this.#options;
    for (const file of savedState) {
      if (await pathExists(`${this.path}/${file}`)) return { reason: "holds-run", file };
    }
    const entries = await Array.fromAsync(Deno.readDir(this.path));
    const others = entries.filter(({ name, isFile }) =>
      name !== LOCK_FILE && !(isFile && TEMPORARY_PATTERN.test(name)) &&
      !(isFile && !this.#newLock && leftovers.includes(name))
    ).map(({ name }) => name).sort();
    return others.length > 0 ? { reason: "holds-files", files: others } : undefined;
  }

  /** Writes who holds the lock into the lock file, for the messages of runs refused; also the
   * check that the folder can be written. */
  async #recordHolder(): Promise<void> {
    const text = `${this.#options.what}, process ${Deno.pid}, since ${new Date().toISOString()}\n`;
    try {
      await this.#lock!.truncate(0);
      await this.#lock!.write(new TextEncoder().encode(text));
    } catch (error) {
      throw new UserError(`${this.path}: cannot write there (${osErrorText(error)})`);
    }
  }

  /**
   * Ends the claim: the lock file goes (a run that is killed instead leaves it, which is how a
   * later claim knows its leftovers), and so do the folders the claim made, where empty. A run
   * that ends before its first save but after writing its leftovers (a training run that
   * diverged, an evaluation stopped by a signal) keeps the lock file, so that a new run takes
   * the folder afresh.
   */
  async release(): Promise<void> {
    const lock = this.#lock;
    if (lock === undefined) return;
    this.#lock = undefined;
    const { savedState, leftovers = [] } = this.#options;
    const has = (file: string) => pathExists(`${this.path}/${file}`);
    const saved = await has(savedState[0]);
    const left = (await Promise.all(leftovers.map(has))).some(Boolean);
    // Removed while still locked: a run waiting on the old file then finds it gone and retries.
    if (saved || !left) await Deno.remove(`${this.path}/${LOCK_FILE}`).catch(() => {});
    lock.close(); // closing the file drops the lock
    await removeEmpty(this.#made);
  }

  /** Gives up a folder the claim only looked at: as it was, but for a lock file the claim
   * created and the folders it made. */
  async #giveUp(): Promise<void> {
    const lock = this.#lock;
    this.#lock = undefined;
    if (this.#newLock) await Deno.remove(`${this.path}/${LOCK_FILE}`).catch(() => {});
    lock?.close();
    await removeEmpty(this.#made);
  }
}

/**
 * Creates `dir` and its missing parents; the folders it made, outermost first. UserErrors for a
 * file in the way, a symbolic link to nothing, or a folder that cannot be made.
 */
async function makeFolders(dir: string, flag: string): Promise<string[]> {
  if (dir === "") throw new UserError(`${flag}: the path is empty`);
  const missing: string[] = [];
  for (let path = resolve(dir);; path = dirname(path)) {
    const info = await Deno.lstat(path).catch((error) => error as Error);
    if (info instanceof Error) {
      if (info instanceof Deno.errors.NotADirectory) {
        throw new UserError(`${flag} ${dir} lies under a file, not a folder`);
      }
      if (info instanceof Deno.errors.NotCapable) throw noPermission(flag, dir);
      if (!(info instanceof Deno.errors.NotFound)) {
        throw new UserError(`${flag} ${dir}: ${osErrorText(info)}`);
      }
      missing.unshift(path);
      continue;
    }
    const target = info.isSymlink ? await Deno.stat(path).catch(() => undefined) : info;
    if (target === undefined) {
      throw new UserError(`${flag} ${dir}: ${path} is a symbolic link to nothing`);
    }
    if (!target.isDirectory) {
      throw new UserError(
        missing.length === 0
          ? `${flag} ${dir} is a file, not a folder`
          : `${flag} ${dir} lies under a file, not a folder`,
      );
    }
    break;
  }
  const made: string[] = [];
  for (const path of missing) {
    try {
      await Deno.mkdir(path);
      made.push(path);
    } catch (error) {
      // Another run made it meanwhile: not this claim's to remove.
      if (error instanceof Deno.errors.AlreadyExists) continue;
      await removeEmpty(made);
      if (error instanceof Deno.errors.NotCapable) throw noPermission(flag, dir);
      throw new UserError(`${flag} ${dir}: cannot create the folder (${osErrorText(error)})`);
    }
  }
  return made;
}

/** Removes `folders` (outermost first) from the innermost out, as long as they are empty. */
async function removeEmpty(folders: string[]): Promise<void> {
  for (const folder of [...folders].reverse()) {
    if (!await Deno.remove(folder).then(() => true, () => false)) return;
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
 * path once locked: a run releasing a folder removes it, and then this one tries again.
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
      // The lock file went (a run released it): try again; the folder went too: say so.
      if (error instanceof Deno.errors.NotFound) {
        if (await pathExists(dir)) continue;
        return new UserError(`${flag} ${dir}: the folder was removed meanwhile; try again`);
      }
      if (error instanceof Deno.errors.NotCapable) return noPermission(flag, dir);
      return new UserError(`${flag} ${dir}: cannot write there (${osErrorText(error)})`);
    }
    if (!await file.tryLock(true)) {
      const holder = await Deno.readTextFile(path).catch(() => "");
      file.close();
      return describeHolder(holder);
    }
    // lstat: a link planted at the name since is not the file locked.
    const [opened, current] = [await file.stat(), await Deno.lstat(path).catch(() => undefined)];
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
