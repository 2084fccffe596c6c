/**
 * Which systems a learned optimizer serves: those of the families it was trained on (the systems
 * its checkpoint's config names). Within a family its features are dimensionless, so a new size,
 * element or composition is generalisation to test; another family is outside what it learned,
 * and refused.
 */
import { quoted } from "../core/quote.ts";
import { UserError } from "../core/errors.ts";
import { potentialEntry, POTENTIALS } from "../potentials/registry.ts";
import { parseSystem, type System } from "../systems/system.ts";
import { configField } from "./checkpoint.ts";
import { CheckpointError } from "./safetensors.ts";

/** Every family, named by the potentials' entries, with its description. */
export const FAMILIES: Readonly<Record<string, string>> = Object.assign(
  {},
  ...POTENTIALS.map((entry) => entry.families),
);
export type Family = string;

export function familyOf(system: System): Family {
  return potentialEntry(system.potential.kind).familyOf(system.elements.length);
}

/** `systems` grouped by family, the families in the order they first appear. */
export function familyGroups(systems: readonly System[]): System[][] {
  const families = [...new Set(systems.map(familyOf))];
  return families.map((family) => systems.filter((system) => familyOf(system) === family));
}

/** What a checkpoint covers: its training families, or undefined (any system) when its config
 * names no systems (a checkpoint written outside `deno task train`). */
export interface Coverage {
  /** The checkpoint, as the user named it. */
  label: string;
  families: readonly Family[];
}

export function checkpointCoverage(config: unknown, label: string): Coverage | undefined {
  const systems = configField(config, "systems");
  if (!Array.isArray(systems) || systems.length === 0) return undefined;
  const families = new Set<Family>();
  for (const name of systems) {
    let system: System;
    try {
      system = parseSystem(String(name));
    } catch (error) {
      if (!(error instanceof UserError)) throw error;
      throw new CheckpointError(
        `${label} (a checkpoint): its config names training system ${
          quoted(String(name))
        }, which this build does not know`,
      );
    }
    families.add(familyOf(system));
  }
  return { label, families: [...families] };
}

/** A UserError naming the mismatch unless `coverage` includes `system`'s family. */
export function checkCovers(coverage: Coverage | undefined, system: System): void {
  if (coverage === undefined) return;
  const family = familyOf(system);
  if (coverage.families.includes(family)) return;
  const names = coverage.families.map((f) => FAMILIES[f]);
  const trained = names.length === 1
    ? names[0]
    : `${names.slice(0, -1).join(", ")} and ${names.at(-1)}`;
  throw new UserError(
    `${coverage.label} was trained on ${trained}, not on ${FAMILIES[family]} such as ` +
      `${system.name}; use a checkpoint trained on them`,
  );
}
