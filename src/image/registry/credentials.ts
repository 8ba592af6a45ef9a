// Where registry credentials come from, in this order (the first file that knows the
// registry wins):
//   1. --authfile / $HX_AUTH_FILE, or hx's own $XDG_CONFIG_HOME/hx/auth.json (what `hx login` writes)
//   2. $XDG_RUNTIME_DIR/containers/auth.json and $XDG_CONFIG_HOME/containers/auth.json (podman, skopeo)
//   3. $DOCKER_CONFIG/config.json or ~/.docker/config.json (docker), including credHelpers and
//      credsStore through the docker-credential-* helper protocol.
// Keys may be `host`, `https://host`, `host/v1/`, or `host/namespace[/repo]` (most specific wins).
import { execFile } from 'node:child_process';
import { readFileSync } from 'node:fs';
import { HxError } from '../../errors.js';
import { DEFAULT_DOMAIN } from '../reference.js';
import type { UserFiles } from '../../host/user-files.js';

export interface Credentials {
  username: string;
  password: string;
  /** An OAuth2 refresh token (docker's identitytoken): sent to the token endpoint instead of a password. */
  identityToken?: string;
  /** Where they came from, for messages (a file path or `docker-credential-NAME`). */
  source: string;
}

interface AuthEntry {
  auth?: string;
  username?: string;
  password?: string;
  identitytoken?: string;
}

export interface AuthFileShape {
  auths?: Record<string, AuthEntry>;
  credHelpers?: Record<string, string>;
  credsStore?: string;
}

const DOCKER_HUB_SERVER_URL = 'https://index.docker.io/v1/';

/** The files consulted, in order. An explicit --authfile replaces hx's own file. */
export function authFilesInOrder(files: UserFiles, explicit?: string): string[] {
  return [explicit || files.authFile, ...files.containersAuthFiles, files.dockerConfig];
}

export function readAuthFile(path: string): AuthFileShape | undefined {
  let text: string;
  try {
    text = readFileSync(path, 'utf8');
  } catch {
    return undefined;
  }
  try {
    const doc = JSON.parse(text) as AuthFileShape;
    return doc && typeof doc === 'object' ? doc : undefined;
  } catch {
    throw new HxError(`${path} is not valid JSON`, { hint: 'fix or remove the file' });
  }
}

/** `https://host/v1/` -> `host`; `host/ns/repo` stays. */
export function normalizeAuthKey(key: string): string {
  let k = key.replace(/^https?:\/\//, '');
  k = k.replace(/\/(v1|v2)\/?$/, '').replace(/\/+$/, '');
  if (k === 'index.docker.io' || k === 'registry-1.docker.io') k = DEFAULT_DOMAIN;
  return k;
}

/** The entry key that best matches registry+repository: the longest key that is the registry or a path prefix under it. */
export function matchAuthKey(keys: string[], registry: string, repository?: string): string | undefined {
  const full = repository ? `${registry}/${repository}` : registry;
  let best: string | undefined;
  let bestLength = -1;
  for (const key of keys) {
    const k = normalizeAuthKey(key);
    const ok = k === registry || (full.startsWith(k + '/') && k.startsWith(registry + '/')) || k === full;
    if (ok && k.length > bestLength) {
      best = key;
      bestLength = k.length;
    }
  }
  return best;
}

function fromEntry(entry: AuthEntry, source: string, key: string): Credentials | undefined {
  let username = entry.username ?? '';
  let password = entry.password ?? '';
  if (entry.auth) {
    const decoded = Buffer.from(entry.auth, 'base64').toString('utf8');
    const colon = decoded.indexOf(':');
    if (colon < 0) throw new HxError(`${source}: the "auth" entry for ${key} is not base64 of user:password`);
    username = decoded.slice(0, colon);
    password = decoded.slice(colon + 1);
  }
  if (entry.identitytoken) return { username, password, identityToken: entry.identitytoken, source };
  if (!username && !password) return undefined;
  return { username, password, source };
}

/** The server URL a credential helper knows a registry by (docker's convention). */
export function helperServerUrl(registry: string): string {
  return registry === DEFAULT_DOMAIN ? DOCKER_HUB_SERVER_URL : registry;
}

/** Run `docker-credential-NAME ACTION` with `input` on stdin; resolves stdout, rejects with stderr. */
export function runCredentialHelper(name: string, action: 'get' | 'store' | 'erase', input: string): Promise<string> {
  const program = `docker-credential-${name}`;
  return new Promise((resolve, reject) => {
    const child = execFile(program, [action], { timeout: 30_000, maxBuffer: 1 << 20 }, (error, stdout, stderr) => {
      if (error) {
        const why = (error as NodeJS.ErrnoException).code === 'ENOENT' ? 'not found in PATH' : (String(stdout).trim() || String(stderr).trim() || error.message);
        reject(new HxError(`credential helper ${program} ${action} failed: ${why}`, { hint: `install ${program} or remove it from the docker config` }));
      } else resolve(String(stdout));
    });
    child.stdin?.end(input);
  });
}

async function fromHelper(name: string, registry: string): Promise<Credentials | undefined> {
  let out: string;
  try {
    out = await runCredentialHelper(name, 'get', helperServerUrl(registry));
  } catch (e) {
    // The protocol's "no credentials" answer is an error exit with this text.
    if (e instanceof HxError && /credentials not found/i.test(e.message)) return undefined;
    throw e;
  }
  let doc: { Username?: string; Secret?: string };
  try {
    doc = JSON.parse(out) as typeof doc;
  } catch {
    throw new HxError(`docker-credential-${name} get printed something that is not JSON`);
  }
  const source = `docker-credential-${name}`;
  if (doc.Username === '<token>') return { username: '', password: '', identityToken: doc.Secret ?? '', source };
  if (!doc.Username && !doc.Secret) return undefined;
  return { username: doc.Username ?? '', password: doc.Secret ?? '', source };
}

/** Find credentials for a registry (and repository), or undefined for anonymous access. */
export async function findCredentials(files: UserFiles, registry: string, repository?: string, explicitAuthFile?: string): Promise<Credentials | undefined> {
  for (const path of authFilesInOrder(files, explicitAuthFile)) {
    const doc = readAuthFile(path);
    if (!doc) continue;
    const helperKey = matchAuthKey(Object.keys(doc.credHelpers ?? {}), registry, repository);
    if (helperKey) {
      const found = await fromHelper(doc.credHelpers![helperKey]!, registry);
      if (found) return found;
    }
    const key = matchAuthKey(Object.keys(doc.auths ?? {}), registry, repository);
    if (key) {
      const found = fromEntry(doc.auths![key]!, path, key);
      if (found) return found;
    }
    if (doc.credsStore) {
      const found = await fromHelper(doc.credsStore, registry);
      if (found) return found;
    }
  }
  return undefined;
}
