// Registry settings: insecure registries, mirrors, CA files, concurrency and timeouts.
// Read from /etc/hx/registries.json, then the user's $XDG_CONFIG_HOME/hx/registries.json
// (or $HX_REGISTRIES_CONF alone); documented in docs/REGISTRIES.md.
import { readFileSync } from 'node:fs';
import { HxError } from '../../errors.js';
import { isLoopbackHost } from '../reference.js';

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
  /** docker's `insecure-registries`: more hosts (HOST[:PORT]) and IPv4 CIDRs treated as insecure. */
  insecureRegistries?: string[];
  /** The files the settings came from (for messages). */
  sources: string[];
}

const DEFAULTS: Omit<RegistryConfig, 'registries' | 'caFiles' | 'insecureRegistries' | 'sources'> = {
  maxConcurrentDownloads: 3,
  maxConcurrentUploads: 3,
  timeoutMs: 30_000,
  retries: 4,
  maxRetryDelayMs: 30_000,
  chunkSize: 0,
};

interface FileShape {
  registries?: Record<string, { insecure?: unknown; ca?: unknown; mirrors?: unknown }>;
  'insecure-registries'?: unknown;
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
export function loadRegistryConfig(paths: string[]): RegistryConfig {
  const config: RegistryConfig = { ...DEFAULTS, registries: {}, caFiles: [], insecureRegistries: [], sources: [] };
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
    (config.insecureRegistries ??= []).push(...stringList(doc['insecure-registries'], path, 'insecure-registries'));
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

/** The settings for one registry host[:port]. Loopback registries are insecure unless the
 * config says otherwise, as docker's daemon treats 127.0.0.0/8 (and hx ::1 and localhost):
 * https first, unverified, then plain http. */
export function settingsFor(config: RegistryConfig, host: string): RegistrySettings {
  const entry = config.registries[host] ?? {};
  const insecure = entry.insecure ?? ((config.insecureRegistries ?? []).some((p) => insecureMatch(p, host)) || isLoopbackHost(host));
  return { insecure, caFiles: [...config.caFiles, ...(entry.caFiles ?? [])], mirrors: entry.mirrors ?? [] };
}

/** docker's insecure-registries entries: HOST[:PORT], or an IPv4 CIDR (10.0.0.0/8). */
function insecureMatch(pattern: string, host: string): boolean {
  if (pattern === host) return true;
  const cidr = /^(\d+)\.(\d+)\.(\d+)\.(\d+)\/(\d+)$/.exec(pattern);
  const ip = /^(\d+)\.(\d+)\.(\d+)\.(\d+)(?::\d+)?$/.exec(host);
  if (!cidr || !ip) return false;
  const num = (m: RegExpExecArray): number => ((Number(m[1]) << 24) | (Number(m[2]) << 16) | (Number(m[3]) << 8) | Number(m[4])) >>> 0;
  const bits = Number(cidr[5]);
  const mask = bits === 0 ? 0 : (~0 << (32 - bits)) >>> 0;
  return (num(cidr) & mask) === (num(ip) & mask);
}
