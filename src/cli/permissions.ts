/**
 * Deno permissions, scoped by what a command does rather than by the project folder:
 *   - reading anywhere the user may: structures, configs and checkpoints live in the user's folders;
 *   - writing only for the commands that write (search, train, eval, reference, bench), where the
 *     user points them (--out, --file) or in their default folders;
 *   - the network only with --redis (train, eval, worker) and for the bench's loopback peers;
 *   - subprocesses only for the bench (LAMMPS, GMIN, redis-server, its workers) and for eval with
 *     --gmin (GMIN beside the hard suite);
 *   - the host name only for the worker's default name; of the environment only INIT_CWD, which
 *     `deno task` sets (args.ts).
 * Declared once here: the installed command's launcher is generated from it (tasks/install.ts),
 * deno.json's tasks are checked against it (tests/front_door_test.ts), and every command gives up
 * at its start what its invocation does not use (`dropUnneeded`), so that a command started with
 * more (deno.json's train and eval hold the network for --redis) runs with no more than it needs.
 */

export const COMMAND_NAMES = [
  "search",
  "energy",
  "train",
  "eval",
  "reference",
  "bench",
  "worker",
] as const;
export type CommandName = typeof COMMAND_NAMES[number];

interface Capabilities {
  write: boolean;
  /** "redis": any host, only with --redis; "loopback": 127.0.0.1, always. */
  net: "never" | "redis" | "loopback";
  /** "gmin": only with --gmin. */
  run: "never" | "gmin" | "always";
  sys: boolean;
}

export const CAPABILITIES: Record<CommandName, Capabilities> = {
  search: { write: true, net: "never", run: "never", sys: false },
  energy: { write: false, net: "never", run: "never", sys: false },
  train: { write: true, net: "redis", run: "never", sys: false },
  eval: { write: true, net: "redis", run: "gmin", sys: false },
  reference: { write: true, net: "never", run: "never", sys: false },
  bench: { write: true, net: "loopback", run: "always", sys: false },
  worker: { write: false, net: "redis", run: "never", sys: true },
};

/** Whether `args` hold the flag `name` (--name VALUE or --name=VALUE). */
function usesFlag(args: string[], name: string): boolean {
  return args.some((arg) => arg === name || arg.startsWith(`${name}=`));
}

/** The `deno run` permission flags of `command`, with the network --redis needs when `redis`. */
export function permissionFlags(command: CommandName, redis: boolean): string[] {
  const needs = CAPABILITIES[command];
  const flags = ["--allow-read"];
  if (needs.write) flags.push("--allow-write");
  if (needs.net === "loopback") flags.push("--allow-net=127.0.0.1");
  if (needs.net === "redis" && redis) flags.push("--allow-net");
  if (needs.run !== "never") flags.push("--allow-run");
  if (needs.sys) flags.push("--allow-sys=hostname");
  return flags;
}

/** Gives up every permission `command` with `args` does not use (see above). Called once the
 * command has read INIT_CWD. */
export async function dropUnneeded(command: CommandName, args: string[]): Promise<void> {
  const needs = CAPABILITIES[command];
  const drop: Deno.PermissionDescriptor[] = [{ name: "env" }, { name: "ffi" }];
  if (!needs.write) drop.push({ name: "write" });
  if (needs.run === "never" || (needs.run === "gmin" && !usesFlag(args, "--gmin"))) {
    drop.push({ name: "run" });
  }
  if (!needs.sys) drop.push({ name: "sys" });
  if (needs.net === "never" || (needs.net === "redis" && !usesFlag(args, "--redis"))) {
    drop.push({ name: "net" });
  }
  // Revoking a permission that was never granted changes nothing.
  for (const descriptor of drop) await Deno.permissions.revoke(descriptor);
}
