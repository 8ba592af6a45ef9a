// The registry half of the Engine API: pull, push, login, logout. Pull and push expect to
// run where layer files can be written (rootful, or inside the rootless namespace);
// login and logout touch only the auth file. Progress arrives as RegistryEvents.
import { layerContext } from '../layer/context.js';
import { parsePlatform } from '../image/platform.js';
import { DEFAULT_DOMAIN, parseNormalized, parseReference } from '../image/reference.js';
import { RegistrySession } from '../image/registry/client.js';
import { hxAuthFile } from '../image/registry/credentials.js';
import type { RegistryEvent, RegistryEventSink } from '../image/registry/events.js';
import { pullImage, type PullResult } from '../image/registry/pull.js';
import { HxError, UsageError } from '../errors.js';
import { openStore } from './images.js';

export type { RegistryEvent, PullResult };

export interface RegistryOptions {
  /** false: no TLS verification and plain http allowed, for every registry this command contacts. */
  tlsVerify?: boolean | undefined;
  /** Credentials file to read (and, for login/logout, to write) instead of hx's own. */
  authFile?: string | undefined;
}

export interface PullOptions extends RegistryOptions {
  /** os/arch[/variant]; the host's platform by default. */
  platform?: string | undefined;
}

function session(opts: RegistryOptions, onEvent: RegistryEventSink): RegistrySession {
  return new RegistrySession({
    tlsVerify: opts.tlsVerify,
    authFile: opts.authFile,
    onRetry: (n) => onEvent({ type: 'retry', what: n.host, reason: n.reason, delayMs: n.delayMs, attempt: n.attempt }),
  });
}

/** `hx pull REF`: the image for this platform, verified, in the store. */
export async function pull(ref: string, opts: PullOptions = {}, onEvent: RegistryEventSink = () => {}): Promise<PullResult> {
  const reference = parseNormalized(ref);
  const platform = opts.platform ? parsePlatform(opts.platform) : undefined;
  const s = session(opts, onEvent);
  try {
    return await pullImage({ reference, platform, session: s, store: openStore(), layerContext: layerContext(), onEvent });
  } finally {
    s.close();
  }
}

/** `docker.io`, `https://index.docker.io/v1/`, `host:5000/` -> the registry name references use. */
export function normalizeRegistryName(input: string): string {
  let name = input.trim().replace(/^https?:\/\//, '').replace(/\/+$/, '');
  name = name.replace(/\/v[12]$/, '');
  if (name === 'index.docker.io' || name === 'registry-1.docker.io') return DEFAULT_DOMAIN;
  if (!name || name.includes('/')) {
    // `hx login host/namespace` is not a registry; say what is.
    throw new UsageError(`"${input}" is not a registry name`, 'give the registry host, e.g. hx login quay.io or hx login localhost:5000');
  }
  try {
    parseReference(`${name}/x`);
  } catch {
    throw new UsageError(`"${input}" is not a valid registry host`);
  }
  return name;
}

export interface LoginResult {
  registry: string;
  authFile: string;
}

/** Check USER/PASSWORD against the registry (GET /v2/, token server if it uses one), then save them. */
export async function login(registry: string, username: string, password: string, opts: RegistryOptions = {}): Promise<LoginResult> {
  const name = normalizeRegistryName(registry || DEFAULT_DOMAIN);
  if (!username) throw new UsageError('a username is required', 'pass -u USER');
  if (!password) throw new UsageError('a password is required', 'pass --password-stdin and the password on standard input');
  const s = new RegistrySession({ tlsVerify: opts.tlsVerify, credentials: { username, password, source: 'the command line' } });
  try {
    await s.endpoint(name).checkLogin();
  } finally {
    s.close();
  }
  const { saveCredentials } = await import('../image/registry/auth-store.js');
  const authFile = opts.authFile || hxAuthFile();
  saveCredentials(authFile, name, username, password);
  return { registry: name, authFile };
}

/** Remove saved credentials for a registry (or all of them). */
export async function logout(registry: string | undefined, opts: RegistryOptions = {}): Promise<LoginResult> {
  const { removeCredentials } = await import('../image/registry/auth-store.js');
  const authFile = opts.authFile || hxAuthFile();
  const name = registry === undefined ? undefined : normalizeRegistryName(registry);
  if (!removeCredentials(authFile, name)) {
    const { findCredentials } = await import('../image/registry/credentials.js');
    const elsewhere = name ? await findCredentials(name).catch(() => undefined) : undefined;
    throw new HxError(name ? `not logged in to ${name}` : 'no saved credentials', {
      hint: elsewhere ? `the credentials hx uses for ${name} come from ${elsewhere.source}, which hx logout does not change` : `hx keeps credentials in ${authFile}`,
    });
  }
  return { registry: name ?? 'all registries', authFile };
}

export type { RegistryEventSink };
export { HxError };

export interface PushOptions extends RegistryOptions {
  format?: 'oci' | 'v2s2' | undefined;
}

/** `hx push IMAGE [DEST]`: DEST defaults to IMAGE's own name. */
export async function push(source: string, destination: string | undefined, opts: PushOptions = {}, onEvent: RegistryEventSink = () => {}) {
  const { resolveImage } = await import('../image/resolve.js');
  const { pushImage } = await import('../image/registry/push.js');
  if (opts.format !== undefined && opts.format !== 'oci' && opts.format !== 'v2s2') {
    throw new UsageError(`unknown manifest format "${String(opts.format)}"`, 'use --format oci or --format v2s2');
  }
  const store = openStore();
  const image = resolveImage(store, source);
  let destRef;
  if (destination !== undefined) destRef = parseNormalized(destination);
  else {
    let parsed;
    try {
      parsed = parseReference(source);
    } catch {
      parsed = undefined;
    }
    if (!parsed || /^(sha256:)?[a-f0-9]{1,64}$/.test(source)) {
      throw new UsageError(`"${source}" is an image ID, not a name to push to`, `give a destination: hx push ${source} HOST/REPO:TAG`);
    }
    destRef = parseNormalized(source);
  }
  const s = session(opts, onEvent);
  try {
    return await pushImage({ image, destination: destRef, format: opts.format, session: s, store, onEvent });
  } finally {
    s.close();
  }
}
