// Floor 0: the one error type every module raises on purpose. An HxError carries a
// kind (moby's errdefs classes, so an API server maps it to an HTTP status and the CLI
// to an exit code), a hint saying what to do, an optional cause, and, where docker
// fixes one (126, 127 for a command that cannot run), the exit code itself.
//
//   throw new HxError('No such image: busybox', { kind: 'not-found', hint: 'pull it first' });
//   catch (e) { throw wrap(e, 'layer 3 (sha256:...)'); }   // "layer 3 (...): <inner message>"

export type ErrorKind =
  /** the request is malformed: a bad flag, value or reference */
  | 'invalid-argument'
  /** the named thing does not exist */
  | 'not-found'
  /** the request clashes with current state: a name in use, a running container */
  | 'conflict'
  /** credentials are missing or refused */
  | 'unauthorized'
  /** the OS or a peer refuses: EACCES, EPERM, a 403 */
  | 'permission'
  /** a peer or resource is not there right now: a registry down, a full disk */
  | 'unavailable'
  /** the host lacks something hx needs: a package, a sysctl, a subuid range */
  | 'host-setup'
  /** the container's command could not be started (125/126/127) */
  | 'start-failed'
  /** input data is corrupt or malicious: a bad archive, a digest mismatch */
  | 'data'
  /** docker has it, hx does not (yet) */
  | 'not-implemented'
  /** the user or a signal stopped it */
  | 'cancelled'
  /** a bug, or an error nothing classified */
  | 'internal';

export interface HxErrorOptions {
  kind?: ErrorKind;
  hint?: string | undefined;
  cause?: unknown;
  /** docker's exit code where the kind alone does not fix it (126, 127, a container's). */
  exitCode?: number;
}

export class HxError extends Error {
  readonly kind: ErrorKind;
  readonly hint: string | undefined;
  /** docker's exit code for this error as `docker run` gives it: the one asked for, else 125. */
  readonly exitCode: number;
  /** The exit code was given (126, 127...), not derived: every command keeps it. */
  readonly exitCodeFixed: boolean;
  constructor(message: string, options: HxErrorOptions = {}) {
    super(message, options.cause !== undefined ? { cause: options.cause } : undefined);
    this.name = 'HxError';
    this.kind = options.kind ?? 'internal';
    this.hint = options.hint;
    this.exitCode = options.exitCode ?? 125;
    this.exitCodeFixed = options.exitCode !== undefined;
  }
}

/** The user asked for something malformed (bad flag value, unknown name). */
export class UsageError extends HxError {
  constructor(message: string, hint?: string) {
    super(message, { kind: 'invalid-argument', hint });
    this.name = 'UsageError';
  }
}

/** The host lacks something hx needs (a package, a sysctl, a subuid range). */
export class HostSetupError extends HxError {
  constructor(message: string, hint: string) {
    super(message, { kind: 'host-setup', hint });
    this.name = 'HostSetupError';
  }
}

/** What an errno means as a kind (for errors that come from the OS without one). */
export function kindOfErrno(code: string | undefined): ErrorKind {
  switch (code) {
    case 'ENOENT':
    case 'ENOTDIR':
    case 'ESRCH':
      return 'not-found';
    case 'EACCES':
    case 'EPERM':
    case 'EROFS':
      return 'permission';
    case 'EEXIST':
    case 'EBUSY':
    case 'ENOTEMPTY':
      return 'conflict';
    case 'ENOSPC':
    case 'EDQUOT':
    case 'EAGAIN':
    case 'ECONNREFUSED':
    case 'ETIMEDOUT':
      return 'unavailable';
    case 'EINVAL':
    case 'ENAMETOOLONG':
      return 'invalid-argument';
    default:
      return 'internal';
  }
}

/** The kind of any thrown value: an HxError's own, an errno's, else internal. */
export function kindOf(e: unknown): ErrorKind {
  if (e instanceof HxError) return e.kind;
  if (e instanceof Error && typeof (e as NodeJS.ErrnoException).code === 'string') return kindOfErrno((e as NodeJS.ErrnoException).code);
  return 'internal';
}

/**
 * Add CONTEXT in front of an error on its way up (crun's error chain): the message
 * becomes "CONTEXT: inner message"; kind, hint and exit code are kept, the original
 * becomes the cause. Options given here override the inner ones.
 */
export function wrap(e: unknown, context: string, options: HxErrorOptions = {}): HxError {
  const inner = e instanceof Error ? e.message : String(e);
  const hx = e instanceof HxError ? e : undefined;
  const err = new HxError(`${context}: ${inner}`, {
    kind: options.kind ?? kindOf(e),
    hint: options.hint ?? hx?.hint,
    cause: e,
    ...(options.exitCode !== undefined ? { exitCode: options.exitCode } : hx?.exitCodeFixed ? { exitCode: hx.exitCode } : {}),
  });
  if (hx) err.name = hx.name;
  return err;
}

/** The chain of causes below E (for HX_DEBUG output). */
export function causes(e: unknown): unknown[] {
  const out: unknown[] = [];
  let cur = e instanceof Error ? e.cause : undefined;
  while (cur !== undefined && out.length < 16) {
    out.push(cur);
    cur = cur instanceof Error ? cur.cause : undefined;
  }
  return out;
}
