// The registry API client: one session per hx command (shared connections, config and
// retry hooks), one endpoint per registry host (scheme, TLS, authentication), and a
// repository view with the distribution-spec operations pull and push need.
import { createHash } from 'node:crypto';
import type { Readable } from 'node:stream';
import { HxError } from '../../errors.js';
import { apiHost, DEFAULT_DOMAIN, isLoopbackHost } from '../reference.js';
import { Authenticator, mergeScopes, scopeString, type Action, type Scope } from './auth.js';
import { parseChallenges } from './challenge.js';
import { loadRegistryConfig, settingsFor, type RegistryConfig } from './config.js';
import { findCredentials, type Credentials } from './credentials.js';
import { AuthError, DigestMismatchError, NotFoundError, describeErrors, parseErrorBody } from './errors.js';
import {
  HttpClient, NotTlsError, TransientError, readBody, retryAfterMs, withRetries,
  type HttpResponse, type Method, type TlsPolicy,
} from './http.js';
import { refuseSize } from '../descriptor.js';
import { sha256Of } from '../source.js';
import { refuseManifest } from './manifest.js';
import { MANIFEST_ACCEPT } from './media-types.js';
import { caFilesFor } from './tls.js';
import type { UserFiles } from '../../host/user-files.js';

export interface RetryNotice {
  host: string;
  reason: string;
  delayMs: number;
  attempt: number;
}

export interface SessionOptions {
  /** Where the user's registry settings, credentials and certificates are. */
  files: UserFiles;
  config?: RegistryConfig;
  /** false: skip TLS verification and allow plain http for every registry (--tls-verify=false). */
  tlsVerify?: boolean | undefined;
  authFile?: string | undefined;
  /** Use exactly these credentials (hx login), instead of looking them up. */
  credentials?: Credentials | undefined;
  onRetry?: (notice: RetryNotice) => void;
}

const MANIFEST_LIMIT = 4 << 20;
/** The largest image config hx fetches (real ones are a few KiB). */
const CONFIG_LIMIT = 16 << 20;

/** One per command: shared agents, config, retry reporting. */
export class RegistrySession {
  readonly config: RegistryConfig;
  readonly http: HttpClient;
  private readonly endpoints = new Map<string, RegistryEndpoint>();

  constructor(readonly options: SessionOptions) {
    this.config = options.config ?? loadRegistryConfig(options.files.registriesConf);
    this.http = new HttpClient(this.config.timeoutMs, (host) => this.tlsPolicy(host), options.files.extraCaCerts);
  }

  /** Is this host allowed TLS without verification and plain http? */
  insecure(host: string): boolean {
    if (this.options.tlsVerify === false) return true;
    if (this.options.tlsVerify === true) return false;
    return settingsFor(this.config, host).insecure;
  }

  tlsPolicy(host: string): TlsPolicy {
    return { verify: !this.insecure(host), caFiles: caFilesFor(this.options.files, host, settingsFor(this.config, host).caFiles) };
  }

  /** The endpoint for a registry as references name it (docker.io, host:port). */
  endpoint(registry: string): RegistryEndpoint {
    let e = this.endpoints.get(registry);
    if (!e) this.endpoints.set(registry, (e = new RegistryEndpoint(this, registry)));
    return e;
  }

  /** Mirror endpoints for a registry, each with its repository prefix. */
  mirrors(registry: string): { endpoint: RegistryEndpoint; prefix: string }[] {
    return settingsFor(this.config, registry).mirrors.map((m) => {
      const clean = m.replace(/^https?:\/\//, '').replace(/\/+$/, '');
      const slash = clean.indexOf('/');
      const host = slash === -1 ? clean : clean.slice(0, slash);
      return { endpoint: this.endpoint(host), prefix: slash === -1 ? '' : clean.slice(slash + 1) };
    });
  }

  retryPolicy(): { retries: number; maxDelayMs: number } {
    return { retries: this.config.retries, maxDelayMs: this.config.maxRetryDelayMs };
  }

  close(): void {
    this.http.close();
  }
}

export interface RequestOp {
  method: Method;
  /** A path under the endpoint (/v2/...) or an absolute URL (an upload Location). */
  url: string | URL;
  headers?: Record<string, string>;
  body?: Buffer | (() => Readable);
  scopes: Scope[];
  /** Retry transient failures (default true). */
  retry?: boolean;
  followRedirects?: boolean;
  /** What this is, for messages: "manifest latest", "blob sha256:...". */
  what: string;
}

export class RegistryEndpoint {
  /** host[:port] the API answers on. */
  readonly host: string;
  private scheme: 'https' | 'http' = 'https';
  readonly auth: Authenticator;
  private credentialsPromise: Promise<Credentials | undefined> | undefined;

  constructor(
    readonly session: RegistrySession,
    /** The registry's name (docker.io, host:port) for config, credentials and messages. */
    readonly name: string,
  ) {
    this.host = apiHost(name);
    this.auth = new Authenticator({
      registry: name,
      http: session.http,
      credentials: () => this.credentials(),
      allowHttpRealm: (url) => session.insecure(name) || isLoopbackHost(url.host),
    });
  }

  credentials(): Promise<Credentials | undefined> {
    this.credentialsPromise ??= this.session.options.credentials
      ? Promise.resolve(this.session.options.credentials)
      : findCredentials(this.session.options.files, this.name, undefined, this.session.options.authFile);
    return this.credentialsPromise;
  }

  get insecure(): boolean {
    return this.session.insecure(this.name);
  }

  resolve(url: string | URL): URL {
    return typeof url === 'string' ? new URL(url, `${this.scheme}://${this.host}`) : url;
  }

  private schemeChosen: Promise<void> | undefined;

  /**
   * An insecure registry may speak TLS (unverified) or plain http: ask once, before the
   * first request, so concurrent requests never race on the answer.
   */
  private chooseScheme(): Promise<void> {
    if (!this.insecure) return Promise.resolve();
    this.schemeChosen ??= (async () => {
      const probe = async (scheme: 'https' | 'http'): Promise<void> => {
        const res = await this.session.http.send({ method: 'GET', url: new URL('/v2/', `${scheme}://${this.host}`) });
        res.body.resume();
      };
      try {
        await probe('https');
      } catch (e) {
        if (!(e instanceof NotTlsError || e instanceof TransientError)) throw e;
        await probe('http');
        this.scheme = 'http';
      }
    })();
    return this.schemeChosen;
  }

  repository(path: string, actions: Action[] = ['pull']): RepositoryClient {
    return new RepositoryClient(this, path, actions);
  }

  /** Send one request with authentication; a 401 is answered once with a fresh token. */
  private async sendAuthed(op: RequestOp): Promise<HttpResponse> {
    let scopes = op.scopes;
    await this.chooseScheme();
    for (let authTry = 0; ; authTry++) {
      const url = this.resolve(op.url);
      const sameHost = url.host === this.host;
      const headers = { ...op.headers };
      const authorization = sameHost ? await this.auth.header(scopes) : undefined;
      if (authorization) headers.Authorization = authorization;
      const res = await this.session.http.send({ method: op.method, url, headers, ...(op.body ? { body: op.body } : {}), ...(op.followRedirects !== undefined ? { followRedirects: op.followRedirects } : {}) });
      if (res.status !== 401 || authTry > 0) {
        if (res.status === 401) return this.fail401(res, op, scopes);
        return res;
      }
      const challenges = parseChallenges(res.headers['www-authenticate']);
      res.body.resume();
      const wanted = this.auth.learn(challenges);
      if (wanted === undefined) {
        throw new AuthError(`${this.name} refused ${op.what} (HTTP 401) without saying how to authenticate`, 401, false, `run \`hx login ${this.name}\``);
      }
      // A token may have been granted fewer actions than the registry now wants (pull but
      // not push), or have expired: ask again for what the challenge names.
      this.auth.forget(scopes);
      scopes = mergeScopes(scopes, wanted);
    }
  }

  private async fail401(res: HttpResponse, op: RequestOp, scopes: Scope[]): Promise<never> {
    const body = op.method === 'HEAD' ? Buffer.alloc(0) : await readBody(res, 64 << 10).catch(() => Buffer.alloc(0));
    const creds = await this.credentials();
    const detail = describeErrors(parseErrorBody(body), 'HTTP 401');
    const challenge = parseChallenges(res.headers['www-authenticate']).find((c) => c.scheme === 'bearer' || c.scheme === 'basic');
    if (this.auth.scheme === 'basic' && creds) {
      throw new AuthError(`login to ${this.name} failed: wrong username or password (credentials from ${creds.source})`, 401, true, `run \`hx login ${this.name}\` again with the right credentials`);
    }
    const insufficient = challenge?.params.error === 'insufficient_scope';
    const need = scopes.map(scopeString).join(' ');
    if (!creds) {
      // Registries answer 401 for repositories that do not exist, too (Docker Hub does).
      throw new AuthError(
        `${this.name} requires authentication for ${op.what}${insufficient ? ` (anonymous access does not grant ${need})` : ` (${detail})`}`,
        401,
        false,
        `the repository may not exist; if it does, run \`hx login ${this.name}\``,
      );
    }
    throw new AuthError(
      `${this.name} denied ${op.what}: ${insufficient ? `the token does not grant ${need}` : detail}`,
      401,
      false,
      `the account ${creds.username || '(token)'} lacks access; log in with one that has it (\`hx login ${this.name}\`)`,
    );
  }

  /** A request with auth, retries on 5xx/429/dropped connections, and 403 turned into an error. */
  async request(op: RequestOp): Promise<HttpResponse> {
    const attempt = async (): Promise<HttpResponse> => {
      const res = await this.sendAuthed(op);
      if (res.status === 429 || (res.status >= 500 && res.status !== 501 && res.status !== 505)) {
        const body = op.method === 'HEAD' ? Buffer.alloc(0) : await readBody(res, 64 << 10).catch(() => Buffer.alloc(0));
        throw new TransientError(`${this.name} answered HTTP ${res.status} for ${op.what}${body.length ? ` (${describeErrors(parseErrorBody(body), body.toString('utf8').slice(0, 120).trim())})` : ''}`, {
          status: res.status,
          ...(retryAfterMs(res.headers['retry-after']) !== undefined ? { retryAfterMs: retryAfterMs(res.headers['retry-after'])! } : {}),
        });
      }
      if (res.status === 403) {
        const body = op.method === 'HEAD' ? Buffer.alloc(0) : await readBody(res, 64 << 10).catch(() => Buffer.alloc(0));
        throw new AuthError(`${this.name} denied ${op.what}: ${describeErrors(parseErrorBody(body), 'HTTP 403 Forbidden')}`, 403, false, 'check that your account has access to this repository');
      }
      return res;
    };
    if (op.retry === false) return attempt();
    return withRetries(this.session.retryPolicy(), attempt, (e, delayMs, n) =>
      this.session.options.onRetry?.({ host: this.name, reason: e.message, delayMs, attempt: n }),
    );
  }

  private challengeProbe: Promise<void> | undefined;

  /** Learn how the registry authenticates (GET /v2/ once) when no request has told yet. */
  ensureChallenge(): Promise<void> {
    if (this.auth.scheme !== undefined) return Promise.resolve();
    this.challengeProbe ??= (async () => {
      await this.chooseScheme();
      const res = await this.session.http.send({ method: 'GET', url: this.resolve('/v2/') });
      res.body.resume();
      if (res.status === 401) this.auth.learn(parseChallenges(res.headers['www-authenticate']));
    })();
    return this.challengeProbe;
  }

  /** GET /v2/ with credentials: what `hx login` uses to check them before saving. */
  async checkLogin(): Promise<void> {
    const res = await this.request({ method: 'GET', url: '/v2/', scopes: [], what: 'the API root /v2/' });
    const body = await readBody(res, 64 << 10);
    if (res.status !== 200) {
      throw new HxError(`${this.name} answered HTTP ${res.status} on /v2/: ${describeErrors(parseErrorBody(body), 'is it a registry?')}`);
    }
    // A Bearer registry accepts /v2/ anonymously with some servers; make sure the token server took the credentials.
    if (this.auth.scheme === 'bearer') await this.auth.header([]);
  }
}

export interface ManifestHead {
  digest: string | undefined;
  mediaType: string | undefined;
  size: number | undefined;
}

export interface FetchedManifest {
  bytes: Buffer;
  mediaType: string | undefined;
  /** The digest of the bytes (computed; the registry's header was checked against it). */
  digest: string;
}


export function digestOf(bytes: Buffer, algorithm: string): string {
  if (algorithm !== 'sha256' && algorithm !== 'sha512') throw new HxError(`unsupported digest algorithm ${algorithm}`);
  return `${algorithm}:${createHash(algorithm).update(bytes).digest('hex')}`;
}

/** The distribution-spec operations on one repository. */
export class RepositoryClient {
  readonly scopes: Scope[];

  constructor(
    readonly endpoint: RegistryEndpoint,
    readonly path: string,
    readonly actions: Action[],
  ) {
    this.scopes = [{ repository: path, actions }];
  }

  /** `registry/path` for messages. */
  get name(): string {
    return `${this.endpoint.name === DEFAULT_DOMAIN ? 'docker.io' : this.endpoint.name}/${this.path}`;
  }

  private notFound(what: string, res: HttpResponse, body: Buffer): NotFoundError {
    const errors = parseErrorBody(body);
    const unknownRepo = errors.some((e) => e.code === 'NAME_UNKNOWN');
    return new NotFoundError(
      `${what} not found in ${this.name}${errors.length ? ` (${describeErrors(errors, '')})` : ''}`,
      unknownRepo ? 'the repository does not exist (or you lack access to it)' : 'check the tag or digest (the registry answered 404)',
    );
  }

  private async unexpected(res: HttpResponse, what: string): Promise<never> {
    const body = await readBody(res, 64 << 10).catch(() => Buffer.alloc(0));
    if (res.status === 404) throw this.notFound(what, res, body);
    throw new HxError(`${this.endpoint.name} answered HTTP ${res.status} for ${what} of ${this.path}: ${describeErrors(parseErrorBody(body), body.toString('utf8').slice(0, 200).trim() || 'no details')}`);
  }

  /** HEAD a manifest: its digest without counting as a pull. undefined on 404. */
  async headManifest(reference: string): Promise<ManifestHead | undefined> {
    const what = `manifest ${reference}`;
    const res = await this.endpoint.request({ method: 'HEAD', url: `/v2/${this.path}/manifests/${reference}`, headers: { Accept: MANIFEST_ACCEPT }, scopes: this.scopes, what });
    res.body.resume();
    if (res.status === 404) return undefined;
    if (res.status !== 200) return this.unexpected(res, what);
    const len = res.headers['content-length'];
    return {
      digest: (res.headers['docker-content-digest'] as string | undefined) ?? undefined,
      mediaType: res.headers['content-type']?.split(';')[0],
      size: len ? Number(len) : undefined,
    };
  }

  /**
   * GET a manifest and check it: against the digest asked for (by digest), and against
   * Docker-Content-Digest when the registry sends one.
   */
  async getManifest(reference: string, accept = MANIFEST_ACCEPT): Promise<FetchedManifest> {
    const what = `manifest ${reference}`;
    const res = await this.endpoint.request({ method: 'GET', url: `/v2/${this.path}/manifests/${reference}`, headers: { Accept: accept }, scopes: this.scopes, what });
    if (res.status !== 200) return this.unexpected(res, what);
    const bytes = await readBody(res, MANIFEST_LIMIT);
    const header = res.headers['docker-content-digest'] as string | undefined;
    const byDigest = reference.includes(':');
    const expected = byDigest ? reference : header;
    const algorithm = expected?.split(':')[0] ?? 'sha256';
    const actual = digestOf(bytes, algorithm);
    if (expected && actual !== expected) throw new DigestMismatchError(`${this.name} ${what}`, expected, actual);
    if (byDigest && header && header !== reference && header.split(':')[0] === algorithm) {
      throw new DigestMismatchError(`${this.name} ${what} (Docker-Content-Digest)`, reference, header);
    }
    return { bytes, mediaType: res.headers['content-type']?.split(';')[0], digest: algorithm === 'sha256' ? actual : sha256Of(bytes) };
  }

  /** PUT a manifest exactly as given; returns its digest. */
  async putManifest(reference: string, bytes: Buffer, mediaType: string): Promise<string> {
    const what = `manifest ${reference}`;
    const res = await this.endpoint.request({
      method: 'PUT',
      url: `/v2/${this.path}/manifests/${reference}`,
      headers: { 'Content-Type': mediaType },
      body: bytes,
      scopes: this.scopes,
      what,
    });
    if (res.status !== 201 && res.status !== 200 && res.status !== 202) return this.unexpected(res, what);
    res.body.resume();
    const digest = sha256Of(bytes);
    const header = res.headers['docker-content-digest'] as string | undefined;
    if (header && header.startsWith('sha256:') && header !== digest) throw new DigestMismatchError(`${this.name} ${what} (as stored)`, digest, header);
    return digest;
  }

  /** HEAD a blob: its size, or undefined when the registry does not have it here. */
  async headBlob(digest: string): Promise<number | undefined> {
    const what = `blob ${digest}`;
    const res = await this.endpoint.request({ method: 'HEAD', url: `/v2/${this.path}/blobs/${digest}`, scopes: this.scopes, what });
    res.body.resume();
    if (res.status === 404) return undefined;
    if (res.status !== 200) return this.unexpected(res, what);
    const len = res.headers['content-length'];
    return len !== undefined ? Number(len) : -1;
  }

  /**
   * GET a blob from `offset` on (Range, when > 0). One attempt: the caller resumes and retries.
   * Resolves the open response: status 200 (whole blob) or 206 (from offset).
   */
  async openBlob(digest: string, offset: number): Promise<HttpResponse> {
    const what = `blob ${digest}`;
    const headers: Record<string, string> = {};
    if (offset > 0) headers.Range = `bytes=${offset}-`;
    const res = await this.endpoint.request({ method: 'GET', url: `/v2/${this.path}/blobs/${digest}`, headers, scopes: this.scopes, what, retry: false });
    if (res.status === 200 || res.status === 206) return res;
    if (res.status === 416 && offset > 0) {
      res.body.resume();
      return this.openBlob(digest, 0);
    }
    return this.unexpected(res, what);
  }

  /**
   * GET a small blob (a config) whole: exactly SIZE bytes, its descriptor's, then verified.
   * A Content-Length that differs fails at once, a body longer than SIZE when its byte
   * SIZE+1 arrives, a shorter one at its end. WHERE names the descriptor in messages.
   */
  async getBlobBytes(digest: string, size: number, where: string, limit = CONFIG_LIMIT): Promise<Buffer> {
    if (size > limit) refuseManifest(`${where}: size ${size} is more than the ${limit >> 20} MiB hx accepts for it`);
    return withRetries(this.endpoint.session.retryPolicy(), async () => {
      const res = await this.openBlob(digest, 0);
      const length = res.headers['content-length'];
      if (length !== undefined && Number(length) !== size) {
        res.body.destroy();
        refuseSize(size, Number(length), where, refuseManifest);
      }
      const bytes = await readBody(res, size, () => refuseSize(size, undefined, where, refuseManifest));
      if (bytes.length !== size) refuseSize(size, bytes.length, where, refuseManifest);
      const actual = digestOf(bytes, digest.split(':')[0]!);
      if (actual !== digest) throw new DigestMismatchError(`${this.name} blob ${digest}`, digest, actual);
      return bytes;
    });
  }

  /**
   * Start an upload; with `mountFrom`, ask for a cross-repository mount first.
   * 201 = mounted (done); 202 = an upload session (mount refused or not asked).
   */
  async startUpload(mount?: { digest: string; from: string }): Promise<{ mounted: true } | { mounted: false; location: URL; minChunk: number }> {
    let url = `/v2/${this.path}/blobs/uploads/`;
    let scopes = this.scopes;
    if (mount) {
      url += `?mount=${encodeURIComponent(mount.digest)}&from=${encodeURIComponent(mount.from)}`;
      scopes = mergeScopes(this.scopes, [{ repository: mount.from, actions: ['pull'] }]);
    }
    const what = mount ? `mount of ${mount.digest} from ${mount.from}` : 'upload start';
    const res = await this.endpoint.request({ method: 'POST', url, scopes, what });
    res.body.resume();
    if (res.status === 201 && mount) return { mounted: true };
    if (res.status !== 202) return this.unexpected(res, what);
    const min = Number(res.headers['oci-chunk-min-length'] ?? 0);
    return { mounted: false, location: this.location(res, what), minChunk: Number.isSafeInteger(min) && min > 0 ? min : 0 };
  }

  /** Can a mount from `from` work? False when the token says we may not pull there. */
  async mayMountFrom(from: string): Promise<boolean> {
    const scopes = mergeScopes(this.scopes, [{ repository: from, actions: ['pull'] }]);
    try {
      const granted = await this.endpoint.auth.granted(scopes, from);
      return granted === undefined || granted.has('pull') || granted.has('*');
    } catch {
      return false;
    }
  }

  /** The actions the registry's token grants here, when the token says (undefined: unknown). */
  async grantedActions(): Promise<Set<string> | undefined> {
    await this.endpoint.ensureChallenge();
    return this.endpoint.auth.granted(this.scopes, this.path);
  }

  /** Upload `Location`s are used exactly as given: relative or absolute, query included. */
  location(res: HttpResponse, what: string): URL {
    const loc = res.headers.location;
    if (!loc) throw new HxError(`${this.endpoint.name} answered ${what} without a Location header`);
    return new URL(loc, res.url);
  }

  /** URL with `digest` added to the upload location's own query. */
  static withDigest(location: URL, digest: string): URL {
    const u = new URL(location.href);
    u.searchParams.append('digest', digest);
    return u;
  }

  /** Finish an upload (monolithic when `body` carries the whole blob, or empty after chunks). */
  async completeUpload(location: URL, digest: string, body: Buffer | (() => Readable) | undefined, size: number): Promise<void> {
    const what = `upload of ${digest}`;
    const headers: Record<string, string> = { 'Content-Type': 'application/octet-stream' };
    if (body && !Buffer.isBuffer(body)) headers['Content-Length'] = String(size);
    const res = await this.endpoint.request({
      method: 'PUT',
      url: RepositoryClient.withDigest(location, digest),
      headers,
      ...(body ? { body } : {}),
      scopes: this.scopes,
      what,
      retry: false,
    });
    if (res.status !== 201 && res.status !== 204 && res.status !== 200) return this.unexpected(res, what);
    res.body.resume();
  }

  /** Send one chunk with PATCH; returns the next Location. */
  async uploadChunk(location: URL, chunk: Buffer, start: number): Promise<URL> {
    const what = `upload chunk at ${start}`;
    const res = await this.endpoint.request({
      method: 'PATCH',
      url: location,
      headers: { 'Content-Type': 'application/octet-stream', 'Content-Range': `${start}-${start + chunk.length - 1}` },
      body: chunk,
      scopes: this.scopes,
      what,
      retry: false,
    });
    if (res.status !== 202) return this.unexpected(res, what);
    res.body.resume();
    return this.location(res, what);
  }

  /** Cancel an upload session (best effort). */
  async cancelUpload(location: URL): Promise<void> {
    try {
      const res = await this.endpoint.request({ method: 'DELETE', url: location, scopes: this.scopes, what: 'upload cancel', retry: false });
      res.body.resume();
    } catch {
      /* the session expires on its own */
    }
  }
}
