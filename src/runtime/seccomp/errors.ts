// The error for a seccomp profile hx cannot use. runtime/ must not import engine/, so this is a
// plain Error carrying the same fields as HxError (hint, exitCode) that the CLI's formatError reads.
export class SeccompProfileError extends Error {
  readonly hint: string | undefined;
  readonly exitCode = 125;
  constructor(message: string, hint?: string) {
    super(message);
    this.name = 'SeccompProfileError';
    this.hint = hint;
  }
}
