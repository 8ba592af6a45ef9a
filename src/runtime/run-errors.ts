// Errors from building or starting a container.
import { HxError } from '../errors.js';

/** The container's configuration cannot be used (a bad path, mount or user). */
export class ContainerConfigError extends HxError {
  constructor(message: string, hint?: string) {
    super(message, { kind: 'invalid-argument', hint });
    this.name = 'ContainerConfigError';
  }
}

/** The container process could not be started; exitCode is docker's (125, 126 or 127). */
export class ContainerStartError extends HxError {
  constructor(message: string, exitCode: number, hint?: string) {
    super(message, { kind: 'start-failed', hint, exitCode });
    this.name = 'ContainerStartError';
  }
}
