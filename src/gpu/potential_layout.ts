/**
 * How each potential's parameters and scratch data are laid out for its WGSL code; the layouts
 * are documented at the top of each file in shaders/.
 */
import type { PotentialSpec } from "../potentials/potential.ts";

/** Neighbours kept per atom by the SW kernel; a random Si structure at diamond density has
 * about 11 within the cutoff, and more than 48 means a physically absurd density. */
export const SW_MAX_NEIGHBOURS = 48;

/** The largest finite f32, standing for "no cutoff" (avoids infinities on fast-math GPUs). */
const NO_CUTOFF2 = 3.4e38;

export interface PotentialLayout {
  params: Float32Array<ArrayBuffer>;
  /** 32-bit words of per-atom scratch written by pass 1 (0: no first pass needed). */
  auxWords: number;
  /** Constants the potential's WGSL expects besides N_ATOMS. */
  constants: Record<string, number>;
}

export function potentialLayout(spec: PotentialSpec, nSpecies: number): PotentialLayout {
  switch (spec.kind) {
    case "lj":
      return {
        params: Float32Array.of(spec.params.epsilon, spec.params.sigma),
        auxWords: 0,
        constants: { N_SPECIES: nSpecies },
      };
    case "gupta": {
      const { pairs, cutoff } = spec.params;
      const params = new Float32Array(nSpecies * nSpecies * 8);
      for (let a = 0; a < nSpecies; a++) {
        for (let b = 0; b < nSpecies; b++) {
          const { A, xi, p, q, r0 } = pairs[a][b];
          params.set(
            [A, xi * xi, p, q, r0, Math.min(cutoff * cutoff, NO_CUTOFF2)],
            (a * nSpecies + b) * 8,
          );
        }
      }
      return { params, auxWords: 1, constants: { N_SPECIES: nSpecies } };
    }
    case "sw": {
      const p = spec.params;
      return {
        params: Float32Array.of(
          p.epsilon,
          p.sigma,
          p.a,
          p.lambda * p.threeBodyStrength,
          p.gamma,
          p.cosTheta0,
          p.A,
          p.B,
        ),
        auxWords: 1 + SW_MAX_NEIGHBOURS,
        constants: { N_SPECIES: nSpecies, SW_MAX_NEIGHBOURS },
      };
    }
  }
}
