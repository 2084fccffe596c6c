/**
 * deno task install [--bin DIR] [--force]: installs the `learn2hop` command, a launcher script
 * that runs tasks/learn2hop.ts of this checkout with the Deno that ran the install, from any
 * folder, with each command's own permissions (src/cli/permissions.ts). Like `deno install -g`,
 * but the Deno binary is pinned (an npx user has no `deno` on the PATH) and the permissions are
 * the command's, not one set for all.
 */
import { parseArgs } from "node:util";
import { resolve } from "node:path";
import { enterUserFolder, runTask } from "../src/cli/args.ts";
import { COMMAND_NAMES, permissionFlags } from "../src/cli/permissions.ts";
import { PROJECT_ROOT } from "../src/cli/project.ts";
import { UserError } from "../src/core/errors.ts";
import { osErrorText } from "../src/io/input_files.ts";
import { writeFileAtomic } from "../src/io/output_files.ts";

/** The first line after the shebang: marks a launcher this task wrote (and may replace). */
const MARK = "# learn2hop launcher, written by `deno task install`";

const HELP = `Usage: deno task install [--bin DIR] [--force]

Installs the learn2hop command: a launcher in DIR (default: ~/.local/bin) that runs this
checkout's commands from any folder (learn2hop search ..., learn2hop energy FILE.xyz, ...;
learn2hop --help lists them), with the Deno that runs this install. Each command gets only
the permissions it uses: reading files, writing for the commands that write, the network only
with --redis and for the bench's loopback peers. The checkout must stay where it is; run the
install again after moving it. Remove the command by deleting DIR/learn2hop.

  --bin DIR   where to put the launcher (a folder on your PATH)
  --force     replace a file named learn2hop there that this task did not write
  -h, --help  this text`;

/** The launcher: a POSIX shell script choosing each command's permissions. */
export function launcherScript(deno: string, root: string): string {
  const quote = (text: string) => `'${text.replaceAll("'", `'\\''`)}'`;
  const cases = COMMAND_NAMES.map((name) => {
    const plain = permissionFlags(name, false).join(" ");
    const redis = permissionFlags(name, true).join(" ");
    if (plain === redis) return `  ${name}) allow="${plain}" ;;`;
    return [
      `  ${name})`,
      `    allow="${plain}"`,
      `    for arg in "$@"; do`,
      `      case "$arg" in --redis | --redis=*) allow="${redis}" ;; esac`,
      `    done ;;`,
    ].join("\n");
  });
  return [
    "#!/bin/sh",
    MARK,
    `# from ${root}; run it again there to update this file.`,
    `deno=${quote(deno)}`,
    `[ -x "$deno" ] || deno=$(command -v deno) || {`,
    `  echo "learn2hop: no Deno at $deno or on the PATH; run 'npx -y deno@2.9.6 task install' again" >&2`,
    "  exit 2",
    "}",
    `root=${quote(root)}`,
    'case "$1" in',
    ...cases,
    '  *) allow="" ;;',
    "esac",
    'exec "$deno" run --quiet --no-prompt $allow --config "$root/deno.json" "$root/tasks/learn2hop.ts" "$@"',
    "",
  ].join("\n");
}

async function main() {
  await enterUserFolder();
  const { values, positionals } = parseArgs({
    args: Deno.args,
    options: {
      bin: { type: "string" },
      force: { type: "boolean", default: false },
      help: { type: "boolean", short: "h", default: false },
    },
    allowPositionals: true,
  });
  if (values.help) {
    console.log(HELP);
    return;
  }
  if (positionals.length > 0) throw new UserError(`unexpected argument '${positionals[0]}'`);
  const home = Deno.env.get("HOME");
  if (values.bin === undefined && !home) throw new UserError("HOME is not set: give --bin DIR");
  const folder = resolve(values.bin ?? `${home}/.local/bin`);
  const path = `${folder}/learn2hop`;
  const existing = await Deno.readTextFile(path).catch(() => undefined);
  if (existing !== undefined && !existing.split("\n", 2).includes(MARK) && !values.force) {
    throw new UserError(`${path} exists and is not a learn2hop launcher (--force replaces it)`);
  }
  try {
    await Deno.mkdir(folder, { recursive: true });
    await writeFileAtomic(path, launcherScript(Deno.execPath(), PROJECT_ROOT.replace(/\/$/, "")));
    await Deno.chmod(path, 0o755);
  } catch (error) {
    throw new UserError(`cannot write ${path}: ${osErrorText(error)}`);
  }
  console.log(`installed ${path}`);
  const onPath = (Deno.env.get("PATH") ?? "").split(":").some((p) => resolve(p) === folder);
  if (!onPath) console.log(`${folder} is not on your PATH: export PATH="${folder}:$PATH"`);
  console.log("try: learn2hop --help");
}

if (import.meta.main) await runTask(main);
