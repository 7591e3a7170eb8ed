/**
 * Errors caused by the user's input (a profile, a pipeline module, a command-line option). Commands print their
 * message without a stack trace and exit with status 2.
 */
export class InputError extends Error {
  override readonly name = "InputError";
}
