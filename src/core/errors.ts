/**
 * A mistake in what the user typed or gave us (bad system name, malformed file, impossible box).
 * Command-line tasks print its message on one line and exit with status 2, never a stack trace.
 */
export class UserError extends Error {
  override name = "UserError";
}
