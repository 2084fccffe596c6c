/**
 * Displacements between atoms, after JAX MD's `space` module: a potential never looks at
 * absolute positions, only at displacement vectors, so the same energy function serves free
 * clusters and periodic boxes.
 *
 * Positions are flat arrays [x0, y0, z0, x1, ...]. A periodic box is cubic with side `box`
 * (same length unit as the positions); `box` undefined means free space.
 */

/** Writes r_j - r_i into `out` (minimum image when periodic) and returns |r_j - r_i|^2. */
export type Displacement = (
  positions: ArrayLike<number>,
  i: number,
  j: number,
  out: Float64Array,
) => number;

export function freeDisplacement(
  positions: ArrayLike<number>,
  i: number,
  j: number,
  out: Float64Array,
): number {
  const dx = positions[3 * j] - positions[3 * i];
  const dy = positions[3 * j + 1] - positions[3 * i + 1];
  const dz = positions[3 * j + 2] - positions[3 * i + 2];
  out[0] = dx;
  out[1] = dy;
  out[2] = dz;
  return dx * dx + dy * dy + dz * dz;
}

/** Minimum-image displacement in a cubic box of side `box`. Correct when the cutoff is < box/2. */
export function periodicDisplacement(box: number): Displacement {
  const inverse = 1 / box;
  const wrap = (d: number) => d - box * Math.round(d * inverse);
  return (positions, i, j, out) => {
    const dx = wrap(positions[3 * j] - positions[3 * i]);
    const dy = wrap(positions[3 * j + 1] - positions[3 * i + 1]);
    const dz = wrap(positions[3 * j + 2] - positions[3 * i + 2]);
    out[0] = dx;
    out[1] = dy;
    out[2] = dz;
    return dx * dx + dy * dy + dz * dz;
  };
}

export function displacementFor(box: number | undefined): Displacement {
  return box === undefined ? freeDisplacement : periodicDisplacement(box);
}
