/** Antithetic ES gradients, the outer optimizer and the σ / learning-rate schedules (CPU only). */
import assert from "node:assert/strict";
import { UserError } from "../src/core/errors.ts";
import { esGradient, esNoise, type PopulationLosses, populationThetas } from "../src/learned/es.ts";
import { globalNorm, OuterOptimizer } from "../src/learned/outer_optimizer.ts";
import { parseSchedule, scheduleValue } from "../src/learned/schedule.ts";
import { Rng } from "../src/core/rng.ts";

const DIM = 10;
/** L(θ) = ½ Σ a_j (θ_j − c_j)², ∇L = a ⊙ (θ − c): anisotropic, minimum away from 0. */
const A = Array.from({ length: DIM }, (_, j) => 0.5 + 0.3 * j);
const C = Array.from({ length: DIM }, (_, j) => Math.sin(j + 1));

function quadratic(theta: ArrayLike<number>): number {
  let sum = 0;
  for (let j = 0; j < DIM; j++) sum += 0.5 * A[j] * (theta[j] - C[j]) ** 2;
  return sum;
}

function quadraticGradient(theta: ArrayLike<number>): Float32Array {
  return Float32Array.from(A, (a, j) => a * (theta[j] - C[j]));
}

function startTheta(): Float32Array {
  return Float32Array.from({ length: DIM }, (_, j) => Math.cos(3 * j));
}

/** Losses of a population laid out as populationThetas returns it. */
function populationLosses(thetas: Float32Array[], loss: (t: Float32Array) => number) {
  const values = thetas.map(loss);
  return {
    centre: values[0],
    plus: values.filter((_, k) => k % 2 === 1),
    minus: values.filter((_, k) => k > 0 && k % 2 === 0),
  };
}

function dot(x: ArrayLike<number>, y: ArrayLike<number>): number {
  let sum = 0;
  for (let j = 0; j < x.length; j++) sum += x[j] * y[j];
  return sum;
}

function difference(x: ArrayLike<number>, y: ArrayLike<number>): Float64Array {
  return Float64Array.from({ length: x.length }, (_, j) => x[j] - y[j]);
}

function assertClose(actual: number, expected: number, relative: number, what: string): void {
  assert.ok(
    Math.abs(actual - expected) <= relative * Math.abs(expected),
    `${what}: ${actual} vs ${expected}`,
  );
}

function assertBitIdentical(actual: Float32Array, expected: Float32Array, what: string): void {
  assert.deepEqual(
    new Uint32Array(actual.buffer.slice(0)),
    new Uint32Array(expected.buffer.slice(0)),
    what,
  );
}

Deno.test("ES noise: Box-Muller on the seeded stream, standard normal, reproducible", () => {
  const first = esNoise(new Rng(42), 3, 5);
  assert.deepEqual(first, esNoise(new Rng(42), 3, 5), "same seed, same noise");
  assert.notDeepEqual(first, esNoise(new Rng(43), 3, 5));
  assert.deepEqual(first.map((e) => e.length), [5, 5, 5]);

  // The first two values by hand: √(−2 ln(1 − u1)) (cos, sin)(2π u2).
  const rng = new Rng(42);
  const radius = Math.sqrt(-2 * Math.log(1 - rng.uniform()));
  const angle = 2 * Math.PI * rng.uniform();
  assert.equal(first[0][0], Math.fround(radius * Math.cos(angle)));
  assert.equal(first[0][1], Math.fround(radius * Math.sin(angle)));

  // 15 values take 8 uniform pairs (the 16th value is discarded): the draw count is fixed.
  const drawn = new Rng(42);
  for (let k = 0; k < 16; k++) drawn.uniform();
  const used = new Rng(42);
  esNoise(used, 3, 5);
  assert.deepEqual(used.state(), drawn.state());

  // Moments of 10^5 draws: the sample mean has standard deviation 1/√n = 0.0032 and the
  // sample variance √(2/n) = 0.0045 (normal fourth moment 3); allow 5 standard deviations.
  const values = esNoise(new Rng(7), 1000, 100).flatMap((e) => Array.from(e));
  const n = values.length;
  const mean = values.reduce((s, x) => s + x, 0) / n;
  const variance = values.reduce((s, x) => s + (x - mean) ** 2, 0) / n;
  assert.ok(Math.abs(mean) < 5 / Math.sqrt(n), `mean ${mean}`);
  assert.ok(Math.abs(variance - 1) < 5 * Math.sqrt(2 / n), `variance ${variance}`);
});

Deno.test("ES noise: a run resumed from a saved Rng state continues the same stream", () => {
  const uninterrupted = new Rng(9, 3);
  const steps = [1, 2, 3].map(() => esNoise(uninterrupted, 7, 3)); // 21 values: odd per step

  const before = new Rng(9, 3);
  esNoise(before, 7, 3);
  const saved = Array.from(before.state()); // as a JSON checkpoint would hold it
  const resumed = Rng.fromState(JSON.parse(JSON.stringify(saved)));
  assert.deepEqual([esNoise(resumed, 7, 3), esNoise(resumed, 7, 3)], steps.slice(1));
  assert.deepEqual(resumed.state(), uninterrupted.state());
});

Deno.test("ES population: centre first, then θ + σe_i, θ − σe_i per pair", () => {
  const theta = Float32Array.of(1, 2);
  const noise = [Float32Array.of(1, 0), Float32Array.of(0, 2)];
  assert.deepEqual(
    populationThetas(theta, noise, 0.5).map((t) => Array.from(t)),
    [[1, 2], [1.5, 2], [0.5, 2], [1, 3], [1, 1]],
  );
  assert.throws(() => populationThetas(theta, noise, 0), /sigma must be a positive/);
  assert.throws(() => populationThetas(theta, [Float32Array.of(1)], 1), /expected length 2/);
});

Deno.test("ES gradient: unbiased for a quadratic at any sigma, within the estimator's spread", () => {
  // For a quadratic, (L(θ+σe) − L(θ−σe)) / (2σ) = g·e exactly (even terms cancel), so each pair
  // contributes (g·e) e whatever σ: mean g, per-component variance |g|² + g_k² (Isserlis:
  // E[(g·e)² e_k²] = |g|² + 2g_k²). Over P pairs:
  //  - E|ĝ − g|² = (D + 1)|g|² / P, so |ĝ − g| / |g| < 3√((D + 1)/P) = 0.157 (norms of sums of
  //    many independent terms concentrate near their RMS; 3× is far in the tail), which forces
  //    cos(ĝ, g) > √(1 − 0.157²) = 0.987 > 0.95;
  //  - |ĝ|/|g| − 1 ≈ (ĝ − g)·g/|g|², whose variance is Var((g·e)²)/(P|g|⁴) = 2/P (SD 0.022),
  //    plus a bias of at most (D + 1)/(2P); allow 5 SD + (D + 1)/P = 0.115.
  // The σ = 10 perturbations are ten times the distance to the minimum, far outside the
  // linear regime, and still estimate g: unbiased at any σ.
  const pairs = 4000;
  const theta = startTheta();
  const g = quadraticGradient(theta);
  const noise = esNoise(new Rng(2021), pairs, DIM);
  const errorBound = 3 * Math.sqrt((DIM + 1) / pairs);
  const normBound = 5 * Math.sqrt(2 / pairs) + (DIM + 1) / pairs;
  const estimates = [1e-2, 1, 10].map((sigma) => {
    const losses = populationLosses(populationThetas(theta, noise, sigma), quadratic);
    const { gradient, validPairs } = esGradient(losses, noise, sigma);
    assert.equal(validPairs, pairs);
    const cosine = dot(gradient, g) / (globalNorm(gradient) * globalNorm(g));
    assert.ok(cosine > 0.95, `σ=${sigma}: cosine ${cosine}`);
    const error = globalNorm(difference(gradient, g)) / globalNorm(g);
    assert.ok(error < errorBound, `σ=${sigma}: relative error ${error} vs ${errorBound}`);
    const ratio = globalNorm(gradient) / globalNorm(g);
    assert.ok(Math.abs(ratio - 1) < normBound, `σ=${sigma}: norm ratio ${ratio}`);
    return gradient;
  });
  // Same noise, same estimate: what σ changes is only f32 rounding of θ ± σe.
  for (const estimate of estimates.slice(1)) {
    const change = globalNorm(difference(estimate, estimates[0])) / globalNorm(g);
    assert.ok(change < 1e-4, `σ changes the quadratic's estimate by ${change}`);
  }
});

Deno.test("ES gradient: antithetic symmetry", () => {
  const rng = new Rng(5);
  const noise = esNoise(rng, 6, 4);
  const plus = noise.map(() => rng.uniform() * 10 - 5);
  const minus = noise.map(() => rng.uniform() * 10 - 5);
  const { gradient } = esGradient({ centre: 0, plus, minus }, noise, 0.1);
  const swapped = esGradient({ centre: 0, plus: minus, minus: plus }, noise, 0.1).gradient;
  assert.ok(gradient.some((x) => x !== 0));
  gradient.forEach((x, j) => assert.equal(swapped[j], -x, `component ${j}`));

  const equal = esGradient({ centre: 0, plus, minus: plus }, noise, 0.1);
  assert.equal(equal.validPairs, 6);
  assert.ok(equal.gradient.every((x) => x === 0), "equal pair losses give exactly zero");

  // One pair by hand: (3 − 1) / (2 · 0.5) · e = 2e.
  const one = esGradient({ centre: 0, plus: [3], minus: [1] }, [Float32Array.of(1, -2)], 0.5);
  assert.deepEqual(Array.from(one.gradient), [2, -4]);
});

Deno.test("ES gradient: ESMC clipping to the centre loss", () => {
  const noise = [Float32Array.of(1, 2), Float32Array.of(-3, 1)];
  const clip = { clipToCentre: true };
  const above: PopulationLosses = { centre: 0, plus: [4, 1], minus: [2, 5] };
  assert.ok(esGradient(above, noise, 0.1).gradient.some((x) => x !== 0));
  const clippedAbove = esGradient(above, noise, 0.1, clip);
  assert.deepEqual(Array.from(clippedAbove.gradient), [0, 0], "L0 below both: no signal");
  assert.equal(clippedAbove.validPairs, 2);

  const below: PopulationLosses = { centre: 10, plus: [4, 1], minus: [2, 5] };
  assert.deepEqual(esGradient(below, noise, 0.1, clip), esGradient(below, noise, 0.1));

  // Mixed: min(7, 3) − min(1, 3) = 2 → 2 / (2 · 0.5) · e.
  const mixed = esGradient({ centre: 3, plus: [7], minus: [1] }, [noise[0]], 0.5, clip);
  assert.deepEqual(Array.from(mixed.gradient), [2, 4]);

  // A non-finite centre: the unclipped differences for this step.
  const lost: PopulationLosses = { centre: NaN, plus: [4, 1], minus: [2, 5] };
  assert.deepEqual(esGradient(lost, noise, 0.1, clip), esGradient(lost, noise, 0.1));
});

Deno.test("ES gradient: pairs with non-finite losses are dropped and counted", () => {
  const rng = new Rng(11);
  const noise = esNoise(rng, 8, 3);
  const plus = noise.map(() => rng.uniform());
  const minus = noise.map(() => rng.uniform());
  const bad = [1, 4, 6];
  plus[1] = NaN;
  minus[4] = Infinity;
  plus[6] = -Infinity;
  for (const clipToCentre of [false, true]) {
    const result = esGradient({ centre: 0.5, plus, minus }, noise, 0.2, { clipToCentre });
    const keep = (_: unknown, i: number) => !bad.includes(i);
    const expected = esGradient(
      { centre: 0.5, plus: plus.filter(keep), minus: minus.filter(keep) },
      noise.filter(keep),
      0.2,
      { clipToCentre },
    );
    assert.equal(result.validPairs, 5);
    assert.deepEqual(result, expected);
  }
  const none = esGradient(
    { centre: 0, plus: [NaN, 1], minus: [0, Infinity] },
    noise.slice(0, 2),
    1,
  );
  assert.deepEqual(none, { gradient: new Float32Array(3), validPairs: 0 });
  assert.throws(
    () => esGradient({ centre: 0, plus: [1], minus: [] }, noise.slice(0, 1), 1),
    /expected 1 plus and minus losses/,
  );
});

Deno.test("outer Adam: first step is lr·sign(g), decreases the quadratic, resumes bit-identically", () => {
  const lr = 0.05;
  const theta = startTheta();
  const before = Float32Array.from(theta);
  const adam = new OuterOptimizer(DIM);
  adam.update(theta, quadraticGradient(theta), lr);
  // Step 1: m̂ = g and v̂ = g², so Δθ = −lr · g / (|g| + ε).
  const g0 = quadraticGradient(before);
  theta.forEach((t, j) => assertClose(before[j] - t, lr * Math.sign(g0[j]), 1e-5, `θ_${j}`));

  const losses = [quadratic(before), quadratic(theta)];
  for (let step = 1; step < 60; step++) {
    adam.update(theta, quadraticGradient(theta), lr);
    losses.push(quadratic(theta));
  }
  assert.equal(adam.step, 60);
  assert.ok(losses[60] < 0.05 * losses[0], `loss ${losses[0]} -> ${losses[60]}`);

  // 25 steps straight, or 10 steps, a JSON checkpoint, a new optimizer and 15 more.
  const run = (optimizer: OuterOptimizer, t: Float32Array, steps: number) => {
    for (let k = 0; k < steps; k++) optimizer.update(t, quadraticGradient(t), lr);
  };
  const straight = startTheta();
  const whole = new OuterOptimizer(DIM);
  run(whole, straight, 25);
  const first = new OuterOptimizer(DIM);
  const interrupted = startTheta();
  run(first, interrupted, 10);
  const state = first.state();
  const json = JSON.parse(JSON.stringify({
    step: state.step,
    m: Array.from(state.m),
    v: Array.from(state.v),
    theta: Array.from(interrupted),
  }));
  const resumedTheta = Float32Array.from(json.theta as number[]);
  const resumed = new OuterOptimizer(DIM, {}, {
    method: "adam",
    step: json.step,
    m: Float32Array.from(json.m as number[]),
    v: Float32Array.from(json.v as number[]),
  });
  run(resumed, resumedTheta, 15);
  assert.equal(resumed.step, 25);
  assertBitIdentical(resumedTheta, straight, "resumed θ");
  assertBitIdentical(resumed.state().m, whole.state().m, "m");
  assertBitIdentical(resumed.state().v, whole.state().v, "v");
  assert.throws(() => new OuterOptimizer(DIM, { method: "sgd" }, state), /state is for adam/);
});

Deno.test("outer optimizer: clipping by global norm, SGD, bad input", () => {
  const sgd = new OuterOptimizer(2, { method: "sgd", clipNorm: 1 });
  const theta = Float32Array.of(0, 0);
  assert.equal(sgd.update(theta, Float32Array.of(3, 4), 1), 5, "returns the pre-clip norm");
  assert.deepEqual(Array.from(theta), [-0.6, -0.8].map(Math.fround), "update capped at norm 1");
  assertClose(sgd.update(theta, Float32Array.of(0.3, 0.4), 2), 0.5, 1e-7, "norm");
  assert.deepEqual(Array.from(theta), [-1.2, -1.6].map(Math.fround), "below the cap: unclipped");
  assert.deepEqual(sgd.state(), {
    method: "sgd",
    step: 2,
    m: new Float32Array(),
    v: new Float32Array(),
  });

  // Adam with clipping: a clipped gradient feeds the moments (m = (1 − β1) · clipped g).
  const adam = new OuterOptimizer(2, { clipNorm: 1 });
  adam.update(Float32Array.of(0, 0), Float32Array.of(30, 40), 0.1);
  const m = adam.state().m;
  [0.06, 0.08].forEach((expected, j) => assertClose(m[j], expected, 1e-7, `m_${j}`));

  assert.throws(() => sgd.update(theta, Float32Array.of(NaN, 0), 1), /gradient is not finite/);
  assert.throws(() => sgd.update(theta, Float32Array.of(1), 1), /gradient has length 1/);
  assert.throws(() => new OuterOptimizer(2, { clipNorm: 0 }), /clipNorm must be > 0/);
  assert.throws(() => new OuterOptimizer(2, { beta2: 1 }), /beta2 must be in \[0, 1\)/);
});

Deno.test("schedules: constant, warmup + cosine, exponential at known steps", () => {
  assert.equal(scheduleValue({ kind: "constant", value: 0.02 }, 123), 0.02);

  const cosine = parseSchedule(
    JSON.parse('{"kind": "cosine", "initial": 0.01, "final": 0.001, "warmup": 10, "steps": 200}'),
  );
  assertClose(scheduleValue(cosine, 0), 0.01 / 11, 1e-15, "step 0");
  assertClose(scheduleValue(cosine, 9), 0.01 * 10 / 11, 1e-15, "last warmup step");
  assertClose(scheduleValue(cosine, 10), 0.01, 1e-15, "warmup end");
  assertClose(scheduleValue(cosine, 105), 0.0055, 1e-12, "half way: the mean");
  assertClose(scheduleValue(cosine, 200), 0.001, 1e-12, "final step");
  assert.equal(scheduleValue(cosine, 1000), 0.001, "held after the last step");

  const exponential = { kind: "exponential", initial: 1, final: 0.01, steps: 100 } as const;
  assert.equal(scheduleValue(exponential, 0), 1);
  assertClose(scheduleValue(exponential, 50), 0.1, 1e-14, "geometric mean half way");
  assert.equal(scheduleValue(exponential, 100), 0.01);
  assert.equal(scheduleValue(exponential, 150), 0.01);
  assert.throws(() => scheduleValue(exponential, 1.5), /step must be an integer/);
});

Deno.test("schedules: bad configurations are UserErrors naming the field", () => {
  const bad: [unknown, RegExp][] = [
    [null, /expected an object/],
    [{ kind: "linear" }, /kind must be one of constant, cosine, exponential, got 'linear'/],
    [{ kind: "constant", value: 0 }, /value must be a number from 1e-12 to 1000000, got 0$/],
    [{ kind: "constant", value: "0.1" }, /value must be a finite number, got '0\.1'/],
    [{ kind: "constant", value: 1, steps: 3 }, /unknown field 'steps'/],
    [{ kind: "cosine", initial: 1, final: -1, steps: 10 }, /final must be >= 0/],
    [{ kind: "cosine", initial: 1, final: 0, steps: 10, warmup: 10 }, /warmup \(10\) must be less/],
    [{ kind: "cosine", initial: 1, final: 0, steps: 2.5 }, /steps must be an integer >= 1/],
    [
      { kind: "exponential", initial: 1, final: 0, steps: 10 },
      /final must be a number from 1e-12 to 1000000, got 0$/,
    ],
  ];
  for (const [config, message] of bad) {
    assert.throws(() => parseSchedule(config, "sigma schedule"), (error: Error) => {
      assert.ok(error instanceof UserError, String(error));
      assert.match(error.message, /^sigma schedule: /);
      assert.match(error.message, message);
      return true;
    });
  }
});
