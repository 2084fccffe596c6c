/**
 * A piece of a user's input in a message: a name from a config, a string from a file's metadata.
 * Never more than QUOTE_LENGTH characters of it, printable ASCII (anything else escaped), so that
 * a message never echoes a file: a config or checkpoint that is not what it claims to be, or a
 * link to something private, shows at most a short, harmless fragment.
 */

/** Characters of a quoted value shown at most. */
export const QUOTE_LENGTH = 32;

/** `value` (a string as it is, anything else as JSON) in single quotes, cut to `length`
 * characters and escaped. */
export function quoted(value: unknown, length = QUOTE_LENGTH): string {
  const text = typeof value === "string" ? value : String(JSON.stringify(value));
  const chars = Array.from(text);
  const shown = chars.slice(0, length).map((c) =>
    /[\x20-\x7e]/.test(c) ? c : `\\u{${c.codePointAt(0)!.toString(16)}}`
  ).join("");
  return `'${shown}${chars.length > length ? "..." : ""}'`;
}
