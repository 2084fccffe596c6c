/**
 * deno task train: meta-training of the learned optimizer. Not built yet (it needs the fused
 * optimizer kernels first); this placeholder says so and points at what works today.
 */
import { parseArgs } from "node:util";
import { runTask } from "../src/cli/args.ts";

const HELP = `Usage: deno task train [options]

Meta-trains the learned optimizer with antithetic evolution strategies.
Not implemented yet: it is planned after the batched local optimizers and basin hopping.

What works today:
  deno task energy FILE.xyz   energy and forces of structures, f64 reference beside WebGPU
  deno task bench             energy+force throughput of the WebGPU kernels

Options:
  -h, --help   this text`;

await runTask(() => {
  const { values } = parseArgs({
    args: Deno.args,
    options: { help: { type: "boolean", short: "h", default: false } },
  });
  if (values.help) {
    console.log(HELP);
    return;
  }
  console.log(
    "learn2hop train: meta-training is not implemented yet (see `deno task train --help`).\n" +
      "Available now: `deno task energy FILE.xyz` and `deno task bench`.",
  );
});
