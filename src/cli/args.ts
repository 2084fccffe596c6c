/**
 * Shared command-line plumbing. How every task starts and fails: a user mistake (UserError, a bad flag from
 * node:util parseArgs) is one line on stderr and exit status 2; anything else is a bug or a
 * GPU failure and keeps its stack trace, with exit status 1.
 */
import { UserError } from "../core/errors.ts";
import { parseLayout, type ThreadLayout } from "../gpu/thread_layout.ts";

export async function runTask(main: () => Promise<void> | void): Promise<void> {
  try {
    await main();
  } catch (error) {
    if (isUserMistake(error)) {
      // One line, even for parseArgs' multi-line explanations.
      console.error(`error: ${(error as Error).message.replace(/\s*\n\s*/g, " ")}`);
      Deno.exit(2);
    }
    throw error;
  }
}

function isUserMistake(error: unknown): boolean {
  if (error instanceof UserError) return true;
  // node:util parseArgs throws TypeErrors with these codes for unknown or malformed flags.
  const code = (error as { code?: string })?.code;
  return typeof code === "string" && code.startsWith("ERR_PARSE_ARGS");
}

/** A positive finite number from a flag's text, or a UserError naming the flag. */
export function positiveNumber(flag: string, text: string): number {
  const value = Number(text);
  if (!Number.isFinite(value) || value <= 0) {
    throw new UserError(`--${flag} must be a positive number, got '${text}'`);
  }
  return value;
}

/** The largest value of the GPU's u32 counters and seeds. */
export const MAX_U32 = 4294967295;

/** An integer from `min` to 2^32 - 1 from a flag's text (exponent notation welcome: 2e4), or a
 * UserError naming the flag. */
export function integerFlag(flag: string, text: string, min: number): number {
  const value = Number(text);
  if (text.trim() === "" || !Number.isInteger(value) || value < min || value > MAX_U32) {
    throw new UserError(`--${flag} must be an integer from ${min} to ${MAX_U32}, got '${text}'`);
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
