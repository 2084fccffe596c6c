/**
 * How large a search may be asked to be: checked where users give the numbers (flags) and again
 * where a saved search is read back (search_state.ts).
 */

/** Most replicas a batch may ask for: the host holds every replica's start (3 N f64 each) before
 * the GPU's own limits are checked, so far more than any GPU takes would exhaust memory first. */
export const MAX_REPLICAS = 2 ** 20;

/** Distinct minima the archive holds at most (the lowest); "distinct minima" counts up to it. */
export const ARCHIVE_CAPACITY = 1000;
