// The registry half of the Engine API: pull, push, login, logout. Pull and push expect to
// run where layer files can be written (rootful, or inside the rootless namespace);
// login and logout touch only the auth file. Progress arrives as RegistryEvents.
import { parsePlatform } from '../image/platform.js';
import { DEFAULT_DOMAIN, familiarName, parseNormalized, parseReference, repositoryName } from '../image/reference.js';
import { RegistrySession } from '../image/registry/client.js';
import type { RegistryEvent, RegistryEventSink } from '../image/registry/events.js';
import { pullImage, type PullResult } from '../image/registry/pull.js';
import { storeDestination } from '../image/store-destination.js';
import { UsageError } from '../errors.js';
import type { EngineContext } from './context.js';
import { imageEvent } from './events.js';

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

function session(ctx: EngineContext, opts: RegistryOptions, onEvent: RegistryEventSink): RegistrySession {
  return new RegistrySession({
    files: ctx.files,
    tlsVerify: opts.tlsVerify,
    authFile: opts.authFile,
    onRetry: (n) => onEvent({ type: 'retry', what: n.host, reason: n.reason, delayMs: n.delayMs, attempt: n.attempt }),
  });
}

/** `hx pull REF`: the image for this platform, verified, in the store. */
export async function pull(ctx: EngineContext, ref: string, opts: PullOptions = {}, onEvent: RegistryEventSink = () => {}): Promise<PullResult> {
  const reference = parseNormalized(ref);
  const platform = opts.platform ? parsePlatform(opts.platform) : undefined;
  const s = session(ctx, opts, onEvent);
  try {
    const result = await pullImage({ reference, platform, session: s, destination: storeDestination(ctx.store, ctx.layerContext()), onEvent });
    imageEvent(ctx.store, 'pull', familiarName(reference), familiarName(reference));
    return result;
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
export async function login(ctx: EngineContext, registry: string, username: string, password: string, opts: RegistryOptions = {}): Promise<LoginResult> {
  const name = normalizeRegistryName(registry || DEFAULT_DOMAIN);
  if (!username) throw new UsageError('a username is required', 'pass -u USER');
  if (!password) throw new UsageError('a password is required', 'pass --password-stdin and the password on standard input');
  const s = new RegistrySession({ files: ctx.files, tlsVerify: opts.tlsVerify, credentials: { username, password, source: 'the command line' } });
  try {
    await s.endpoint(name).checkLogin();
  } finally {
    s.close();
  }
  const { saveCredentials } = await import('../image/registry/auth-store.js');
  const authFile = opts.authFile || ctx.files.authFile;
  saveCredentials(authFile, name, username, password);
  return { registry: name, authFile };
}

export interface LogoutResult extends LoginResult {
  /** false: there was nothing saved for it (docker: "Not logged in to ...", exit 0). */
  removed: boolean;
  /** Where the credentials hx still finds for it come from, when not from hx's own file. */
  elsewhere?: string;
}

/** Remove saved credentials for a registry (or all of them). */
export async function logout(ctx: EngineContext, registry: string | undefined, opts: RegistryOptions = {}): Promise<LogoutResult> {
  const { removeCredentials } = await import('../image/registry/auth-store.js');
  const authFile = opts.authFile || ctx.files.authFile;
  const name = registry === undefined ? undefined : normalizeRegistryName(registry);
  const removed = removeCredentials(authFile, name);
  const result: LogoutResult = { registry: name ?? 'all registries', authFile, removed };
  if (!removed && name) {
    const { findCredentials } = await import('../image/registry/credentials.js');
    const elsewhere = await findCredentials(ctx.files, name).catch(() => undefined);
    if (elsewhere) result.elsewhere = elsewhere.source;
  }
  return result;
}

export type { RegistryEventSink };

export interface PushOptions extends RegistryOptions {
  format?: 'oci' | 'v2s2' | undefined;
}

/** `hx push IMAGE [DEST]`: DEST defaults to IMAGE's own name. */
export async function push(ctx: EngineContext, source: string, destination: string | undefined, opts: PushOptions = {}, onEvent: RegistryEventSink = () => {}) {
  const { resolveImage } = await import('../image/resolve.js');
  const { pushImage } = await import('../image/registry/push.js');
  const { StoreImage } = await import('../image/store-source.js');
  if (opts.format !== undefined && opts.format !== 'oci' && opts.format !== 'v2s2') {
    throw new UsageError(`unknown manifest format "${String(opts.format)}"`, 'use --format oci or --format v2s2');
  }
  const store = ctx.store;
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
  const src = await StoreImage.open(store, image);
  let temp: { path: string; release(remove?: boolean): void } | undefined;
  let s: RegistrySession | undefined;
  try {
    temp = store.tempDir('push');
    s = session(ctx, opts, onEvent);
    const result = await pushImage({ image: src, destination: destRef, format: opts.format, session: s, workDir: temp.path, onEvent });
    // Record where the image now is, like docker's RepoDigests after a push.
    await store.locked(() => {
      const fresh = store.getImage(image.id);
      const entry = `${repositoryName(destRef)}@${result.digest}`;
      if (fresh && !fresh.repoDigests.includes(entry)) store.putImage({ ...fresh, repoDigests: [...fresh.repoDigests, entry] });
    });
    imageEvent(store, 'push', familiarName(destRef), familiarName(destRef));
    return result;
  } finally {
    s?.close();
    temp?.release(true);
    src.release();
  }
}
