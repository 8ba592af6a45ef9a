// Registry settings: insecure registries, mirrors, CA files, concurrency and timeouts.
// Read from /etc/hx/registries.json, then the user's $XDG_CONFIG_HOME/hx/registries.json
// (or $HX_REGISTRIES_CONF alone); documented in docs/REGISTRIES.md.
import { readFileSync } from 'node:fs';
import { homedir } from 'node:os';
import { join } from 'node:path';
import { HxError } from '../../errors.js';

export interface RegistrySettings {
  /** TLS without verification, and plain http when the registry does not speak TLS. */
  insecure: boolean;
  /** Extra CA certificate files (PEM) trusted for this registry. */
  caFiles: string[];
  /** Pull-only mirrors tried in order before the registry: host[:port][/path-prefix]. */
  mirrors: string[];
}

export interface RegistryConfig {
  /** Per registry host[:port] (as references name it: docker.io, localhost:5000). */
  registries: Record<string, Partial<RegistrySettings>>;
  /** CA files trusted for every registry. */
  caFiles: string[];
  maxConcurrentDownloads: number;
  maxConcurrentUploads: number;
  /** Bounded waits: no bytes for this long on a connection -> the attempt fails. */
  timeoutMs: number;
  /** Retries after a 5xx, a 429 or a dropped connection. */
  retries: number;
  /** Upper bound on one backoff or Retry-After wait. */
  maxRetryDelayMs: number;
  /** Uploads larger than this are sent in chunks of this size (0: always monolithic). */
  chunkSize: number;
  /** The files the settings came from (for messages). */
  sources: string[];
}

const DEFAULTS: Omit<RegistryConfig, 'registries' | 'caFiles' | 'sources'> = {
  maxConcurrentDownloads: 3,
  maxConcurrentUploads: 3,
  timeoutMs: 30_000,
  retries: 4,
  maxRetryDelayMs: 30_000,
  chunkSize: 0,
};

export function userConfigDir(): string {
  return join(process.env.XDG_CONFIG_HOME || join(process.env.HOME || homedir(), '.config'), 'hx');
}

export function registriesConfigPaths(): string[] {
  if (process.env.HX_REGISTRIES_CONF) return [process.env.HX_REGISTRIES_CONF];
  return ['/etc/hx/registries.json', join(userConfigDir(), 'registries.json')];
}

interface FileShape {
  registries?: Record<string, { insecure?: unknown; ca?: unknown; mirrors?: unknown }>;
  ca?: unknown;
  maxConcurrentDownloads?: unknown;
  maxConcurrentUploads?: unknown;
  timeoutSeconds?: unknown;
  retries?: unknown;
  maxRetryDelaySeconds?: unknown;
  chunkSizeBytes?: unknown;
}

function badConfig(path: string, what: string): HxError {
  return new HxError(`${path}: ${what}`, { hint: 'see docs/REGISTRIES.md for the format' });
}

function stringList(v: unknown, path: string, field: string): string[] {
  if (v === undefined) return [];
  if (typeof v === 'string') return [v];
  if (Array.isArray(v) && v.every((x) => typeof x === 'string')) return v as string[];
  throw badConfig(path, `"${field}" must be a string or a list of strings`);
}

function positive(v: unknown, path: string, field: string, allowZero = false): number | undefined {
  if (v === undefined) return undefined;
  if (typeof v !== 'number' || !Number.isFinite(v) || v < 0 || (!allowZero && v === 0)) throw badConfig(path, `"${field}" must be a positive number`);
  return v;
}

/** Load and merge the config files; a missing file is fine, a malformed one is an error. */
export function loadRegistryConfig(paths = registriesConfigPaths()): RegistryConfig {
  const config: RegistryConfig = { ...DEFAULTS, registries: {}, caFiles: [], sources: [] };
  for (const path of paths) {
    let text: string;
    try {
      text = readFileSync(path, 'utf8');
    } catch (e) {
      if ((e as NodeJS.ErrnoException).code === 'ENOENT') continue;
      throw badConfig(path, `cannot read: ${(e as Error).message}`);
    }
    let doc: FileShape;
    try {
      doc = JSON.parse(text) as FileShape;
    } catch (e) {
      throw badConfig(path, `not valid JSON (${(e as Error).message})`);
    }
    config.sources.push(path);
    for (const [host, entry] of Object.entries(doc.registries ?? {})) {
      if (!entry || typeof entry !== 'object') throw badConfig(path, `registries["${host}"] must be an object`);
      const merged: Partial<RegistrySettings> = { ...config.registries[host] };
      if (entry.insecure !== undefined) {
        if (typeof entry.insecure !== 'boolean') throw badConfig(path, `registries["${host}"].insecure must be true or false`);
        merged.insecure = entry.insecure;
      }
      if (entry.ca !== undefined) merged.caFiles = stringList(entry.ca, path, `registries["${host}"].ca`);
      if (entry.mirrors !== undefined) merged.mirrors = stringList(entry.mirrors, path, `registries["${host}"].mirrors`);
      config.registries[host] = merged;
    }
    config.caFiles.push(...stringList(doc.ca, path, 'ca'));
    config.maxConcurrentDownloads = positive(doc.maxConcurrentDownloads, path, 'maxConcurrentDownloads') ?? config.maxConcurrentDownloads;
    config.maxConcurrentUploads = positive(doc.maxConcurrentUploads, path, 'maxConcurrentUploads') ?? config.maxConcurrentUploads;
    const timeout = positive(doc.timeoutSeconds, path, 'timeoutSeconds');
    if (timeout !== undefined) config.timeoutMs = timeout * 1000;
    config.retries = positive(doc.retries, path, 'retries', true) ?? config.retries;
    const maxDelay = positive(doc.maxRetryDelaySeconds, path, 'maxRetryDelaySeconds');
    if (maxDelay !== undefined) config.maxRetryDelayMs = maxDelay * 1000;
    config.chunkSize = positive(doc.chunkSizeBytes, path, 'chunkSizeBytes', true) ?? config.chunkSize;
  }
  return config;
}

/** The settings for one registry host[:port]. */
export function settingsFor(config: RegistryConfig, host: string): RegistrySettings {
  const entry = config.registries[host] ?? {};
  return { insecure: entry.insecure ?? false, caFiles: [...config.caFiles, ...(entry.caFiles ?? [])], mirrors: entry.mirrors ?? [] };
}
