/**
 * The archive of distinct minima found by a global search across all its replicas: the lowest K,
 * each with how often it was found and how many evaluations its finder had spent when it was
 * found first (the cost-to-solution that searches are compared by).
 *
 * Two minima are the same when their energies agree within `energyTolerance` AND their
 * structural fingerprints (sorted pair distances per species pair, see fingerprint.ts) agree
 * within `fingerprintTolerance`. Entries are kept sorted by energy, so a lookup binary-searches
 * the window [E - tol, E + tol] and compares fingerprints only there; each stored entry's
 * fingerprint is computed once, when it arrives. One archive holds one system (one composition,
 * one box).
 */
import { MIN_ENERGY_TOLERANCE } from "../systems/energy_tolerance.ts";
import {
  DEFAULT_FINGERPRINT_TOLERANCE,
  fingerprintDistance,
  structureFingerprint,
} from "./fingerprint.ts";

/**
 * Default energy tolerance, in the system's energy unit (epsilon for LJ, eV for Gupta and
 * silicon). The fingerprint decides; the energy window only has to be wide enough never to split
 * two copies of one minimum. Their energies differ by the f32 rounding of the GPU's sums: emulating
 * the energy kernel's f32 arithmetic on LJ clusters gives 8e-7 (13 atoms), 4e-6 (38) and 1.2e-4
 * (147) from the f64 value, so 1e-4 would already split LJ147 copies, while a relaxation's residual
 * force adds only fmax^2 / 2k ~ 1e-8. 1e-3 (pele's choice, which also checks structure) covers
 * systems up to a few hundred atoms; the rounding grows to ~1e-6 |E| (2e-3 at LJ500, 5e-3 at
 * LJ1024), so pass about 2e-6 |E| for larger ones. GMIN's 0.02 with no structure check is far
 * looser than needed once a fingerprint is compared.
 */
export const DEFAULT_ENERGY_TOLERANCE = MIN_ENERGY_TOLERANCE;

export interface ArchiveOptions {
  /** K: how many of the lowest distinct minima are kept. */
  capacity: number;
  energyTolerance?: number;
  fingerprintTolerance?: number;
}

/** A relaxed structure as one replica reports it. */
export interface FoundMinimum {
  energy: number;
  /** Flat xyz, N atoms. */
  positions: ArrayLike<number>;
  species: ArrayLike<number>;
  /** Side of the periodic cubic box; undefined for a free cluster. */
  box?: number;
  /** The replica's own evaluation count (energy and force calls) when it found this minimum. */
  evaluations: number;
  replica: number;
}

export interface ArchiveEntry {
  /** Lowest energy seen for this minimum. */
  energy: number;
  /** The structure with that lowest energy (a copy). */
  positions: Float64Array;
  /** Species of those positions' atoms (they travel with the atom order of `positions`). */
  species: Uint32Array;
  /** How many times it was added, first time included. */
  count: number;
  /** Fewest evaluations any replica had spent when it found this minimum. */
  firstEvaluations: number;
  /** The replica that found it after `firstEvaluations`. */
  replica: number;
}

export type AddResult = "new" | "merged" | "rejected";

interface StoredEntry extends ArchiveEntry {
  fingerprint: Float64Array;
}

export class MinimaArchive {
  readonly capacity: number;
  readonly energyTolerance: number;
  readonly fingerprintTolerance: number;
  /** Ascending energy. */
  #entries: StoredEntry[] = [];

  constructor(options: ArchiveOptions) {
    const {
      capacity,
      energyTolerance = DEFAULT_ENERGY_TOLERANCE,
      fingerprintTolerance = DEFAULT_FINGERPRINT_TOLERANCE,
    } = options;
    if (!Number.isInteger(capacity) || capacity < 1) {
      throw new RangeError(`capacity must be a positive integer, got ${capacity}`);
    }
    checkTolerance("energy", energyTolerance);
    checkTolerance("fingerprint", fingerprintTolerance);
    this.capacity = capacity;
    this.energyTolerance = energyTolerance;
    this.fingerprintTolerance = fingerprintTolerance;
  }

  /** An archive holding `entries` as `entries()` returned them (lowest first), of structures in
   * `box` (undefined: clusters): to continue a saved search. */
  static restore(options: ArchiveOptions, entries: ArchiveEntry[], box?: number): MinimaArchive {
    const archive = new MinimaArchive(options);
    for (const entry of entries) {
      archive.#entries.push({
        ...publicEntry({ ...entry, fingerprint: new Float64Array() }),
        fingerprint: structureFingerprint(entry.positions, entry.species, box),
      });
    }
    archive.#entries.sort((a, b) => a.energy - b.energy);
    return archive;
  }

  get size(): number {
    return this.#entries.length;
  }

  /** The lowest minimum, or undefined while the archive is empty. */
  get best(): ArchiveEntry | undefined {
    return this.#entries.length > 0 ? publicEntry(this.#entries[0]) : undefined;
  }

  /**
   * Records one found minimum. "merged": it matches a stored minimum, whose count goes up; the
   * stored energy and structure become this one's if it is lower, and the first-found cost becomes
   * this one's if it has fewer evaluations, so the order in which replicas report does not matter.
   * "new": stored, pushing out the highest entry when the archive is full. "rejected": the archive
   * is full and this is no lower than its highest entry, or the energy is not finite (a replica
   * that blew up). A minimum pushed out forgets its count; found again, it is normally rejected
   * (it was the highest when it left, and the entries kept only get lower).
   */
  add(found: FoundMinimum): AddResult {
    const { energy } = found;
    if (!Number.isFinite(energy)) return "rejected";
    const full = this.#entries.length === this.capacity;
    const highest = this.#entries[this.#entries.length - 1];
    // Above the highest entry's window nothing can match: skip the fingerprint.
    if (full && energy > highest.energy + this.energyTolerance) return "rejected";
    const fingerprint = structureFingerprint(found.positions, found.species, found.box);
    const match = this.#find(energy, fingerprint);
    if (match >= 0) {
      this.#merge(match, found, fingerprint);
      return "merged";
    }
    if (full && energy >= highest.energy) return "rejected";
    if (full) this.#entries.pop();
    this.#insert({
      energy,
      positions: Float64Array.from(found.positions),
      species: Uint32Array.from(found.species),
      count: 1,
      firstEvaluations: found.evaluations,
      replica: found.replica,
      fingerprint,
    });
    return "new";
  }

  /** Copies of the stored minima, lowest energy first; the lowest `count` where given. */
  entries(count?: number): ArchiveEntry[] {
    return this.#entries.slice(0, count).map(publicEntry);
  }

  /** Plain numbers and arrays, lowest energy first, for JSON summary files. */
  toJSON(): {
    energy: number;
    positions: number[];
    species: number[];
    count: number;
    firstEvaluations: number;
    replica: number;
  }[] {
    return this.#entries.map((entry) => ({
      energy: entry.energy,
      positions: Array.from(entry.positions),
      species: Array.from(entry.species),
      count: entry.count,
      firstEvaluations: entry.firstEvaluations,
      replica: entry.replica,
    }));
  }

  /** Index of the first stored entry in the energy window whose fingerprint matches, or -1. */
  #find(energy: number, fingerprint: Float64Array): number {
    const entries = this.#entries;
    for (
      let i = this.#lowerBound(energy - this.energyTolerance);
      i < entries.length && entries[i].energy <= energy + this.energyTolerance;
      i++
    ) {
      if (fingerprintDistance(entries[i].fingerprint, fingerprint) <= this.fingerprintTolerance) {
        return i;
      }
    }
    return -1;
  }

  #merge(index: number, found: FoundMinimum, fingerprint: Float64Array) {
    const entry = this.#entries[index];
    entry.count++;
    if (found.evaluations < entry.firstEvaluations) {
      entry.firstEvaluations = found.evaluations;
      entry.replica = found.replica;
    }
    if (found.energy < entry.energy) {
      entry.energy = found.energy;
      entry.positions = Float64Array.from(found.positions);
      entry.species = Uint32Array.from(found.species);
      entry.fingerprint = fingerprint;
      // The energy fell by at most the tolerance, but that can pass a neighbour: re-sort it.
      this.#entries.splice(index, 1);
      this.#insert(entry);
    }
  }

  #insert(entry: StoredEntry) {
    this.#entries.splice(this.#lowerBound(entry.energy), 0, entry);
  }

  /** First index whose energy is >= `energy` (entries.length if none). */
  #lowerBound(energy: number): number {
    let low = 0;
    let high = this.#entries.length;
    while (low < high) {
      const middle = (low + high) >>> 1;
      if (this.#entries[middle].energy < energy) low = middle + 1;
      else high = middle;
    }
    return low;
  }
}

function checkTolerance(name: string, value: number) {
  if (!(value >= 0 && value < Infinity)) {
    throw new RangeError(`${name} tolerance must be finite and >= 0, got ${value}`);
  }
}

function publicEntry(entry: StoredEntry): ArchiveEntry {
  return {
    energy: entry.energy,
    positions: entry.positions.slice(),
    species: entry.species.slice(),
    count: entry.count,
    firstEvaluations: entry.firstEvaluations,
    replica: entry.replica,
  };
}
