/**
 * The WGSL and constants the registry (registry.ts) generates for the fused kernel: every move's
 * function (shaders/moves/), `replica_move_probabilities()` (the Replica struct's per-move fields,
 * src/methods/kernel_layout.ts) and `propose(d)`, which draws one move in registry order and falls
 * back to the uniform move; MOVE_<NAME> (compiled in), MOVE_INDEX_<NAME> (its slot in the hop
 * controller's logits), MOVE_COUNT and ANY_MOVE.
 */
import type { ShaderConstant } from "../../gpu/shader_source.ts";
import UNIFORM from "../../../shaders/moves/uniform.wgsl" with { type: "text" };
import type { MoveScale } from "./move.ts";
import { HOP_MOVES, type RegisteredMoveName } from "./registry.ts";

/** The Replica struct's field holding a move's probability. */
export function probabilityField(name: RegisteredMoveName): string {
  return `${name}_probability`;
}

export function moveConstants(
  compiled: ReadonlySet<string>,
  scale: MoveScale,
): Record<string, ShaderConstant> {
  return {
    ...Object.assign({}, ...HOP_MOVES.map((move) => move.constants?.(scale) ?? {})),
    MOVE_COUNT: HOP_MOVES.length,
    ANY_MOVE: HOP_MOVES.some((move) => compiled.has(move.name)),
    ...Object.fromEntries(HOP_MOVES.flatMap((move, k) => [
      [`MOVE_${move.name.toUpperCase()}`, compiled.has(move.name)],
      [`MOVE_INDEX_${move.name.toUpperCase()}`, k],
    ])),
  };
}

/** Every move's WGSL, then the generated functions. */
export function movesSource(): string {
  const probabilities = HOP_MOVES.map((move) => `state.${probabilityField(move.name)}`);
  // The first move whose cumulative probability passes u is drawn; if it cannot be made, the
  // uniform move is.
  const draws = HOP_MOVES.flatMap((move, k) => [
    `  until += p[${k}u];`,
    `  if (MOVE_${move.name.toUpperCase()} && u < until) {`,
    `    if (!${move.name}_move(dr)) {`,
    "      uniform_move(dr);",
    "    }",
    "    return;",
    "  }",
  ]);
  return [
    UNIFORM,
    ...HOP_MOVES.map((move) => move.shader),
    "// Generated from the move registry (src/methods/moves/move_source.ts).",
    "fn replica_move_probabilities() -> array<f32, MOVE_COUNT> {",
    `  return array<f32, MOVE_COUNT>(${probabilities.join(", ")});`,
    "}",
    "",
    "fn propose(d: HopDecision) {",
    "  let dr = state.dr * d.dr_scale;",
    "  if (!ANY_MOVE) {",
    "    uniform_move(dr);",
    "    return;",
    "  }",
    "  var p = move_probabilities(d);",
    "  let u = rng_uniform();",
    "  var until = 0.0;",
    ...draws,
    "  uniform_move(dr);",
    "}",
    "",
  ].join("\n");
}
