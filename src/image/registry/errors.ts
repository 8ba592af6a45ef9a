// Registry answers turned into errors that say which registry, which repository and what
// to do. The distribution error body ({"errors":[{code,message,detail}]}) is parsed when present.
import { HxError } from '../../errors.js';

export interface DistributionError {
  code: string;
  message: string;
}

export function parseErrorBody(body: Buffer): DistributionError[] {
  try {
    const doc = JSON.parse(body.toString('utf8')) as { errors?: { code?: unknown; message?: unknown }[] };
    return (doc.errors ?? []).map((e) => ({ code: String(e.code ?? ''), message: String(e.message ?? '') }));
  } catch {
    return [];
  }
}

export function describeErrors(errors: DistributionError[], fallback: string): string {
  if (errors.length === 0) return fallback;
  return errors.map((e) => (e.message ? `${e.code.toLowerCase().replace(/_/g, ' ')}: ${e.message}` : e.code)).join('; ');
}

/** 404: no such repository, tag, manifest or blob. */
export class NotFoundError extends HxError {
  constructor(message: string, hint?: string) {
    super(message, { kind: 'not-found', hint });
    this.name = 'NotFoundError';
  }
}

/** 401/403 that another attempt will not fix. */
export class AuthError extends HxError {
  readonly status: number;
  /** True when the credentials themselves were rejected (not merely lacking access). */
  readonly badCredentials: boolean;
  constructor(message: string, status: number, badCredentials: boolean, hint: string) {
    super(message, { kind: 'unauthorized', hint });
    this.name = 'AuthError';
    this.status = status;
    this.badCredentials = badCredentials;
  }
}

/** Bytes that do not hash to the digest that names them. */
export class DigestMismatchError extends HxError {
  constructor(what: string, expected: string, actual: string) {
    super(`${what}: content does not match its digest (expected ${expected}, got ${actual})`, {
      kind: 'data',
      hint: 'the registry, a proxy or the network altered the data; nothing of it was kept',
    });
    this.name = 'DigestMismatchError';
  }
}
