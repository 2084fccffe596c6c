/**
 * Shared command-line plumbing. How every task starts and fails: a user mistake (UserError, a bad flag from
 * node:util parseArgs) is one line on stderr and exit status 2; anything else is a bug or a
 * GPU failure and keeps its stack trace, with exit status 1.
 */
import { UserError } from "../core/errors.ts";
import {
  MAX_MAGNITUDE,
  MAX_U32,
  MIN_MAGNITUDE,
  parseDecimal,
  withinMagnitude,
} from "../core/numbers.ts";
import { parseLayout, type ThreadLayout } from "../gpu/thread_layout.ts";
import { type CommandName, dropUnneeded } from "./permissions.ts";
import { PROJECT_ROOT } from "./project.ts";
import { resolve } from "node:path";

/**
 * Runs the command `name` with `args`: in the user's folder (enterUserFolder), with only the
 * permissions it uses (permissions.ts), its mistakes one line and exit status 2.
 */
export async function runCommand(
  name: CommandName,
  main: (args: string[]) => Promise<void> | void,
  args: string[] = Deno.args,
): Promise<void> {
  await runTask(async () => {
    await enterUserFolder();
    await dropUnneeded(name, args);
    await main(args);
  });
}

export async function runTask(main: () => Promise<void> | void): Promise<void> {
  try {
    await main();
  } catch (error) {
    if (isUserMistake(error)) {
      // One line, even for parseArgs' multi-line explanations.
      console.error(`error: ${(error as Error).message.replace(/\s*\n\s*/g, " ")}`);
      Deno.exit(2);
    }
    if (error instanceof Deno.errors.NotCapable) {
      // Outside what Deno lets the command do (permissions.ts): a path or host the user gave,
      // or a special system file (/proc, /sys, /dev) that Deno keeps from programs.
      const what = /"([^"]*)"/.exec(error.message)?.[1];
      console.error(`error: ${what ?? "that"}: not permitted to this command`);
      Deno.exit(2);
    }
    throw error;
  }
}

/**
 * `deno task` runs a command in the project's folder and names the folder the user typed it in
 * INIT_CWD: paths on the command line (files to read, --out) are the user's, so the command
 * moves there (the project's own files are found from the code: project.ts). Only where the task
 * was granted that one variable (deno.json) and runs in the project's folder, as deno task runs
 * it: a script run otherwise stays where it is, whatever INIT_CWD an outer tool left.
 */
export async function enterUserFolder(): Promise<void> {
  const { state } = await Deno.permissions.query({ name: "env", variable: "INIT_CWD" });
  const folder = state === "granted" ? Deno.env.get("INIT_CWD") : undefined;
  if (folder === undefined || folder === "") return;
  if (resolve(Deno.cwd()) !== resolve(PROJECT_ROOT)) return;
  try {
    Deno.chdir(folder);
  } catch (error) {
    throw new UserError(`cannot enter the folder deno task was started in, ${folder}: ${error}`);
  }
}

function isUserMistake(error: unknown): boolean {
  if (error instanceof UserError) return true;
  // node:util parseArgs throws TypeErrors with these codes for unknown or malformed flags.
  const code = (error as { code?: string })?.code;
  return typeof code === "string" && code.startsWith("ERR_PARSE_ARGS");
}

export { MAX_U32 } from "../core/numbers.ts";
export { MAX_REPLICAS } from "../search/limits.ts";

/** A decimal number from a flag's text, or a UserError naming the flag (hexadecimal and other
 * forms are refused: src/core/numbers.ts). */
export function numberFlag(flag: string, text: string): number {
  const value = parseDecimal(text);
  if (!Number.isFinite(value)) throw new UserError(`--${flag} must be a number, got '${text}'`);
  return value;
}

/** A physical setting from a flag's text: a positive number within what the kernels hold
 * ([MIN_MAGNITUDE, MAX_MAGNITUDE], or 0 too where `zero` allows it), or a UserError naming the
 * flag and the range. */
export function positiveNumber(flag: string, text: string, zero = false): number {
  const value = parseDecimal(text);
  if (!(value >= 0) || !withinMagnitude(value, zero)) {
    throw new UserError(
      `--${flag} must be ${zero ? "0 or " : ""}a number from ${MIN_MAGNITUDE} to ${MAX_MAGNITUDE}` +
        `, got '${text}'`,
    );
  }
  return value;
}

/** A share from 0 to 1 from a flag's text, or a UserError naming the flag. */
export function fractionFlag(flag: string, text: string): number {
  const value = parseDecimal(text);
  if (!(value >= 0 && value <= 1)) {
    throw new UserError(`--${flag} must be a number from 0 to 1, got '${text}'`);
  }
  return value;
}

/** An energy (--target, --reference): any sign, within MAX_MAGNITUDE. */
export function energyFlag(flag: string, text: string): number {
  const value = numberFlag(flag, text);
  if (!withinMagnitude(value, true)) {
    throw new UserError(
      `--${flag} must be a number from -${MAX_MAGNITUDE} to ${MAX_MAGNITUDE}, got '${text}'`,
    );
  }
  return value;
}

/** An integer from `min` to `max` (default 2^32 - 1) from a flag's text (exponent notation
 * welcome: 2e4), or a UserError naming the flag and the range. */
export function integerFlag(flag: string, text: string, min: number, max = MAX_U32): number {
  const value = parseDecimal(text);
  if (!Number.isInteger(value) || value < min || value > max) {
    throw new UserError(`--${flag} must be an integer from ${min} to ${max}, got '${text}'`);
  }
  return value;
}

/** The `--layout` flag of every task that runs kernels (src/gpu/thread_layout.ts). */
export const LAYOUT_OPTION = { layout: { type: "string" } } as const;

/** The `--layout` line of a task's help, its description starting at `column`. */
export function layoutHelp(column: number): string {
  const words = ("GPU thread layout: lane (one invocation per replica) or workgroup (one " +
    "workgroup per replica, one invocation per atom); default: lane on a software rasterizer " +
    "such as llvmpipe, workgroup on a hardware GPU").split(" ");
  const lines = [""];
  for (const word of words) {
    const line = lines[lines.length - 1];
    if (line.length > 0 && column + line.length + 1 + word.length > 100) lines.push(word);
    else lines[lines.length - 1] = line.length > 0 ? `${line} ${word}` : word;
  }
  return lines.map((line, k) => (k === 0 ? "  --layout L" : "").padEnd(column) + line).join("\n");
}

/** The layout `--layout` names (undefined: the adapter's), or a UserError listing them. */
export function layoutFlag(text: string | undefined): ThreadLayout | undefined {
  return text === undefined ? undefined : parseLayout(text);
}

/** The `--redis` flag of the tasks that run distributed (src/distributed/). */
export const REDIS_OPTION = { redis: { type: "string" } } as const;

/** The `--redis` lines of a task's help, descriptions starting at `column`. */
export function redisHelp(column: number, what: string): string {
  return [
    "  --redis URL".padEnd(column) + what,
    "".padEnd(column) + "(redis://HOST:PORT, redis://:PASSWORD@HOST:PORT, rediss:// for TLS;",
    "".padEnd(column) + "docs/DISTRIBUTED.md)",
  ].join("\n");
}
