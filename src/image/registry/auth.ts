// Registry authentication per the challenge a registry sends (distribution's token spec):
// Basic with stored credentials, or Bearer tokens fetched from the realm for a set of
// scopes, cached per scope set until shortly before they expire.
import { HxError } from '../../errors.js';
import type { Challenge } from './challenge.js';
import type { Credentials } from './credentials.js';
import { AuthError, describeErrors, parseErrorBody } from './errors.js';
import { readBody, type HttpClient } from './http.js';

export type Action = 'pull' | 'push' | 'delete' | '*';

export interface Scope {
  repository: string;
  actions: Action[];
}

export function scopeString(s: Scope): string {
  return `repository:${s.repository}:${s.actions.join(',')}`;
}

function parseScopeString(text: string): Scope[] {
  // "repository:a/b:pull,push repository:c:pull" (space-separated in one param)
  return text
    .split(' ')
    .filter(Boolean)
    .map((s) => {
      const m = /^repository(?:\([^)]*\))?:(.+):([^:]*)$/.exec(s);
      return m ? { repository: m[1]!, actions: m[2]!.split(',').filter(Boolean) as Action[] } : undefined;
    })
    .filter((s): s is Scope => s !== undefined);
}

/** Union of scope lists, one entry per repository with the union of actions. */
export function mergeScopes(...lists: Scope[][]): Scope[] {
  const byRepo = new Map<string, Set<Action>>();
  for (const list of lists) for (const s of list) {
    const set = byRepo.get(s.repository) ?? new Set<Action>();
    for (const a of s.actions) set.add(a);
    byRepo.set(s.repository, set);
  }
  const order: Action[] = ['pull', 'push', 'delete', '*'];
  return [...byRepo.entries()].sort(([a], [b]) => a.localeCompare(b)).map(([repository, set]) => ({
    repository,
    actions: order.filter((a) => set.has(a)),
  }));
}

interface CachedToken {
  token: string;
  expiresAt: number;
  /** Actions per repository the token grants, when it is a JWT that says so. */
  granted: Map<string, Set<string>> | undefined;
}

/** Read the `access` claim of a JWT (the token is opaque by spec; most servers issue JWTs). */
function grantsOf(token: string): Map<string, Set<string>> | undefined {
  const parts = token.split('.');
  if (parts.length !== 3) return undefined;
  try {
    const claims = JSON.parse(Buffer.from(parts[1]!, 'base64url').toString('utf8')) as { access?: { type?: string; name?: string; actions?: string[] }[] };
    if (!Array.isArray(claims.access)) return undefined;
    const map = new Map<string, Set<string>>();
    for (const a of claims.access) {
      if (a.type !== 'repository' || typeof a.name !== 'string') continue;
      const set = map.get(a.name) ?? new Set<string>();
      for (const action of a.actions ?? []) set.add(action);
      map.set(a.name, set);
    }
    return map;
  } catch {
    return undefined;
  }
}

export interface AuthContext {
  /** The registry's name for messages and `hx login` hints. */
  registry: string;
  http: HttpClient;
  credentials: () => Promise<Credentials | undefined>;
  /** May the realm be plain http? (Only for insecure or loopback registries.) */
  allowHttpRealm: (url: URL) => boolean;
}

export class Authenticator {
  private challenge: Challenge | undefined;
  private readonly tokens = new Map<string, CachedToken>();
  private readonly pending = new Map<string, Promise<CachedToken>>();

  constructor(private readonly ctx: AuthContext) {}

  get scheme(): string | undefined {
    return this.challenge?.scheme;
  }

  /** Remember what a 401 asked for; returns the scopes the challenge names. */
  learn(challenges: Challenge[]): Scope[] | undefined {
    const chosen = challenges.find((c) => c.scheme === 'bearer') ?? challenges.find((c) => c.scheme === 'basic');
    if (!chosen) return undefined;
    this.challenge = chosen;
    return chosen.params.scope ? parseScopeString(chosen.params.scope) : [];
  }

  forget(scopes: Scope[]): void {
    this.tokens.delete(scopes.map(scopeString).join(' '));
  }

  /** The Authorization header value for a request needing `scopes`, or undefined (anonymous). */
  async header(scopes: Scope[]): Promise<string | undefined> {
    const c = this.challenge;
    if (!c) return undefined;
    if (c.scheme === 'basic') {
      const creds = await this.ctx.credentials();
      return creds ? `Basic ${Buffer.from(`${creds.username}:${creds.password}`).toString('base64')}` : undefined;
    }
    if (c.scheme === 'bearer') return `Bearer ${(await this.token(scopes)).token}`;
    return undefined;
  }

  /**
   * The actions the current token for `scopes` grants on `repository`, when the token tells
   * (a JWT with an access claim); undefined when unknown.
   */
  async granted(scopes: Scope[], repository: string): Promise<Set<string> | undefined> {
    if (this.challenge?.scheme !== 'bearer') return undefined;
    const t = await this.token(scopes);
    return t.granted ? t.granted.get(repository) ?? new Set() : undefined;
  }

  private token(scopes: Scope[]): Promise<CachedToken> {
    const key = scopes.map(scopeString).join(' ');
    const cached = this.tokens.get(key);
    if (cached && cached.expiresAt > Date.now()) return Promise.resolve(cached);
    let p = this.pending.get(key);
    if (!p) {
      p = this.fetchToken(scopes).then(
        (t) => {
          this.tokens.set(key, t);
          this.pending.delete(key);
          return t;
        },
        (e: unknown) => {
          this.pending.delete(key);
          throw e;
        },
      );
      this.pending.set(key, p);
    }
    return p;
  }

  private async fetchToken(scopes: Scope[]): Promise<CachedToken> {
    const c = this.challenge!;
    const realm = c.params.realm;
    if (!realm) throw new HxError(`${this.ctx.registry} asked for a Bearer token but named no realm`);
    let url: URL;
    try {
      url = new URL(realm);
    } catch {
      throw new HxError(`${this.ctx.registry} named an invalid token realm "${realm}"`);
    }
    if (url.protocol !== 'https:' && !(url.protocol === 'http:' && this.ctx.allowHttpRealm(url))) {
      throw new HxError(`${this.ctx.registry} sends credentials to ${realm}, which is not https`, {
        hint: 'mark the registry "insecure" in the registries config if this is intended',
      });
    }
    const creds = await this.ctx.credentials();
    const headers: Record<string, string> = {};
    let res;
    if (creds?.identityToken) {
      // OAuth2 refresh-token grant (docker's identitytoken).
      const form = new URLSearchParams({ grant_type: 'refresh_token', refresh_token: creds.identityToken, client_id: 'hx' });
      if (c.params.service) form.set('service', c.params.service);
      if (scopes.length) form.set('scope', scopes.map(scopeString).join(' '));
      res = await this.ctx.http.send({
        method: 'POST',
        url,
        headers: { 'Content-Type': 'application/x-www-form-urlencoded' },
        body: Buffer.from(form.toString()),
      });
    } else {
      if (c.params.service) url.searchParams.set('service', c.params.service);
      for (const s of scopes) url.searchParams.append('scope', scopeString(s));
      if (creds) {
        url.searchParams.set('account', creds.username);
        headers.Authorization = `Basic ${Buffer.from(`${creds.username}:${creds.password}`).toString('base64')}`;
      }
      res = await this.ctx.http.send({ method: 'GET', url, headers });
    }
    const body = await readBody(res, 1 << 20);
    if (res.status === 401 || res.status === 403) {
      const detail = describeErrors(parseErrorBody(body), `HTTP ${res.status}`);
      if (creds) {
        throw new AuthError(
          `login to ${this.ctx.registry} failed: wrong username or password (${detail}; credentials from ${creds.source})`,
          res.status,
          true,
          `run \`hx login ${this.ctx.registry}\` again with the right credentials`,
        );
      }
      throw new AuthError(`${this.ctx.registry} requires authentication (${detail})`, res.status, false, `run \`hx login ${this.ctx.registry}\``);
    }
    if (res.status !== 200) {
      throw new HxError(`token server ${url.host} for ${this.ctx.registry} answered HTTP ${res.status}: ${describeErrors(parseErrorBody(body), body.toString('utf8').slice(0, 200))}`);
    }
    let doc: { token?: string; access_token?: string; expires_in?: number; issued_at?: string };
    try {
      doc = JSON.parse(body.toString('utf8')) as typeof doc;
    } catch {
      throw new HxError(`token server ${url.host} for ${this.ctx.registry} sent a body that is not JSON`);
    }
    const token = doc.token || doc.access_token;
    if (!token) throw new HxError(`token server ${url.host} for ${this.ctx.registry} sent no token`);
    const lifetimeS = typeof doc.expires_in === 'number' && doc.expires_in > 0 ? doc.expires_in : 60;
    const issued = doc.issued_at ? Date.parse(doc.issued_at) : NaN;
    const start = Number.isNaN(issued) ? Date.now() : Math.min(Date.now(), issued);
    // Refresh a little early so a token does not expire between check and use.
    const expiresAt = start + lifetimeS * 1000 - Math.min(10_000, lifetimeS * 100);
    return { token, expiresAt, granted: grantsOf(token) };
  }
}
