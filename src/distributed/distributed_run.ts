/**
 * A host's run in distributed mode: its id, kept in its output folder so that the same folder
 * (a resumed training) is the same run, whose results Redis still holds.
 */
import { readInputText } from "../io/input_files.ts";
import { pathExists, writeFileAtomic } from "../io/output_files.ts";
import type { RedisTarget } from "./redis_url.ts";
import { WorkHost } from "./work_host.ts";

/** The file of a run's output folder that names its distributed run. */
export const RUN_FILE = "distributed.json";
/** It holds a run id and a URL: a few hundred bytes. */
const RUN_FILE_BYTES = 64 * 1024;

/** Connects to `target` (UserErrors as RedisConnection.open) for the run of folder `out`: the one
 * its RUN_FILE names, else a new one, recorded there. */
export async function distributedRun(target: RedisTarget, out: string): Promise<WorkHost> {
  const path = `${out}/${RUN_FILE}`;
  let run: string | undefined;
  if (await pathExists(path)) {
    try {
      const saved = JSON.parse(await readInputText(path, "a distributed run's id", RUN_FILE_BYTES));
      if (typeof saved?.run === "string" && /^[\w-]{1,64}$/.test(saved.run)) run = saved.run;
    } catch {
      // unreadable: a new run (the old results are then not reused, which costs only time)
    }
  }
  const host = await WorkHost.open(target, run ?? newRunId());
  if (run === undefined) {
    await writeFileAtomic(path, JSON.stringify({ run: host.run, redis: target.shown }) + "\n");
  }
  return host;
}

function newRunId(): string {
  return crypto.randomUUID().replaceAll("-", "").slice(0, 16);
}
