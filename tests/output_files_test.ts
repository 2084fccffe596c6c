/**
 * Output files are never lost or misplaced: atomic writes replace a planted symlink instead of
 * writing through it, appends refuse one; a run claims its folder (run_folder.ts), so two runs
 * never share one, a killed run's folder is taken afresh with only its own temporaries removed,
 * and a folder that is a file, lies under a file, or holds a run is refused before any work.
 * Input files that are devices, folders, binary or too large are refused without quoting them.
 */
import assert from "node:assert/strict";
import { UserError } from "../src/core/errors.ts";
import { parseJsonText, readInputBytes, readInputText } from "../src/io/input_files.ts";
import {
  openForAppend,
  removeStaleTemporaries,
  TEMPORARY_PATTERN,
  writeFileAtomic,
} from "../src/io/output_files.ts";
import { LOCK_FILE, RunFolder } from "../src/io/run_folder.ts";

Deno.test("writeFileAtomic replaces a symlink at the name and leaves its target alone", async () => {
  const dir = await Deno.makeTempDir();
  await Deno.writeTextFile(`${dir}/precious`, "keep me");
  await Deno.symlink(`${dir}/precious`, `${dir}/minima.xyz`);
  await writeFileAtomic(`${dir}/minima.xyz`, "new frames");
  assert.equal(await Deno.readTextFile(`${dir}/precious`), "keep me");
  assert.ok((await Deno.lstat(`${dir}/minima.xyz`)).isFile);
  assert.equal(await Deno.readTextFile(`${dir}/minima.xyz`), "new frames");
  // Nothing else is left behind.
  const names = (await Array.fromAsync(Deno.readDir(dir))).map((e) => e.name).sort();
  assert.deepEqual(names, ["minima.xyz", "precious"]);
  await Deno.remove(dir, { recursive: true });
});

Deno.test("openForAppend refuses a symlink; appends to a regular file", async () => {
  const dir = await Deno.makeTempDir();
  await Deno.writeTextFile(`${dir}/target`, "");
  await Deno.symlink(`${dir}/target`, `${dir}/metrics.jsonl`);
  await assert.rejects(() => openForAppend(`${dir}/metrics.jsonl`), UserError);
  const file = await openForAppend(`${dir}/log`);
  await file.write(new TextEncoder().encode("a\n"));
  file.close();
  const again = await openForAppend(`${dir}/log`);
  await again.write(new TextEncoder().encode("b\n"));
  again.close();
  assert.equal(await Deno.readTextFile(`${dir}/log`), "a\nb\n");
  assert.equal(await Deno.readTextFile(`${dir}/target`), "");
  await Deno.remove(dir, { recursive: true });
});

const CLAIM = {
  flag: "--out",
  savedState: ["state.safetensors", "summary.json"],
  leftovers: ["metrics.jsonl"],
  what: "a search",
  resumeHint: (dir: string) => `learn2hop search --resume ${dir}`,
};

const names = async (dir: string) =>
  (await Array.fromAsync(Deno.readDir(dir))).map((e) => e.name).sort();

Deno.test("RunFolder: a file, a path under a file, a folder holding a run are refused", async () => {
  const dir = await Deno.makeTempDir();
  await Deno.writeTextFile(`${dir}/file`, "");
  await assert.rejects(() => RunFolder.claimNew(`${dir}/file`, CLAIM), /is a file, not a folder/);
  await assert.rejects(() => RunFolder.claimNew(`${dir}/file/sub`, CLAIM), /lies under a file/);
  await Deno.mkdir(`${dir}/run`);
  await Deno.writeTextFile(`${dir}/run/summary.json`, "{}");
  await assert.rejects(
    () => RunFolder.claimNew(`${dir}/run`, CLAIM),
    /--out .*run already holds a search \(summary\.json\); choose another folder, or continue that one \(if it was stopped before its end: learn2hop search --resume .*run\)$/,
  );
  // A folder of the user's files is never written into: a new run takes a new or empty one.
  await Deno.mkdir(`${dir}/mine`);
  await Deno.writeTextFile(`${dir}/mine/best-LJ13-fire.xyz`, "the user's");
  await assert.rejects(
    () => RunFolder.claimNew(`${dir}/mine`, CLAIM),
    /--out .*mine already holds files \(best-LJ13-fire\.xyz\); a new run takes a new or empty folder$/,
  );
  assert.deepEqual(await names(`${dir}/mine`), ["best-LJ13-fire.xyz"]);
  // A dangling symbolic link in the way is one error, not a loop.
  await Deno.symlink(`${dir}/nowhere`, `${dir}/dangling`);
  await assert.rejects(
    () => RunFolder.claimNew(`${dir}/dangling/run`, CLAIM),
    /dangling\/run: .*dangling is a symbolic link to nothing$/,
  );
  // New nested folders are created; released with nothing written, they go again.
  const fresh = await RunFolder.claimNew(`${dir}/new/deeper`, CLAIM);
  assert.ok(fresh.created);
  assert.deepEqual(await names(`${dir}/new/deeper`), [LOCK_FILE]);
  await fresh.release();
  await assert.rejects(() => Deno.stat(`${dir}/new`), Deno.errors.NotFound);
  await Deno.remove(dir, { recursive: true });
});

Deno.test("RunFolder: two runs never share a folder; a default name takes the next free one", async () => {
  const dir = await Deno.makeTempDir();
  const first = await RunFolder.claimNew(`${dir}/a`, CLAIM);
  await assert.rejects(
    () => RunFolder.claimNew(`${dir}/a`, CLAIM),
    /^UserError: --out .*\/a is in use by a search still running \(process \d+, since .*\)$/,
  );
  await assert.rejects(
    () => RunFolder.claimExisting(`${dir}/a`, CLAIM),
    /is in use by a search still running/,
  );
  // Claimed together, default folders never coincide.
  const claims = await Promise.all(
    Array.from({ length: 4 }, () => RunFolder.claimFree(`${dir}/a`, CLAIM)),
  );
  assert.deepEqual(
    claims.map((c) => c.path).sort(),
    ["a-2", "a-3", "a-4", "a-5"].map((n) => `${dir}/${n}`),
  );
  // A folder holding a run is skipped too.
  await Deno.mkdir(`${dir}/b`);
  await Deno.writeTextFile(`${dir}/b/state.safetensors`, "");
  const next = await RunFolder.claimFree(`${dir}/b`, CLAIM);
  assert.equal(next.path, `${dir}/b-2`);
  for (const claim of [first, ...claims, next]) await claim.release();
  await Deno.remove(dir, { recursive: true });
});

Deno.test("RunFolder: a folder a killed run left before its first save is taken afresh", async () => {
  const dir = await Deno.makeTempDir();
  const killed = `${dir}/killed`;
  await Deno.mkdir(killed);
  // What a run killed with SIGKILL leaves: its (unlocked) lock file, a log, a half-written
  // temporary.
  await Deno.writeTextFile(`${killed}/${LOCK_FILE}`, "a search, process 1, since x\n");
  await Deno.writeTextFile(`${killed}/metrics.jsonl`, "{}\n");
  const temporary = `.minima.xyz.learn2hop-tmp-${crypto.randomUUID()}`;
  assert.match(temporary, TEMPORARY_PATTERN);
  await Deno.writeTextFile(`${killed}/${temporary}`, "partial");
  await assert.rejects(
    () => RunFolder.claimExisting(killed, CLAIM),
    /--out .*killed: nothing to continue there \(no state\.safetensors\).*start it again with --out$/,
  );
  const folder = await RunFolder.claimNew(killed, CLAIM);
  assert.deepEqual(await names(killed), [LOCK_FILE]);
  await folder.release();
  assert.deepEqual(await names(killed), []);
  // With files of the user's beside (one only looks like a temporary), it is not taken.
  await Deno.writeTextFile(`${killed}/${LOCK_FILE}`, "");
  await Deno.writeTextFile(`${killed}/notes.tmp-0123`, "the user's");
  await Deno.writeTextFile(`${killed}/.x.learn2hop-tmp-mine`, "the user's too");
  await assert.rejects(
    () => RunFolder.claimNew(killed, CLAIM),
    /already holds files \(\.x\.learn2hop-tmp-mine, notes\.tmp-0123\)/,
  );
  assert.deepEqual(await names(killed), [LOCK_FILE, ".x.learn2hop-tmp-mine", "notes.tmp-0123"]);
  await Deno.remove(dir, { recursive: true });
});

Deno.test("RunFolder: --resume claims a folder with its saved state, and cleans temporaries", async () => {
  const dir = await Deno.makeTempDir();
  await Deno.writeTextFile(`${dir}/state.safetensors`, "");
  await Deno.writeTextFile(`${dir}/.summary.json.learn2hop-tmp-${crypto.randomUUID()}`, "x");
  const folder = await RunFolder.claimExisting(dir, { ...CLAIM, flag: "--resume" });
  assert.deepEqual(await names(dir), [LOCK_FILE, "state.safetensors"]);
  await folder.release();
  assert.deepEqual(await names(dir), ["state.safetensors"]);
  await Deno.remove(`${dir}/state.safetensors`);
  await Deno.mkdir(`${dir}/state.safetensors`);
  await assert.rejects(
    () => RunFolder.claimExisting(dir, { ...CLAIM, flag: "--resume" }),
    /--resume .*: state\.safetensors is not a regular file$/,
  );
  await assert.rejects(
    () => RunFolder.claimExisting(`${dir}/missing`, { ...CLAIM, flag: "--resume" }),
    /--resume .*missing: no such folder$/,
  );
  await Deno.remove(dir, { recursive: true });
});

Deno.test("RunFolder: an unwritable folder is refused", async () => {
  const dir = await Deno.makeTempDir();
  await Deno.chmod(dir, 0o500);
  // root writes anywhere: the check means something for other users only.
  const writable = await Deno.writeTextFile(`${dir}/probe`, "").then(() => true, () => false);
  if (!writable) await assert.rejects(() => RunFolder.claimNew(dir, CLAIM), /cannot write there/);
  await Deno.chmod(dir, 0o700);
  await Deno.remove(dir, { recursive: true });
  await removeStaleTemporaries(`${dir}/missing`);
});

Deno.test("readInputText refuses devices, folders, binary and oversized files, quoting none", async () => {
  const dir = await Deno.makeTempDir();
  const binary = `${dir}/run.traj`;
  const secret = "SECRET-CONTENT";
  await Deno.writeFile(
    binary,
    Uint8Array.from([...new TextEncoder().encode(secret), 0, 1, 2, 255]),
  );
  const messages: string[] = [];
  for (
    const [path, pattern, max] of [
      ["/dev/zero", /^\/dev\/zero \(an XYZ file\): not a regular file$/, undefined],
      [dir, /\(an XYZ file\): a folder, not a file$/, undefined],
      [binary, /run\.traj \(an XYZ file\): a binary file, not text$/, undefined],
      [`${dir}/missing.xyz`, /missing\.xyz \(an XYZ file\): no such file$/, undefined],
      [`${dir}/missing.xyz/x`, /x \(an XYZ file\): a path under a file|no such file$/, undefined],
    ] as const
  ) {
    const error = await readInputText(path, "an XYZ file", max).catch((e) => e);
    assert.ok(error instanceof UserError, String(error));
    assert.match(error.message, pattern);
    messages.push(error.message);
  }
  await Deno.writeTextFile(`${dir}/big.xyz`, "x".repeat(2000));
  await assert.rejects(
    () => readInputText(`${dir}/big.xyz`, "an XYZ file", 1000),
    /big\.xyz \(an XYZ file\): 2000 bytes, more than the 1000 read at most$/,
  );
  await Deno.writeFile(`${dir}/latin1.xyz`, Uint8Array.of(0x41, 0xe9, 0x42));
  await assert.rejects(() => readInputText(`${dir}/latin1.xyz`, "an XYZ file"), /not UTF-8/);
  assert.ok(messages.every((m) => !m.includes(secret)));
  assert.equal(await readInputText(`${dir}/big.xyz`, "an XYZ file"), "x".repeat(2000));
  await Deno.remove(dir, { recursive: true });
});

Deno.test("readInputBytes: links to devices, FIFOs and huge files are refused before any read", async () => {
  const dir = await Deno.makeTempDir();
  await Deno.symlink("/dev/zero", `${dir}/zero.safetensors`);
  await new Deno.Command("mkfifo", { args: [`${dir}/fifo`] }).output();
  // A sparse 3 GiB file: refused by its size, so nothing is read (reading it would take seconds).
  const huge = await Deno.open(`${dir}/huge.safetensors`, { write: true, create: true });
  await huge.truncate(3 * 2 ** 30);
  huge.close();
  for (
    const [path, pattern] of [
      [`${dir}/zero.safetensors`, /zero\.safetensors \(a checkpoint\): not a regular file$/],
      [`${dir}/fifo`, /fifo \(a checkpoint\): not a regular file$/],
      [`${dir}/huge.safetensors`, /\(a checkpoint\): 3221225472 bytes, more than the 1024 read/],
    ] as const
  ) {
    await assert.rejects(() => readInputBytes(path, "a checkpoint", 1024), pattern);
  }
  await Deno.writeFile(`${dir}/ok`, Uint8Array.of(1, 2, 3));
  assert.deepEqual(await readInputBytes(`${dir}/ok`, "a checkpoint", 3), Uint8Array.of(1, 2, 3));
  await assert.rejects(() => readInputBytes(`${dir}/ok`, "a checkpoint", 2), /3 bytes, more/);
  await Deno.remove(dir, { recursive: true });
});

Deno.test("parseJsonText gives where the text stops being JSON, never the text", () => {
  assert.throws(
    () => parseJsonText('{\n "a": 1,\n SECRET}', "c.json", "a JSON training config"),
    (e: Error) =>
      e instanceof UserError && !e.message.includes("SECRET") &&
      /^c\.json \(a JSON training config\): not JSON at line 3, column 2$/.test(e.message),
  );
  assert.throws(
    () => parseJsonText("root:x:0:0:root", "p.json", "a config"),
    /^UserError: p\.json \(a config\): not JSON$/,
  );
});

Deno.test("RunFolder: a folder no run of ours held is left as it was when refused", async () => {
  const dir = await Deno.makeTempDir();
  // A user's folder with a file of the name a run writes first: not a killed run's, so kept.
  await Deno.writeTextFile(`${dir}/metrics.jsonl`, "the user's\n");
  await assert.rejects(
    () => RunFolder.claimNew(dir, CLAIM),
    /already holds files \(metrics\.jsonl\)/,
  );
  await assert.rejects(() => RunFolder.claimExisting(dir, CLAIM), /nothing to continue there/);
  assert.deepEqual(await names(dir), ["metrics.jsonl"]);
  assert.equal(await Deno.readTextFile(`${dir}/metrics.jsonl`), "the user's\n");
  await Deno.remove(dir, { recursive: true });
});
