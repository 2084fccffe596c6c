/**
 * How a population is cut into work items: guided self-scheduling (Polychronopoulos & Kuck
 * 1987). Each slice takes 1/W of the members still unassigned, W being the live workers, but at
 * least `minimum`: the first slices are as large as an even split, so every worker's batch stays
 * large, and the smaller ones after them go to whichever worker comes back first, so a faster
 * worker does a larger share and all finish close together. One worker gets one slice: the
 * whole population in one batch, as on a single machine.
 */
export interface MemberSlice {
  first: number;
  count: number;
}

export function guidedSlices(members: number, workers: number, minimum: number): MemberSlice[] {
  if (!Number.isInteger(members) || members < 1) throw new RangeError(`members ${members}`);
  const w = Math.max(1, Math.floor(workers));
  const least = Math.max(1, Math.floor(minimum));
  const slices: MemberSlice[] = [];
  for (let first = 0; first < members;) {
    const left = members - first;
    const count = Math.min(left, Math.max(least, Math.ceil(left / w)));
    slices.push({ first, count });
    first += count;
  }
  return slices;
}
