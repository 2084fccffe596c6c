/**
 * Output files are never lost or misplaced: atomic writes replace a planted symlink instead of
 * writing through it, appends refuse one, a killed run's temporaries are cleaned up, and an output
 * folder that is a file, lies under a file, or holds a run is refused before any work. Input files
 * that are devices, binary or too large are refused without quoting them.
 */
import assert from "node:assert/strict";
import { UserError } from "../src/core/errors.ts";
import { readInputText } from "../src/io/input_files.ts";
import {
  freeDirectory,
  openForAppend,
  prepareOutputDir,
  removeStaleTemporaries,
  writeFileAtomic,
} from "../src/io/output_files.ts";

const MARKERS = { runMarkers: ["summary.json"], flag: "--out" };

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

Deno.test("prepareOutputDir: a file, a path under a file, a folder holding a run are refused", async () => {
  const dir = await Deno.makeTempDir();
  await Deno.writeTextFile(`${dir}/file`, "");
  await assert.rejects(() => prepareOutputDir(`${dir}/file`, MARKERS), /is a file, not a folder/);
  await assert.rejects(() => prepareOutputDir(`${dir}/file/sub`, MARKERS), /lies under a file/);
  await Deno.mkdir(`${dir}/run`);
  await Deno.writeTextFile(`${dir}/run/summary.json`, "{}");
  await assert.rejects(() => prepareOutputDir(`${dir}/run`, MARKERS), /already holds a run/);
  // Continuing that run is allowed, and cleans up what a killed run left.
  await Deno.writeTextFile(`${dir}/run/minima.xyz.tmp-0123`, "partial");
  await prepareOutputDir(`${dir}/run`, { ...MARKERS, continuing: true });
  const names = (await Array.fromAsync(Deno.readDir(`${dir}/run`))).map((e) => e.name);
  assert.deepEqual(names, ["summary.json"]);
  // A new nested folder is created.
  await prepareOutputDir(`${dir}/new/deeper`, MARKERS);
  assert.ok((await Deno.stat(`${dir}/new/deeper`)).isDirectory);
  await Deno.remove(dir, { recursive: true });
});

Deno.test("prepareOutputDir: an unwritable folder is refused", async () => {
  const dir = await Deno.makeTempDir();
  await Deno.chmod(dir, 0o500);
  // root writes anywhere: the check means something for other users only.
  const writable = await Deno.writeTextFile(`${dir}/probe`, "").then(() => true, () => false);
  if (!writable) await assert.rejects(() => prepareOutputDir(dir, MARKERS), /cannot write there/);
  await Deno.chmod(dir, 0o700);
  await Deno.remove(dir, { recursive: true });
});

Deno.test("freeDirectory takes the first suffix without a run", async () => {
  const dir = await Deno.makeTempDir();
  assert.equal(await freeDirectory(`${dir}/a`, ["summary.json"]), `${dir}/a`);
  for (const name of ["a", "a-2"]) {
    await Deno.mkdir(`${dir}/${name}`);
    await Deno.writeTextFile(`${dir}/${name}/summary.json`, "{}");
  }
  assert.equal(await freeDirectory(`${dir}/a`, ["summary.json"]), `${dir}/a-3`);
  await removeStaleTemporaries(`${dir}/missing`);
  await Deno.remove(dir, { recursive: true });
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
      ["/dev/zero", /\/dev\/zero is not a regular file/, undefined],
      [dir, /is not a regular file/, undefined],
      [binary, /run\.traj is a binary file, not an XYZ file/, undefined],
      [`${dir}/missing.xyz`, /cannot read .*missing\.xyz: no such file/, undefined],
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
    /2000 bytes, more than the 1000 read as an XYZ file/,
  );
  await Deno.writeFile(`${dir}/latin1.xyz`, Uint8Array.of(0x41, 0xe9, 0x42));
  await assert.rejects(() => readInputText(`${dir}/latin1.xyz`, "an XYZ file"), /not UTF-8/);
  assert.ok(messages.every((m) => !m.includes(secret)));
  assert.equal(await readInputText(`${dir}/big.xyz`, "an XYZ file"), "x".repeat(2000));
  await Deno.remove(dir, { recursive: true });
});
