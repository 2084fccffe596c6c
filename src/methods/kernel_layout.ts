/**
 * The fused kernel's binary layouts, declared once: the uniform Settings, the per-replica Replica
 * struct (the driver's and the hopping wrapper's fields; each local method declares its own
 * LocalState), and the planes of per-atom vectors. src/methods/kernel_source.ts emits them as
 * WGSL; OptimizerBatch reads and writes them through the same offsets.
 */
import type { Layout } from "../core/layout.ts";
import type { Binding } from "../gpu/bindings.ts";
import type { LocalMethod } from "./local_method.ts";
import { probabilityField } from "./moves/move_source.ts";
import { HOP_MOVES } from "./moves/registry.ts";

/** Minima a replica's taboo list holds (HoppingSettings.taboo): GMIN's AVOID keeps 20. */
export const TABOO_CAPACITY = 20;

export const SETTINGS_LAYOUT: Layout = {
  name: "Settings",
  fields: [
    { name: "n_replicas", type: "u32" },
    {
      name: "evaluation_limit",
      type: "u32",
      doc: "replicas stop once their evaluation count reaches this (set per submission)",
    },
    {
      name: "fmax",
      type: "f32",
      doc: "the driver stops, hops or logs below this largest force (a uniform, not a constant, " +
        "so that tolerances share one compiled kernel)",
    },
    {
      name: "steps_per_dispatch",
      type: "u32",
      doc: "most evaluations a replica takes per dispatch (src/methods/dispatch_plan.ts: within " +
        "llvmpipe's loop budget; on hardware sized by time)",
    },
    { name: "hops_per_dispatch", type: "u32", doc: "most hops a replica takes per dispatch" },
  ],
};

export const REPLICA_LAYOUT: Layout = {
  name: "Replica",
  fields: [
    // First: a vec4u starts at a multiple of 4 words.
    { name: "rng", type: "vec4u" },
    { name: "energy", type: "f32" },
    { name: "best_energy", type: "f32" },
    { name: "fmax", type: "f32" },
    { name: "status", type: "u32" },
    { name: "evaluations", type: "u32" },
    { name: "best_evaluations", type: "u32", doc: "evaluation count when best_energy was reached" },
    { name: "since_best", type: "u32", doc: "evaluations since best_energy last improved" },
    { name: "relax_steps", type: "u32", doc: "hopping: steps of the current relaxation" },
    { name: "step", type: "f32", doc: "the local method's step hyperparameter" },
    { name: "dr", type: "f32", doc: "hopping: uniform-move amplitude" },
    { name: "temperature", type: "f32" },
    { name: "markov_energy", type: "f32", doc: "hopping: the Markov chain's current minimum" },
    { name: "hops", type: "u32" },
    { name: "accepted", type: "u32" },
    { name: "window_accepted", type: "u32" },
    { name: "weights", type: "u32", doc: "learned optimizers: the weight vector used" },
    // Hopping: each registered move's probability (src/methods/moves/registry.ts).
    ...HOP_MOVES.map((move) => ({ name: probabilityField(move.name), type: "f32" as const })),
    {
      name: "hop_fmax_scale",
      type: "f32",
      doc: "hopping: the current relaxation ends below settings.fmax times this (1 without a " +
        "hop controller)",
    },
    {
      name: "chain_best",
      type: "f32",
      doc: "hopping with reseeding: the lowest minimum since the chain's last (re)start",
    },
    {
      name: "stale_hops",
      type: "u32",
      doc: "hopping with reseeding: hops since chain_best last improved (RESEED_BY_HOST: it " +
        "goes on counting until the host reseeds the chain at a sync)",
    },
    {
      name: "reseeds",
      type: "u32",
      doc: "hopping: restarts for a stale chain (RESEED_HOPS), random or from the host's pool",
    },
    {
      name: "taboo",
      type: "f32",
      count: TABOO_CAPACITY,
      doc: "hopping with a taboo list: the energies of the minima at which this replica's chains " +
        "went stale, the newest at (taboo_saved - 1) % TABOO_CAPACITY",
    },
    { name: "taboo_saved", type: "u32", doc: "minima ever saved to the taboo list" },
    {
      name: "taboo_hits",
      type: "u32",
      doc: "chains reseeded at once because their lowest minimum was on the taboo list",
    },
    {
      name: "placed",
      type: "u32",
      doc: "1 where the host wrote a new start into positions for the place() entry point",
    },
    {
      name: "rejected_nonfinite",
      type: "u32",
      doc: "evaluations whose energy or force was not finite: each point rejected (hopping: back " +
        "to the Markov minimum and a new uniform move; otherwise a random restart)",
    },
  ],
};

/** The fused kernel's buffers (shaders/driver.wgsl reads them by these WGSL names). */
export const DRIVER_BINDINGS = [
  { key: "settings", wgsl: "settings", access: "uniform", type: "Settings" },
  {
    key: "positions",
    wgsl: "positions",
    access: "read_write",
    type: "array<f32>",
    doc: "[replica][atom][xyz]",
  },
  {
    key: "vectors",
    wgsl: "vectors",
    access: "read_write",
    type: "array<f32>",
    doc: "[replica][plane][atom][xyz]: the planes of planeNames (forces, the Markov chain's " +
      "positions, then the local method's)",
  },
  {
    key: "best",
    wgsl: "best_positions",
    access: "read_write",
    type: "array<f32>",
    doc: "[replica][atom][xyz], where best_energy was seen",
  },
  { key: "replicas", wgsl: "replicas", access: "read_write", type: "array<Replica>" },
  { key: "species", wgsl: "species", access: "read", type: "array<u32>" },
  { key: "params", wgsl: "params", access: "read", type: "array<f32>" },
  {
    key: "log",
    wgsl: "minima_log",
    access: "read_write",
    type: "array<u32>",
    doc: "[replica][LOG_STRIDE] (logStride): count, LOG_CAPACITY x (energy bits, evaluations), " +
      "LOG_CAPACITY x N_ATOMS x xyz (f32 bits); relaxed minima since the host last emptied it",
  },
  {
    key: "weights",
    wgsl: "weights",
    access: "read",
    type: "array<vec4f>",
    doc: "learned optimizers: one weight vector per population member (unused by other methods)",
  },
  { key: "localStates", wgsl: "local_states", access: "read_write", type: "array<LocalState>" },
  {
    key: "atomEnergies",
    wgsl: "atom_energies",
    access: "read_write",
    type: "array<f32>",
    doc: "[replica][2][atom]: per-atom energies at x (kept between dispatches, as the private " +
      "array is not) and at the Markov chain's minimum; moves that rank atoms only",
  },
] as const satisfies readonly Binding[];

export type DriverBufferName = typeof DRIVER_BINDINGS[number]["key"];

/** 32-bit words of one replica's minima log: its count, then per minimum its energy bits and
 * evaluation count, then per minimum its positions (f32 bits). */
export function logStride(nAtoms: number, logCapacity: number): number {
  return 1 + 2 * logCapacity + 3 * nAtoms * logCapacity;
}

/** Planes of the driver: forces, then the Markov chain's positions (hopping). */
export const DRIVER_PLANES = ["FORCES", "MARKOV"] as const;

/** Every plane of a kernel running `local`, in order. */
export function planeNames(local: LocalMethod): string[] {
  return [...DRIVER_PLANES, ...local.planes];
}
