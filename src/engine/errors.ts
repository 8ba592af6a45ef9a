// Errors the engine raises on purpose: a message saying what went wrong, a hint saying
// what to do, and the exit code docker would give (125 for engine errors).
export class HxError extends Error {
  readonly hint: string | undefined;
  readonly exitCode: number;
  constructor(message: string, options: { hint?: string; exitCode?: number; cause?: unknown } = {}) {
    super(message, options.cause !== undefined ? { cause: options.cause } : undefined);
    this.name = 'HxError';
    this.hint = options.hint;
    this.exitCode = options.exitCode ?? 125;
  }
}

/** The user asked for something malformed (bad flag value, unknown name). */
export class UsageError extends HxError {
  constructor(message: string, hint?: string) {
    super(message, hint !== undefined ? { hint } : {});
    this.name = 'UsageError';
  }
}

/** The host lacks something hx needs (a package, a sysctl, a subuid range). */
export class HostSetupError extends HxError {
  constructor(message: string, hint: string) {
    super(message, { hint });
    this.name = 'HostSetupError';
  }
}
