// Build OCI image layouts from real files in a test (no network, no daemon), and copy
// them into a registry with skopeo. Layers are tars made by GNU tar from staging dirs.
import { execFileSync, spawn, spawnSync } from 'node:child_process';
import { createHash } from 'node:crypto';
import { chmodSync, copyFileSync, mkdirSync, mkdtempSync, readFileSync, rmSync, symlinkSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { dirname, join } from 'node:path';
import { gzipSync } from 'node:zlib';

const sha = (b) => `sha256:${createHash('sha256').update(b).digest('hex')}`;

export const BUSYBOX = '/bin/busybox';

/** A staging dir spec: { 'bin/busybox': {copy: '/bin/busybox', mode}, 'bin/sh': {symlink: 'busybox'}, 'etc/x': 'text' } */
export function stage(dir, files) {
  for (const [path, spec] of Object.entries(files)) {
    const full = join(dir, path);
    mkdirSync(dirname(full), { recursive: true });
    if (typeof spec === 'string' || Buffer.isBuffer(spec)) writeFileSync(full, spec);
    else if (spec.copy) copyFileSync(spec.copy, full);
    else if (spec.symlink) symlinkSync(spec.symlink, full);
    else if (spec.dir) mkdirSync(full, { recursive: true });
    if (spec.mode) chmodSync(full, spec.mode);
  }
}

/** The files of a runnable busybox root: /bin/busybox and sh/ls/cat/echo links. */
export function busyboxFiles() {
  const files = { 'bin/busybox': { copy: BUSYBOX, mode: 0o755 } };
  for (const app of ['sh', 'ls', 'cat', 'echo', 'true', 'uname']) files[`bin/${app}`] = { symlink: 'busybox' };
  return files;
}

function tarOf(dir) {
  return execFileSync('tar', ['--sort=name', '--numeric-owner', '--owner=0', '--group=0', '--mtime=@1700000000', '-C', dir, '-cf', '-', '.'], { maxBuffer: 1 << 30 });
}

function writeBlob(layout, bytes) {
  const digest = sha(bytes);
  writeFileSync(join(layout, 'blobs', 'sha256', digest.slice(7)), bytes);
  return { digest, size: bytes.length };
}

/**
 * Write an OCI layout at LAYOUT. images: [{ tag, architecture='amd64', os='linux', variant,
 *   layers: [files spec | Buffer (a ready tar)], cmd: [...], env: [...], gzip=true }]
 * and optional indexes: [{ tag, of: [image tags] }] (a multi-platform index).
 * Returns { [tag]: { manifestDigest, configDigest, layers: [{digest, diffId, size}] } }.
 */
export function buildLayout(layout, images, indexes = []) {
  mkdirSync(join(layout, 'blobs', 'sha256'), { recursive: true });
  writeFileSync(join(layout, 'oci-layout'), JSON.stringify({ imageLayoutVersion: '1.0.0' }));
  const out = {};
  const refs = [];
  const scratch = mkdtempSync(join(layout, '..', 'stage-'));
  try {
    for (const img of images) {
      const layers = [];
      img.layers.forEach((spec, i) => {
        let tar;
        if (Buffer.isBuffer(spec)) tar = spec;
        else {
          const dir = join(scratch, `${img.tag}-${i}`);
          mkdirSync(dir, { recursive: true });
          stage(dir, spec);
          tar = tarOf(dir);
        }
        const gz = img.gzip === false ? tar : gzipSync(tar, { level: 6 });
        const blob = writeBlob(layout, gz);
        layers.push({ ...blob, diffId: sha(tar), mediaType: img.gzip === false ? 'application/vnd.oci.image.layer.v1.tar' : 'application/vnd.oci.image.layer.v1.tar+gzip' });
      });
      const config = {
        created: '2024-01-01T00:00:00Z',
        architecture: img.architecture ?? 'amd64',
        os: img.os ?? 'linux',
        ...(img.variant ? { variant: img.variant } : {}),
        config: { Env: img.env ?? ['PATH=/bin'], Cmd: img.cmd ?? ['sh'], ...(img.labels ? { Labels: img.labels } : {}) },
        rootfs: { type: 'layers', diff_ids: layers.map((l) => l.diffId) },
        history: layers.map((_, i) => ({ created: '2024-01-01T00:00:00Z', created_by: `hx test layer ${i}` })),
      };
      const cfg = writeBlob(layout, Buffer.from(JSON.stringify(config)));
      const manifest = {
        schemaVersion: 2,
        mediaType: 'application/vnd.oci.image.manifest.v1+json',
        config: { mediaType: 'application/vnd.oci.image.config.v1+json', ...cfg },
        layers: layers.map((l) => ({ mediaType: l.mediaType, digest: l.digest, size: l.size })),
      };
      const m = writeBlob(layout, Buffer.from(JSON.stringify(manifest)));
      out[img.tag] = { manifestDigest: m.digest, manifestSize: m.size, configDigest: cfg.digest, layers, platform: { os: config.os, architecture: config.architecture, ...(img.variant ? { variant: img.variant } : {}) } };
      refs.push({ mediaType: manifest.mediaType, ...m, annotations: { 'org.opencontainers.image.ref.name': img.tag } });
    }
    for (const ix of indexes) {
      const index = {
        schemaVersion: 2,
        mediaType: 'application/vnd.oci.image.index.v1+json',
        manifests: ix.of.map((t) => ({ mediaType: 'application/vnd.oci.image.manifest.v1+json', digest: out[t].manifestDigest, size: out[t].manifestSize, platform: out[t].platform })),
      };
      const b = writeBlob(layout, Buffer.from(JSON.stringify(index)));
      out[ix.tag] = { manifestDigest: b.digest, index };
      refs.push({ mediaType: index.mediaType, ...b, annotations: { 'org.opencontainers.image.ref.name': ix.tag } });
    }
  } finally {
    rmSync(scratch, { recursive: true, force: true });
  }
  writeFileSync(join(layout, 'index.json'), JSON.stringify({ schemaVersion: 2, manifests: refs }));
  return out;
}

/** skopeo with no policy file needed and TLS checks configurable; throws with its stderr. */
let skopeoAuth;
export function skopeo(args, opts = {}) {
  // Its default auth file under /run/containers/UID may be unreadable for a test user.
  if (!skopeoAuth) {
    skopeoAuth = join(mkdtempSync(join(tmpdir(), 'hx-skopeo-')), 'auth.json');
    writeFileSync(skopeoAuth, '{"auths":{}}');
  }
  const r = spawnSync('skopeo', ['--insecure-policy', ...args], { encoding: 'utf8', env: { REGISTRY_AUTH_FILE: skopeoAuth, ...process.env, ...(opts.env || {}) }, timeout: opts.timeout ?? 120_000, maxBuffer: 1 << 26 });
  if (r.status !== 0 && !opts.allowFail) throw new Error(`skopeo ${args.join(' ')} failed (${r.status}): ${r.stderr}`);
  return r;
}

/** skopeo without blocking this process (needed when a server of the test runs in it). */
export function skopeoAsync(args, opts = {}) {
  skopeo(['--version']);
  return new Promise((resolve, reject) => {
    const child = spawn('skopeo', ['--insecure-policy', ...args], { env: { REGISTRY_AUTH_FILE: skopeoAuth, ...process.env, ...(opts.env || {}) } });
    let stdout = '';
    let stderr = '';
    child.stdout.on('data', (d) => (stdout += d));
    child.stderr.on('data', (d) => (stderr += d));
    const timer = setTimeout(() => child.kill('SIGKILL'), opts.timeout ?? 120_000);
    child.on('close', (status) => {
      clearTimeout(timer);
      if (status !== 0 && !opts.allowFail) reject(new Error(`skopeo ${args.join(' ')} failed (${status}): ${stderr}`));
      else resolve({ status, stdout, stderr });
    });
  });
}

function copyArgs(layout, tag, dest, opts) {
  const args = ['copy', ...(opts.all ? ['--all'] : []), '--dest-tls-verify=false'];
  if (opts.creds) args.push('--dest-creds', opts.creds);
  if (opts.format) args.push('--format', opts.format);
  args.push(`oci:${layout}:${tag}`, `docker://${dest}`);
  return args;
}

export function pushLayoutAsync(layout, tag, dest, opts = {}) {
  return skopeoAsync(copyArgs(layout, tag, dest, opts), opts);
}

/** Copy LAYOUT:TAG to the registry (plain http or TLS without checks), optionally with creds. */
export function pushLayout(layout, tag, dest, opts = {}) {
  return skopeo(copyArgs(layout, tag, dest, opts), opts);
}

export function readJson(path) {
  return JSON.parse(readFileSync(path, 'utf8'));
}
