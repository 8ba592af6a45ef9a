// Errors from building or starting a container. runtime/ must not import engine/, so these
// are plain Errors carrying the fields the CLI's formatError reads (hint, exitCode).
export class ContainerConfigError extends Error {
  readonly hint: string | undefined;
  readonly exitCode: number = 125;
  constructor(message: string, hint?: string) {
    super(message);
    this.name = 'ContainerConfigError';
    this.hint = hint;
  }
}

/** The container process could not be started; exitCode is docker's (125, 126 or 127). */
export class ContainerStartError extends Error {
  readonly hint: string | undefined;
  readonly exitCode: number;
  constructor(message: string, exitCode: number, hint?: string) {
    super(message);
    this.name = 'ContainerStartError';
    this.exitCode = exitCode;
    this.hint = hint;
  }
}
