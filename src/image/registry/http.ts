// One HTTP exchange with a registry or a blob store: node:http/https with keep-alive
// agents, the right CAs per host, a bounded idle timeout, redirects followed without
// carrying the Authorization header to another host, and errors classified as
// transient (worth a retry) or not.
import { Agent as HttpAgent, request as httpRequest, type IncomingHttpHeaders, type IncomingMessage } from 'node:http';
import { Agent as HttpsAgent, request as httpsRequest } from 'node:https';
import type { Readable } from 'node:stream';
import { HxError } from '../../errors.js';
import { secureContextFor } from './tls.js';

export type Method = 'GET' | 'HEAD' | 'PUT' | 'POST' | 'PATCH' | 'DELETE';

export interface RequestSpec {
  method: Method;
  url: URL;
  headers?: Record<string, string>;
  /** A Buffer, or a factory for a fresh stream (so the request can be sent again). */
  body?: Buffer | (() => Readable);
  /** Follow 3xx for GET/HEAD (default true). */
  followRedirects?: boolean;
}

export interface HttpResponse {
  status: number;
  headers: IncomingHttpHeaders;
  /** The URL that answered, after redirects. */
  url: URL;
  body: IncomingMessage;
}

/** TLS settings for a host: verify or not, and which extra CA files to trust. */
export interface TlsPolicy {
  verify: boolean;
  caFiles: string[];
}

/** A failure worth retrying: a dropped or timed-out connection, a 5xx, a 429. */
export class TransientError extends HxError {
  readonly retryAfterMs: number | undefined;
  readonly status: number | undefined;
  constructor(message: string, opts: { status?: number; retryAfterMs?: number; cause?: unknown; hint?: string } = {}) {
    super(message, { kind: 'unavailable', cause: opts.cause, ...(opts.hint !== undefined ? { hint: opts.hint } : {}) });
    this.name = 'TransientError';
    this.status = opts.status;
    this.retryAfterMs = opts.retryAfterMs;
  }
}

/** The connection could not be made at all (refused, no such host): retrying will not help soon. */
export class UnreachableError extends HxError {
  readonly code: string | undefined;
  constructor(message: string, code: string | undefined, hint: string, cause: unknown) {
    super(message, { kind: 'unavailable', hint, cause });
    this.name = 'UnreachableError';
    this.code = code;
  }
}

/** The server does not speak TLS (a plain-http registry answered a TLS hello). */
export class NotTlsError extends HxError {
  constructor(host: string, cause: unknown) {
    super(`${host} did not answer with TLS`, { kind: 'unavailable', cause, hint: 'if it is a plain-http registry, mark it "insecure" in the registries config or pass --tls-verify=false' });
    this.name = 'NotTlsError';
  }
}

const DROPPED = new Set(['ECONNRESET', 'EPIPE', 'ETIMEDOUT', 'ECONNABORTED', 'ERR_STREAM_PREMATURE_CLOSE', 'EAI_AGAIN', 'UND_ERR_SOCKET']);
const UNREACHABLE = new Set(['ECONNREFUSED', 'ENOTFOUND', 'EHOSTUNREACH', 'ENETUNREACH', 'EADDRNOTAVAIL']);
const CERT_CODES = new Set([
  'UNABLE_TO_VERIFY_LEAF_SIGNATURE', 'SELF_SIGNED_CERT_IN_CHAIN', 'DEPTH_ZERO_SELF_SIGNED_CERT', 'CERT_HAS_EXPIRED',
  'ERR_TLS_CERT_ALTNAME_INVALID', 'UNABLE_TO_GET_ISSUER_CERT_LOCALLY', 'CERT_NOT_YET_VALID', 'UNABLE_TO_GET_ISSUER_CERT',
]);

/** Turn a socket-level error into one of the classes above, with a message naming the host. */
export function classifyNetworkError(e: unknown, url: URL): Error {
  if (e instanceof HxError) return e;
  const err = e as NodeJS.ErrnoException;
  const code = err.code;
  const host = url.host;
  if (code && UNREACHABLE.has(code)) {
    const why = code === 'ECONNREFUSED' ? 'connection refused' : code === 'ENOTFOUND' ? 'no such host' : code.toLowerCase();
    return new UnreachableError(`cannot reach registry ${host}: ${why}`, code, 'check that the registry is running and the name and port are right', e);
  }
  if (code && CERT_CODES.has(code)) {
    return new HxError(`TLS certificate of ${host} is not trusted: ${err.message}`, {
      cause: e,
      hint: 'add its CA with "ca" in the registries config (docs/REGISTRIES.md) or NODE_EXTRA_CA_CERTS, or pass --tls-verify=false',
    });
  }
  if (code === 'EPROTO' || (code !== undefined && code.startsWith('ERR_SSL_'))) return new NotTlsError(host, e);
  if ((code && DROPPED.has(code)) || err.message === 'socket hang up' || err.message === 'aborted') {
    return new TransientError(`connection to ${host} dropped (${code ?? err.message})`, { cause: e });
  }
  return new HxError(`request to ${host} failed: ${err.message}`, { cause: e });
}

const MAX_REDIRECTS = 5;

export class HttpClient {
  private readonly agents = new Map<string, HttpAgent | HttpsAgent>();

  constructor(
    private readonly timeoutMs: number,
    private readonly tlsFor: (host: string) => TlsPolicy,
    /** A CA file a missing copy of which is not an error (the user's NODE_EXTRA_CA_CERTS). */
    private readonly softCaFile?: string,
  ) {}

  private agentFor(url: URL): HttpAgent | HttpsAgent {
    if (url.protocol === 'http:') {
      let agent = this.agents.get('http');
      if (!agent) this.agents.set('http', (agent = new HttpAgent({ keepAlive: true, maxSockets: 16 })));
      return agent;
    }
    const policy = this.tlsFor(url.host);
    const key = `https\0${policy.verify}\0${policy.caFiles.join('\0')}`;
    let agent = this.agents.get(key);
    if (!agent) {
      const secureContext = policy.verify ? secureContextFor(policy.caFiles, this.softCaFile) : undefined;
      agent = new HttpsAgent({ keepAlive: true, maxSockets: 16, rejectUnauthorized: policy.verify, ...(secureContext ? { secureContext } : {}) });
      this.agents.set(key, agent);
    }
    return agent;
  }

  /** One attempt (plus redirects). Network failures come back classified. */
  async send(spec: RequestSpec): Promise<HttpResponse> {
    let url = spec.url;
    let headers = { ...spec.headers };
    const follow = spec.followRedirects ?? (spec.method === 'GET' || spec.method === 'HEAD');
    for (let hop = 0; ; hop++) {
      const res = await this.once(spec.method, url, headers, spec.body);
      const location = res.headers.location;
      if (!follow || !location || ![301, 302, 303, 307, 308].includes(res.status)) return res;
      res.body.resume();
      if (hop >= MAX_REDIRECTS) throw new HxError(`too many redirects from ${spec.url.host} (last to ${location})`);
      const next = new URL(location, url);
      // Never hand the registry's credentials to blob storage on another host.
      if (next.origin !== spec.url.origin) {
        headers = Object.fromEntries(Object.entries(headers).filter(([k]) => k.toLowerCase() !== 'authorization'));
      }
      url = next;
    }
  }

  private once(method: Method, url: URL, headers: Record<string, string>, body: RequestSpec['body']): Promise<HttpResponse> {
    return new Promise<HttpResponse>((resolve, reject) => {
      const request = url.protocol === 'http:' ? httpRequest : httpsRequest;
      const outHeaders: Record<string, string> = { 'User-Agent': 'hx/0.1', ...headers };
      if (Buffer.isBuffer(body)) outHeaders['Content-Length'] = String(body.length);
      else if (!body && (method === 'PUT' || method === 'POST' || method === 'PATCH')) outHeaders['Content-Length'] ??= '0';
      let settled = false;
      // `timeout` in the options arms the socket before it connects (req.setTimeout alone
      // would wait for the connection, and a dropped SYN takes minutes to fail).
      const req = request(url, { method, headers: outHeaders, agent: this.agentFor(url), timeout: this.timeoutMs }, (res) => {
        settled = true;
        resolve({ status: res.statusCode ?? 0, headers: res.headers, url, body: res });
      });
      req.setTimeout(this.timeoutMs, () => {
        req.destroy(new TransientError(`no answer from ${url.host} for ${Math.round(this.timeoutMs / 1000)} s`, {
          hint: 'the registry or the network is stalled; "timeoutSeconds" in the registries config sets this limit',
        }));
      });
      req.on('error', (e) => {
        if (!settled) reject(classifyNetworkError(e, url));
      });
      if (Buffer.isBuffer(body)) req.end(body);
      else if (body) {
        const stream = body();
        stream.on('error', (e) => req.destroy(e));
        stream.pipe(req);
      } else req.end();
    });
  }

  close(): void {
    for (const agent of this.agents.values()) agent.destroy();
    this.agents.clear();
  }
}

/** Read a whole (small) body, refusing more than `limit` bytes. */
/** The whole body, up to LIMIT bytes; one more byte stops the read and throws TOO_LARGE's error. */
export async function readBody(res: HttpResponse, limit: number, tooLarge?: () => Error): Promise<Buffer> {
  const chunks: Buffer[] = [];
  let total = 0;
  try {
    for await (const chunk of res.body as AsyncIterable<Buffer>) {
      total += chunk.length;
      if (total > limit) {
        res.body.destroy();
        throw tooLarge?.() ?? new HxError(`response from ${res.url.host} is larger than ${limit} bytes`);
      }
      chunks.push(chunk);
    }
  } catch (e) {
    throw classifyNetworkError(e, res.url);
  }
  return Buffer.concat(chunks);
}

/** Retry-After in ms (seconds or an HTTP date), or undefined. */
export function retryAfterMs(value: string | undefined): number | undefined {
  if (!value) return undefined;
  if (/^\d+$/.test(value.trim())) return Number(value.trim()) * 1000;
  const when = Date.parse(value);
  return Number.isNaN(when) ? undefined : Math.max(0, when - Date.now());
}

export interface RetryPolicy {
  retries: number;
  maxDelayMs: number;
  /** First backoff; doubles each attempt. */
  baseDelayMs?: number;
}

/**
 * Run `attempt` until it succeeds, retrying TransientErrors with exponential backoff
 * (or the server's Retry-After, capped). `onRetry` hears about each wait.
 */
export async function withRetries<T>(
  policy: RetryPolicy,
  attempt: (n: number) => Promise<T>,
  onRetry?: (error: TransientError, delayMs: number, n: number) => void,
): Promise<T> {
  for (let n = 0; ; n++) {
    try {
      return await attempt(n);
    } catch (e) {
      if (!(e instanceof TransientError) || n >= policy.retries) throw e;
      const backoff = (policy.baseDelayMs ?? 250) * 2 ** n * (0.75 + Math.random() / 2);
      const delay = Math.min(policy.maxDelayMs, e.retryAfterMs ?? backoff);
      onRetry?.(e, delay, n + 1);
      await new Promise((r) => setTimeout(r, delay));
    }
  }
}
