/**
 * learn2hop COMMAND [options]: every command of the project from any folder, as the installed
 * command (`deno task install` puts a launcher on the PATH that runs this file with the
 * permissions of the command asked for: src/cli/permissions.ts).
 */
import { runCommand, runTask } from "../src/cli/args.ts";
import { COMMAND_NAMES, type CommandName } from "../src/cli/permissions.ts";
import { useProgramName } from "../src/cli/program.ts";
import { UserError } from "../src/core/errors.ts";
import project from "../deno.json" with { type: "json" };

const SUMMARIES: Record<CommandName, string> = {
  search: "global search for low minima: many replicas on the GPU (basin hopping, learned, ...)",
  energy: "energy and forces of each frame of an XYZ file, in f64 and on the GPU",
  train: "meta-train a learned optimizer with evolution strategies",
  eval: "the learned optimizer against hand-designed methods at equal cost",
  reference: "pooled reference energies for systems without a known global minimum",
  bench: "throughput of the GPU kernels, beside LAMMPS and across Redis workers",
  worker: "a worker of distributed training and evaluation (--redis URL)",
};

const MODULES: Record<CommandName, () => Promise<{ main: (args: string[]) => Promise<void> }>> = {
  search: () => import("./search.ts"),
  energy: () => import("./energy.ts"),
  train: () => import("./train.ts"),
  eval: () => import("./eval.ts"),
  reference: () => import("./reference.ts"),
  bench: () => import("./bench.ts"),
  worker: () => import("./worker.ts"),
};

const HELP = `Usage: learn2hop COMMAND [options]

Finds low-energy atomic structures with learned and hand-designed optimizers on the GPU
(learn2hop ${project.version}). Files are read and written relative to the folder it is run
from; --config and --checkpoint also take the name of a shipped config or checkpoint.

Commands (learn2hop COMMAND --help for each):
${COMMAND_NAMES.map((name) => `  ${name.padEnd(11)}${SUMMARIES[name]}`).join("\n")}

  learn2hop --help      this text
  learn2hop --version   the version

Examples:
  learn2hop search --system LJ13 --replicas 64 --max-evals 2000
  learn2hop energy cluster.xyz
  learn2hop search --system LJ26 --method learned --checkpoint lj-hopper --replicas 256

Exit status 2 for a mistake in what was asked (one line on stderr, nothing written).`;

if (import.meta.main) {
  const [name, ...args] = Deno.args;
  if (name === "-h" || name === "--help" || name === "help") console.log(HELP);
  else if (name === "--version" || name === "-V") console.log(`learn2hop ${project.version}`);
  else if (!(COMMAND_NAMES as readonly string[]).includes(name ?? "")) {
    await runTask(() => {
      throw new UserError(
        name === undefined
          ? `name a command: ${COMMAND_NAMES.join(", ")} (learn2hop --help)`
          : `unknown command '${name.slice(0, 40)}'; the commands are ${COMMAND_NAMES.join(", ")}`,
      );
    });
  } else {
    const command = name as CommandName;
    useProgramName("learn2hop");
    const { main } = await MODULES[command]();
    await runCommand(command, main, args);
  }
}
