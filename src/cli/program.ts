/**
 * How the user runs the commands, for the commands a run prints back (how to resume, how to
 * use a checkpoint): `deno task NAME` from a checkout, or `learn2hop NAME` once installed
 * (tasks/learn2hop.ts, which calls `useProgramName`).
 */

let program = "deno task";

/** Makes `command` spell commands as `name SUBCOMMAND`. */
export function useProgramName(name: string): void {
  program = name;
}

/** The command line that runs `subcommand` with `args` (each quoted for a POSIX shell). */
export function command(subcommand: string, ...args: string[]): string {
  return [program, subcommand, ...args.map(shellWord)].join(" ");
}

/** `text` as one word for a POSIX shell. */
export function shellWord(text: string): string {
  return /^[\w@%+=:,./-]+$/.test(text) ? text : `'${text.replaceAll("'", `'\\''`)}'`;
}
