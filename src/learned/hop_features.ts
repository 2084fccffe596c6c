/**
 * What the learned hop controller (hopper.ts) sees, in f64; shaders/learned_hop_control.wgsl
 * computes the same in f32. Every feature is dimensionless and of order one: lengths in bond
 * lengths (or the cluster's radius of gyration), energies per atom in LEARNED_ENERGY_SCALE.
 *
 * Replica features, at each hop, of the minimum the relaxation just reached:
 *   0 tanh(log10(fmax / hop tolerance)): below 0 if the relaxation converged, above if capped
 *   1 relaxation steps / the step cap
 *   2 tanh((E - E_markov) / (N scale)): how far above (or below) the Markov chain's minimum
 *     (0 before the chain has one)
 *   3 tanh((E - E_best) / (N scale)): how far above the lowest energy seen
 *   4 log10(1 + evaluations since the best improved) / 4
 *   5 fraction of this adaptation window's hops accepted so far (0.5 before any)
 *   6 log2(N) / 10
 *   7 tanh(log2(dr / default dr)): where GMIN's adaptation has taken the hop size
 * Atom features, before a surface move, of the Markov chain's minimum (clusters only: periodic
 * systems have no surface move):
 *   0 the atom's energy share, as a z-score over the atoms
 *   1 smooth coordination sum_j 1 / (1 + (r_ij / 1.25 bond)^6), / 12
 *   2 distance from the centre / radius of gyration
 *   3-5 radial densities sum_j exp(-((r_ij - s bond) / (0.25 bond))^2), / 12, s = 1, 1.4, 1.8
 *   6 species index / (species - 1) (0 for one element)
 *   7 tanh((E_markov - E_best) / (N scale))
 * Family features (the hop-general architecture), of the minimum the relaxation just reached, that
 * tell potentials apart by their landscapes' own scales, not by name:
 *   0 mean smooth coordination (as atom feature 1, minimum images in a box), / 12: 0.46 for
 *     LJ13's icosahedron, 0.53 for diamond silicon (its second shell, at 1.63 bonds, counts too)
 *   1 1 for two or more elements, else 0
 *   2 spread of the atoms' energy shares, std / |mean| (0 where the kernel computes no shares:
 *     systems without surface or symmetrise moves): 0.24 for LJ13's icosahedron, 0.07 for Au13's,
 *     as a pair potential's surface atoms hold about half a core atom's energy and a many-body
 *     (Gupta) one's about 1 / sqrt 2 of it
 *   3 log10(1 + relaxation steps) / 3: how long this landscape's relaxations take
 */
import { NO_ENERGY } from "../core/codes.ts";
import type { HopView } from "../methods/hop_control.ts";

export const REPLICA_FEATURES = 8;
export const FAMILY_FEATURES = 4;
export const ATOM_FEATURES = 8;
/** Guards divisions by a vanishing spread or force. */
export const TINY = 1e-12;
export const COORDINATION_RADIUS = 1.25;
export const RADIAL_CENTRES = [1, 1.4, 1.8] as const;
export const RADIAL_WIDTH = 0.25;
/** Neighbour counts are normalised by 12, the close-packed coordination. */
export const NEIGHBOUR_NORM = 12;

export interface FeatureScales {
  bondLength: number;
  energyScale: number;
  /** The default uniform-move amplitude (length) the dr feature is measured against. */
  defaultDr: number;
}

/** The family features of the relaxed minimum in `v.x`. */
export function familyFeatures(v: HopView, s: FeatureScales): Float64Array {
  const { n, x, box } = v;
  const image = (d: number) => box === undefined ? d : d - box * Math.round(d / box);
  let coordination = 0;
  for (let i = 0; i < n; i++) {
    for (let j = 0; j < n; j++) {
      if (j === i) continue;
      const r = Math.hypot(
        image(x[3 * j] - x[3 * i]),
        image(x[3 * j + 1] - x[3 * i + 1]),
        image(x[3 * j + 2] - x[3 * i + 2]),
      );
      const q = (r / (COORDINATION_RADIUS * s.bondLength)) ** 2;
      coordination += 1 / (1 + q * q * q);
    }
  }
  let spread = 0;
  const e = v.atomEnergies;
  if (e !== undefined) {
    let mean = 0;
    for (let i = 0; i < n; i++) mean += e[i] / n;
    let variance = 0;
    for (let i = 0; i < n; i++) variance += (e[i] - mean) ** 2 / n;
    spread = Math.sqrt(variance) / (Math.abs(mean) + TINY);
  }
  return Float64Array.of(
    coordination / n / NEIGHBOUR_NORM,
    v.nSpecies > 1 ? 1 : 0,
    spread,
    Math.log10(1 + v.relaxSteps) / 3,
  );
}

export function replicaFeatures(v: HopView, s: FeatureScales): Float64Array {
  const n = v.n;
  const window = v.adaptInterval > 0 ? (v.hops - 1) % v.adaptInterval : v.hops - 1;
  return Float64Array.of(
    Math.tanh(Math.log10(Math.max(v.fmax, TINY) / v.hopFmax)),
    v.relaxStepCap > 0 ? v.relaxSteps / v.relaxStepCap : 0,
    v.markovEnergy >= NO_ENERGY ? 0 : Math.tanh((v.energy - v.markovEnergy) / (n * s.energyScale)),
    Math.tanh((v.energy - v.bestEnergy) / (n * s.energyScale)),
    Math.log10(1 + v.sinceBest) / 4,
    window > 0 ? v.windowAccepted / window : 0.5,
    Math.log2(n) / 10,
    Math.tanh(Math.log2(v.dr / s.defaultDr)),
  );
}

/** Per atom, ATOM_FEATURES values (flat [atom][feature]) of the structure in `v.x`. */
export function atomFeatures(v: HopView, s: FeatureScales): Float64Array {
  const { n, x } = v;
  const e = v.markovAtomEnergies;
  let mean = 0;
  for (let i = 0; i < n; i++) mean += e[i] / n;
  let variance = 0;
  for (let i = 0; i < n; i++) variance += (e[i] - mean) ** 2 / n;
  const std = Math.sqrt(variance);
  const centre = [0, 0, 0];
  for (let i = 0; i < n; i++) for (let c = 0; c < 3; c++) centre[c] += x[3 * i + c] / n;
  const fromCentre = (i: number) =>
    Math.hypot(x[3 * i] - centre[0], x[3 * i + 1] - centre[1], x[3 * i + 2] - centre[2]);
  let gyration = 0;
  for (let i = 0; i < n; i++) gyration += fromCentre(i) ** 2 / n;
  const rg = Math.sqrt(gyration);
  const gap = Math.tanh((v.markovEnergy - v.bestEnergy) / (n * s.energyScale));
  const out = new Float64Array(n * ATOM_FEATURES);
  const bond = s.bondLength;
  for (let i = 0; i < n; i++) {
    let coordination = 0;
    const radial = [0, 0, 0];
    for (let j = 0; j < n; j++) {
      if (j === i) continue;
      const r = Math.hypot(
        x[3 * j] - x[3 * i],
        x[3 * j + 1] - x[3 * i + 1],
        x[3 * j + 2] - x[3 * i + 2],
      );
      const q = (r / (COORDINATION_RADIUS * bond)) ** 2;
      coordination += 1 / (1 + q * q * q);
      RADIAL_CENTRES.forEach((centreR, k) => {
        radial[k] += Math.exp(-(((r - centreR * bond) / (RADIAL_WIDTH * bond)) ** 2));
      });
    }
    out.set([
      (e[i] - mean) / (std + TINY),
      coordination / NEIGHBOUR_NORM,
      fromCentre(i) / (rg + TINY),
      ...radial.map((value) => value / NEIGHBOUR_NORM),
      v.nSpecies > 1 ? v.species[i] / (v.nSpecies - 1) : 0,
      gap,
    ], i * ATOM_FEATURES);
  }
  return out;
}
