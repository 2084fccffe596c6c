/**
 * The hops of a learned hop controller as the f64 mirror observes them (ReferenceReplica.onHop)
 * and their summary (src/eval/hop_decisions.ts): at theta = 0 every decision is basin hopping's,
 * observing changes nothing, the shipped LJ hopper's decisions differ from basin hopping's, and
 * a per-step checkpoint makes none.
 */
import assert from "node:assert/strict";
import {
  LearnedOptimizer,
  loadLearnedOptimizer,
  parseSystem,
  randomStructure,
  referenceContext,
  ReferenceReplica,
} from "../mod.ts";
import { ARCHITECTURES } from "../src/learned/architectures.ts";
import { HOPPER } from "../src/learned/hopper.ts";
import { DEFAULT_DECISION } from "../src/methods/hop_control.ts";
import { SURFACE_TIE, surfaceAtom, surfaceRank } from "../src/methods/moves/surface.ts";
import type { HopEvent } from "../src/methods/reference_replica.ts";
import { hopDecisions, recordHops, summariseHops } from "../src/eval/hop_decisions.ts";

const LJ13 = parseSystem("LJ13");
const UNTRAINED = new LearnedOptimizer(
  ARCHITECTURES[HOPPER.architecture.name],
  HOPPER.initialTheta(1),
);
const SHIPPED = await loadLearnedOptimizer("checkpoints/lj-hopper.safetensors");

/** An f64 replica of a learned hopper on LJ13 from seeded start `start`. */
function hopper(optimizer: LearnedOptimizer, start: number): ReferenceReplica {
  const spec = optimizer.spec(LJ13, { fmax: 1e-3, containerRadius: 0 });
  return new ReferenceReplica(
    referenceContext(LJ13, spec, { weights: optimizer.weights }),
    randomStructure(LJ13, 3, start),
    optimizer.architecture.hyperparameters(LJ13, 3),
    start,
  );
}

function observed(replica: ReferenceReplica): HopEvent[] {
  const events: HopEvent[] = [];
  replica.onHop = (event) => events.push(event);
  return events;
}

Deno.test("surface ranks: 0 for the surface move's own atom, then by energy share", () => {
  const energies = [-5, -2, -3, -2.00001, -4];
  assert.equal(surfaceAtom(energies, 5, SURFACE_TIE), 1);
  assert.deepEqual([1, 3, 2, 4, 0].map((i) => surfaceRank(energies, 5, SURFACE_TIE, i)), [
    0,
    1,
    2,
    3,
    4,
  ]);
  // Within the tie the lowest index is the move's choice, though its share is not the highest.
  assert.equal(surfaceRank([-2.00001, -2], 2, SURFACE_TIE, 0), 0);
  assert.equal(surfaceRank([-2.00001, -2], 2, SURFACE_TIE, 1), 1);
});

Deno.test("theta = 0: one event per hop, every decision basin hopping's, moves as far as made", () => {
  const replica = hopper(UNTRAINED, 0);
  const events = observed(replica);
  replica.advanceTo(3000);
  assert.equal(events.length, replica.hops);
  assert.equal(events.filter((e) => e.accepted).length, replica.accepted);
  assert.ok(events.length >= 30, `${events.length} hops`);
  for (const [k, e] of events.entries()) {
    assert.deepEqual(e.decision, DEFAULT_DECISION);
    assert.ok(k === 0 || e.evaluations > events[k - 1].evaluations);
    // An inversion move from a centrosymmetric minimum starts at that minimum: the relaxation
    // this hop ends took no step.
    assert.ok(e.relaxSteps <= 1000);
    assert.ok(e.relaxSteps > 0 || events[k - 1]?.move === "inversion", `hop ${k}`);
  }
  const surface = events.filter((e) => e.move === "surface");
  const uniform = events.filter((e) => e.move === "uniform");
  const symmetrise = events.filter((e) => e.move === "symmetrise");
  assert.ok(surface.length >= 5 && uniform.length >= 5, `${surface.length}, ${uniform.length}`);
  assert.ok(symmetrise.length >= 1, `${symmetrise.length} symmetrise moves`);
  const inversion = events.filter((e) => e.move === "inversion");
  assert.ok(inversion.length >= 1, `${inversion.length} inversion moves`);
  assert.equal(
    surface.length + uniform.length + symmetrise.length + inversion.length,
    events.length,
  );
  for (const e of symmetrise) {
    // One atom moved (the least stable, to an empty image): the root mean square is the largest
    // displacement over sqrt(13).
    assert.ok(Math.abs(e.rmsDisplacement - e.maxDisplacement / Math.sqrt(13)) < 1e-12);
  }
  for (const e of surface) {
    assert.equal(e.surface!.rank, 0);
    // One atom moved: the root mean square is the largest displacement over sqrt(13).
    assert.ok(Math.abs(e.rmsDisplacement - e.maxDisplacement / Math.sqrt(13)) < 1e-12);
  }
  for (const e of uniform) {
    assert.equal(e.surface, undefined);
    // Every coordinate moves by at most dr (plus rounding); the default dr adapts from 0.32 bond.
    assert.ok(e.maxDisplacement <= Math.sqrt(3) * e.dr * (1 + 1e-12), `${e.maxDisplacement}`);
    assert.ok(e.rmsDisplacement > 0.2 * e.dr && e.rmsDisplacement <= e.maxDisplacement);
  }
  assert.equal(events[0].dr, 0.32 * LJ13.bondLength);
});

Deno.test("observing the hops leaves the trajectory bit for bit as it was", () => {
  for (const optimizer of [SHIPPED, UNTRAINED]) {
    const plain = hopper(optimizer, 1);
    const watched = hopper(optimizer, 1);
    const events = observed(watched);
    plain.advanceTo(2500);
    watched.advanceTo(2500);
    assert.ok(events.length > 10);
    assert.deepEqual(watched.x, plain.x);
    assert.deepEqual(watched.markov, plain.markov);
    assert.deepEqual(watched.bestPositions, plain.bestPositions);
    for (const key of ["energy", "bestEnergy", "evaluations", "hops", "accepted", "dr"] as const) {
      assert.equal(watched[key], plain[key], key);
    }
    assert.equal(watched.rng.uniform24(), plain.rng.uniform24());
  }
});

Deno.test("the shipped LJ hopper's decisions differ from basin hopping's; its start's do not", () => {
  const options = { starts: 2, evaluations: 1500, seed: 2 };
  const record = recordHops(LJ13, SHIPPED, options)!;
  const scales = record.events.flatMap((e) => [
    e.decision.temperatureScale,
    e.decision.drScale,
    e.decision.hopFmaxScale,
  ]);
  assert.ok(scales.some((s) => s !== 1), "some multiplier is not 1");
  // The outputs are clamped to +-3.
  assert.ok(scales.every((s) => s >= Math.exp(-3) && s <= Math.exp(3)));
  const [learned, untrained] = hopDecisions({
    system: LJ13,
    learned: SHIPPED,
    untrained: UNTRAINED,
    ...options,
  })!;
  assert.equal(learned.hops, record.events.length);
  assert.equal(learned.evaluations, 3000);
  assert.equal(learned.hopsPerThousandEvaluations, 1000 * learned.hops / 3000);
  assert.deepEqual(untrained.meanScales, { temperature: 1, dr: 1, hopFmax: 1 });
  assert.equal(untrained.surface!.basinHoppingAtom, 1);
  assert.equal(untrained.surface!.meanRank, 0);
  for (const s of [learned, untrained]) {
    const moves = Object.values(s.moves).reduce((sum, share) => sum + share, 0);
    assert.ok(Math.abs(moves - 1) < 1e-12);
    assert.equal(s.moves.swap + s.moves.restart + s.moves.cap, 0, "LJ13 has none of these");
    assert.ok(s.acceptance > 0 && s.acceptance <= 1);
    assert.ok(s.rmsDisplacement.median <= s.rmsDisplacement.q90);
    assert.ok(s.rmsDisplacement.median <= s.maxDisplacement.median);
  }
});

Deno.test("hop summaries of known events", () => {
  const event = (relaxSteps: number, move: HopEvent["move"], rank?: number): HopEvent => ({
    evaluations: 0,
    relaxSteps,
    energy: -40,
    markovEnergy: -41,
    accepted: relaxSteps > 20,
    decision: { ...DEFAULT_DECISION, temperatureScale: relaxSteps / 10 },
    dr: 0.4,
    move,
    surface: rank === undefined ? undefined : { atom: rank, rank },
    rmsDisplacement: relaxSteps / 100,
    maxDisplacement: relaxSteps / 50,
  });
  const events = [event(10, "uniform"), event(20, "surface", 0), event(30, "surface", 3)];
  const s = summariseHops("x", { events: [...events, event(40, "restart")], evaluations: 400 }, 2);
  assert.equal(s.hops, 4);
  assert.equal(s.hopsPerThousandEvaluations, 10);
  assert.equal(s.medianRelaxSteps, 20);
  assert.deepEqual(s.rmsDisplacement, { median: 0.1, q90: 0.15 });
  assert.deepEqual(s.maxDisplacement, { median: 0.2, q90: 0.3 });
  assert.deepEqual(s.meanScales, { temperature: 2.5, dr: 1, hopFmax: 1 });
  assert.deepEqual(s.moves, {
    uniform: 0.25,
    surface: 0.5,
    swap: 0,
    restart: 0.25,
    cap: 0,
    symmetrise: 0,
    segregate: 0,
    inversion: 0,
    bond_switch: 0,
    kick: 0,
  });
  assert.equal(s.acceptance, 0.5);
  assert.deepEqual(s.surface, { moves: 2, basinHoppingAtom: 0.5, meanRank: 1.5 });
  assert.equal(
    summariseHops("y", { events: events.slice(0, 1), evaluations: 10 }, 1).surface,
    null,
  );
});

Deno.test("a per-step checkpoint makes no hop decisions", async () => {
  const small = await loadLearnedOptimizer("checkpoints/lj-small.safetensors");
  const options = { starts: 1, evaluations: 100, seed: 1 };
  assert.equal(recordHops(LJ13, small, options), null);
  assert.equal(hopDecisions({ system: LJ13, learned: small, untrained: small, ...options }), null);
});
