/**
 * Errors that the user can fix (bad config, bad architecture string, bad data
 * file). The CLI prints their message on one line and exits with code 2,
 * without a stack trace. Anything else is a bug and keeps its stack.
 */
export class UserError extends Error {
  readonly exitCode: number = 2;
  constructor(message: string) {
    super(message);
    this.name = new.target.name;
  }
}

export class ConfigError extends UserError {}
export class ArchitectureError extends UserError {}
export class DataError extends UserError {}
export class PluginError extends UserError {}

export function isUserError(e: unknown): e is UserError {
  return e instanceof UserError;
}
