/**
 * Files that ship with the project (configs/, checkpoints/, data/), found from where this module
 * lies rather than from the working folder: the commands run from any folder, and a user names a
 * shipped config or checkpoint by its bare name (`--config lj-hopper`).
 */
import { fileURLToPath } from "node:url";
import { isAbsolute, relative } from "node:path";

/** The project's root folder (ends with a slash). */
export const PROJECT_ROOT = fileURLToPath(new URL("../../", import.meta.url));

/** The absolute path of a file of the project, from its path relative to the root. */
export function projectFile(path: string): string {
  return PROJECT_ROOT + path;
}

/**
 * What a `--config` or `--checkpoint` value names: a bare name without a folder or extension
 * (`lj-hopper`) is the shipped FOLDER/NAME.EXTENSION where that exists; anything else is a path.
 */
export async function shippedOrPath(
  value: string,
  folder: "configs" | "checkpoints",
  extension: string,
): Promise<string> {
  if (!/^[\w-]{1,64}$/.test(value)) return value;
  const shipped = projectFile(`${folder}/${value}${extension}`);
  const exists = await Deno.stat(shipped).then((info) => info.isFile, () => false);
  return exists ? shipped : value;
}

/** `path` as the user would type it from the working folder: relative where it lies inside it,
 * absolute otherwise. */
export function displayPath(path: string): string {
  if (!isAbsolute(path)) return path;
  const inside = relative(Deno.cwd(), path);
  return inside !== "" && !inside.startsWith("..") && !isAbsolute(inside) ? inside : path;
}

/** The names of the shipped files of `folder` with `extension`, for help texts. */
export function shippedNames(folder: "configs" | "checkpoints", extension: string): string[] {
  return Array.from(Deno.readDirSync(projectFile(folder)))
    .filter((entry) => entry.isFile && entry.name.endsWith(extension))
    .map((entry) => entry.name.slice(0, -extension.length))
    .sort();
}
