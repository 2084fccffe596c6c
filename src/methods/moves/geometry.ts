/**
 * Geometry the moves' f64 mirrors share: the centre, a random direction and a rotation about an
 * axis. Their WGSL counterparts are still written in each move's shader (shaders/moves/).
 */
import type { Rng } from "../../core/rng.ts";

/** The mean position of the n atoms of x (flat [atom][xyz]), summed as x / n like the kernels. */
export function centreOf(x: ArrayLike<number>, n: number): number[] {
  const centre = [0, 0, 0];
  for (let i = 0; i < n; i++) for (let k = 0; k < 3; k++) centre[k] += x[3 * i + k] / n;
  return centre;
}

/** A uniformly random unit vector from 2 uniforms: z, then the azimuth. */
export function randomDirection(rng: Rng): number[] {
  const z = 2 * rng.uniform24() - 1;
  const phi = 2 * Math.PI * rng.uniform24();
  const ring = Math.sqrt(Math.max(0, 1 - z * z));
  return [ring * Math.cos(phi), ring * Math.sin(phi), z];
}

/** v turned by the angle of (cosine, sine) about the unit axis (Rodrigues' formula), plus
 * `origin`. */
export function rotateAbout(
  v: number[],
  axis: number[],
  cosine: number,
  sine: number,
  origin: number[],
): number[] {
  const along = v[0] * axis[0] + v[1] * axis[1] + v[2] * axis[2];
  const cross = [
    axis[1] * v[2] - axis[2] * v[1],
    axis[2] * v[0] - axis[0] * v[2],
    axis[0] * v[1] - axis[1] * v[0],
  ];
  return v.map((value, k) =>
    origin[k] + value * cosine + cross[k] * sine + axis[k] * along * (1 - cosine)
  );
}
