/**
 * The si suite's melt-quench anneal where its kernel does not fit llvmpipe's loop budget (Si216:
 * the bound of a restart's placement, which a local method keeps for rejecting a non-finite point,
 * is ~200,000 loop iterations), run by the kernel's f64 mirror (ReferenceReplica) on the CPU with
 * the search's own starts, random streams and settings (src/search/run_search.ts): the same
 * search in f64, replica by replica. Prints one JSON line per replica, then the best energies'
 * quartiles per atom above SW diamond (-4.3366 eV/atom).
 *
 *   deno run --allow-read scripts/mirror_anneal.ts Si216 10000 32 [SEED] [FROM TO]
 *
 * (FROM TO: a range of the replicas, to share them between processes.) About 17 s per Si216
 * replica of 10,000 evaluations on one of our cores.
 */
import {
  defaultSettings,
  methodSpec,
  parseSystem,
  randomStructures,
  referenceContext,
  ReferenceReplica,
} from "../mod.ts";
import { defaultSweeps, sweepValue } from "../src/search/defaults.ts";
import { streamSeed } from "../src/search/run_search.ts";

const [name, evalsText, replicasText, seedText = "1", fromText, toText] = Deno.args;
if (name === undefined || evalsText === undefined || replicasText === undefined) {
  console.error("usage: mirror_anneal.ts SYSTEM EVALUATIONS REPLICAS [SEED] [FROM TO]");
  Deno.exit(2);
}
const system = parseSystem(name);
const evaluations = Number(evalsText);
const replicas = Number(replicasText);
const seed = Number(seedText);
const settings = defaultSettings(system, "anneal", evaluations);
const spec = methodSpec(system, settings);
const sweeps = defaultSweeps(system, settings);
const starts = randomStructures(system, seed, replicas);
const n = 3 * system.nAtoms;
const started = performance.now();
const bests: number[] = [];
for (let r = Number(fromText ?? 0); r < Number(toText ?? replicas); r++) {
  const replica = new ReferenceReplica(
    referenceContext(system, spec),
    // The kernel starts from the f32-rounded structure.
    Float32Array.from(starts.subarray(n * r, n * (r + 1))),
    {
      step: sweepValue(sweeps.step, r, replicas),
      dr: 0,
      temperature: sweepValue(sweeps.temperature, r, replicas),
      seed: streamSeed(seed),
    },
    r,
  );
  replica.advanceTo(evaluations);
  bests.push(replica.bestEnergy);
  console.log(JSON.stringify({
    replica: r,
    bestEnergy: replica.bestEnergy,
    status: replica.status,
    evaluations: replica.evaluations,
    seconds: (performance.now() - started) / 1000,
  }));
}
const gaps = bests.map((e) => e / system.nAtoms + 4.3366).sort((a, b) => a - b);
const at = (q: number) => gaps[Math.round(q * (gaps.length - 1))].toFixed(4);
console.log(
  `${system.name} anneal (f64 mirror), ${gaps.length} replicas x ${evaluations}: best ${at(0)}, ` +
    `quartiles ${at(0.25)} / ${at(0.5)} / ${at(0.75)} eV/atom above diamond`,
);
