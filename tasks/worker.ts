/**
 * deno task worker: a worker of distributed training and evaluation (src/distributed/).
 *
 *   deno task worker --redis redis://HOST:PORT [--name NAME] [--visibility-timeout S]
 */
import { parseArgs } from "node:util";
import {
  integerFlag,
  LAYOUT_OPTION,
  layoutFlag,
  layoutHelp,
  REDIS_OPTION,
  redisHelp,
  runCommand,
} from "../src/cli/args.ts";
import { command } from "../src/cli/program.ts";
import { SIGNAL_STATUS, StopSignals } from "../src/cli/stop_signals.ts";
import { UserError } from "../src/core/errors.ts";
import { Gpu } from "../src/gpu/device.ts";
import { parseRedisUrl } from "../src/distributed/redis_url.ts";
import { DEFAULT_VISIBILITY_SECONDS, Worker } from "../src/distributed/worker.ts";
import type { WorkItem, WorkResult } from "../src/distributed/work_items.ts";

/** The longest visibility timeout: its milliseconds must fit a timer (2^31 - 1 ms, 24 days). */
const MAX_VISIBILITY_SECONDS = 2_000_000;

const HELP = `Usage: ${command("worker")} --redis URL [options]

A worker of distributed training and evaluation: it takes work items from the Redis that
'${command("train")} --redis URL' and '${
  command("eval")
} --redis URL' publish to (a slice of a training
step's ES population, a validation, a search of an evaluation), runs each on this machine's GPU in
one batch and sends the result back. Start one per GPU, on any machine that reaches the Redis;
workers come and go at any time. It runs only the project's own work items, each checked against
their schema; a malformed one is logged and dropped.

Options:
${redisHelp(27, "the Redis to take work from (required)")}
  --name NAME              this worker's name in Redis and in results (default: HOST-PID)
  --visibility-timeout S   seconds an item may sit on a worker that stopped renewing its claim
                           (it died or stalled) before another worker takes it over (default:
                           ${DEFAULT_VISIBILITY_SECONDS}); longer than the longest kernel compile
  --json                   print a JSON summary on stdout when stopped
${layoutHelp(27)}
  -h, --help               this text

Progress: one line per item (its kind, what it held, seconds). When Redis goes away the worker
says so and waits; it continues when Redis is back. Ctrl-C or SIGTERM hands the item in flight
back to the other workers at once and exits with status 130 (SIGINT) or 143 (SIGTERM). Exit
status 2 for a bad option or a Redis that cannot be reached or refuses the password.`;

export async function main(args: string[]): Promise<void> {
  const { values } = parseArgs({
    args,
    options: {
      ...REDIS_OPTION,
      name: { type: "string" },
      "visibility-timeout": { type: "string" },
      json: { type: "boolean", default: false },
      help: { type: "boolean", short: "h", default: false },
      ...LAYOUT_OPTION,
    },
  });
  if (values.help) {
    console.log(HELP);
    return;
  }
  if (values.redis === undefined) {
    throw new UserError("--redis URL is required: the Redis the host publishes work to");
  }
  const target = parseRedisUrl(values.redis);
  const layout = layoutFlag(values.layout);
  const visibility = values["visibility-timeout"] === undefined
    ? DEFAULT_VISIBILITY_SECONDS
    : integerFlag("visibility-timeout", values["visibility-timeout"], 1, MAX_VISIBILITY_SECONDS);
  const name = values.name ?? `${hostname()}-${Deno.pid}`;
  let gpu: Gpu | undefined;
  const worker = await Worker.start({
    target,
    name,
    visibilityMs: visibility * 1000,
    onItem: values.json ? undefined : (item, result) => console.error(itemLine(item, result)),
  }, async () => gpu = await Gpu.open({ log: values.json ? null : undefined, layout }));
  console.error(`worker ${name}: taking work from ${target.shown}`);
  const started = performance.now();
  const finish = () => {
    const summary = worker.summary;
    console.error(
      `worker ${name}: ${summary.items} items done, ${summary.dropped} malformed dropped, ` +
        `${summary.skipped} no longer wanted`,
    );
    if (values.json) {
      console.log(JSON.stringify(
        {
          worker: name,
          ...summary,
          seconds: (performance.now() - started) / 1000,
          adapter: gpu?.adapterName,
          layout: gpu?.layout,
        },
        null,
        2,
      ));
    }
  };
  // A second signal does not interrupt the hand-back.
  new StopSignals(async (signal) => {
    console.error(`\n${signal}: handing the item in flight back and stopping`);
    await worker.stop().catch(() => {});
    finish();
    Deno.exit(SIGNAL_STATUS[signal]);
  });
  await worker.run();
}

function hostname(): string {
  try {
    return Deno.hostname().replace(/[^\w.@-]/g, "-").slice(0, 48);
  } catch {
    return "worker";
  }
}

function itemLine(item: WorkItem, result: WorkResult): string {
  const what = item.kind === "train-slice"
    ? `${item.system} members ${item.first}..${item.first + item.count - 1} of step ${
      item.step + 1
    }`
    : item.kind === "search"
    ? `${item.options.system} ${item.options.method} x${item.options.replicas}`
    : item.system;
  const status = result.outcome.ok ? "" : `  FAILED: ${result.outcome.message}`;
  return `${item.kind} ${what} (run ${item.run}) in ${result.seconds.toFixed(2)} s${status}`;
}

if (import.meta.main) await runCommand("worker", main);
