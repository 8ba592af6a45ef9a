// The error for a seccomp profile hx cannot use.
import { HxError } from '../../errors.js';

export class SeccompProfileError extends HxError {
  constructor(message: string, hint?: string) {
    super(message, { kind: 'invalid-argument', hint });
    this.name = 'SeccompProfileError';
  }
}
