// --compare: the tools people use today, on the same files in the same run, each set
// against the hx stage doing the same work. A peer runs only when its program is installed.
import { spawn } from 'node:child_process';
import { linkSync, copyFileSync, mkdirSync, rmSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { createHash } from 'node:crypto';
import { findInPath } from '../host/which.js';
import type { StageEnv } from './stages.js';
import type { BenchLayer } from './layer-input.js';
import type { Workspace } from './workspace.js';

export interface PeerPlan {
  argv: string[];
  /** What happens to the peer's stdout: discarded by the kernel, or read (and discarded) by us. */
  stdout: 'ignore' | 'drain';
  /** Paths removed after the run (untimed). */
  remove: string[];
}

export interface PeerEnv extends StageEnv {
  /** The uncompressed tar as a file. */
  tarFile(): Promise<string>;
  /** An OCI image layout holding the layer, tagged "bench". */
  ociLayout(): string;
}

export interface PeerDef {
  id: string;
  peer: string;
  name: string;
  versus: string;
  programs: string[];
  skip?(layer: BenchLayer): string | undefined;
  plan(env: PeerEnv, iteration: number, bin: (name: string) => string): Promise<PeerPlan>;
}

const decoder = (l: BenchLayer): string => (l.compression === 'zstd' ? 'zstd' : 'gzip');
const onlyCompressed = (l: BenchLayer): string | undefined => (l.compression === 'none' ? 'the layer is not compressed' : undefined);

export const PEERS: PeerDef[] = [
  {
    id: 'gzip-d',
    peer: 'gzip/zstd',
    name: 'gzip -dc (or zstd -dc)',
    versus: 'decompress',
    programs: [],
    skip: onlyCompressed,
    async plan(env, _i, bin) {
      return { argv: [bin(decoder(env.layer)), '-dc', env.layer.blob.file], stdout: 'ignore', remove: [] };
    },
  },
  {
    id: 'sha256sum-blob',
    peer: 'sha256sum',
    name: 'sha256sum BLOB',
    versus: 'sha256-blob',
    programs: ['sha256sum'],
    async plan(env, _i, bin) {
      return { argv: [bin('sha256sum'), env.layer.blob.file], stdout: 'ignore', remove: [] };
    },
  },
  {
    id: 'sha256sum-tar',
    peer: 'sha256sum',
    name: 'sha256sum TAR',
    versus: 'sha256-tar',
    programs: ['sha256sum'],
    async plan(env, _i, bin) {
      return { argv: [bin('sha256sum'), await env.tarFile()], stdout: 'ignore', remove: [] };
    },
  },
  {
    id: 'tar-t',
    peer: 'gnu-tar',
    name: 'tar -tf TAR (lists; may seek over file data)',
    versus: 'parse-ts',
    programs: ['tar'],
    async plan(env, _i, bin) {
      return { argv: [bin('tar'), '-tf', await env.tarFile()], stdout: 'ignore', remove: [] };
    },
  },
  {
    id: 'tar-x',
    peer: 'gnu-tar',
    name: 'tar -xf TAR -C DIR',
    versus: 'write',
    programs: ['tar'],
    async plan(env, i, bin) {
      const dir = env.ws.dir(`peer-tar-x-${env.layer.index}-${i}`);
      return { argv: [bin('tar'), '-xf', await env.tarFile(), '-C', dir], stdout: 'ignore', remove: [dir] };
    },
  },
  {
    id: 'tar-xz',
    peer: 'gnu-tar',
    name: 'tar -xzf BLOB -C DIR (no digests)',
    versus: 'pipeline',
    programs: ['tar'],
    async plan(env, i, bin) {
      const dir = env.ws.dir(`peer-tar-xz-${env.layer.index}-${i}`);
      const flag = env.layer.compression === 'zstd' ? ['--zstd', '-xf'] : env.layer.compression === 'gzip' ? ['-xzf'] : ['-xf'];
      return { argv: [bin('tar'), ...flag, env.layer.blob.file, '-C', dir], stdout: 'ignore', remove: [dir] };
    },
  },
  {
    id: 'tar-x-sha256sum',
    peer: 'gnu-tar',
    name: 'tar -x + sha256sum of blob and tar, overlapped (bash)',
    versus: 'pipeline',
    programs: ['bash', 'tar', 'sha256sum', 'tee', 'mkfifo'],
    async plan(env, i, bin) {
      const dir = env.ws.dir(`peer-tar-sum-${env.layer.index}-${i}`);
      const fifo = `${dir}.fifo`;
      const dec = env.layer.compression === 'none' ? 'cat' : `${decoder(env.layer)} -dc`;
      const script =
        'set -o pipefail; mkfifo "$3"; sha256sum "$1" >/dev/null & sha256sum "$3" >/dev/null & ' +
        `${dec} "$1" | tee "$3" | tar -x -C "$2"; s=$?; wait; exit $s`;
      return { argv: [bin('bash'), '-c', script, 'bash', env.layer.blob.file, dir, fifo], stdout: 'ignore', remove: [dir, fifo] };
    },
  },
  {
    id: 'umoci-unpack',
    peer: 'umoci',
    name: 'umoci unpack --rootless',
    versus: 'pipeline',
    programs: ['umoci'],
    async plan(env, i, bin) {
      const bundle = join(env.ws.path, `peer-umoci-${env.layer.index}-${i}`);
      rmSync(bundle, { recursive: true, force: true });
      return { argv: [bin('umoci'), 'unpack', '--rootless', '--image', `${env.ociLayout()}:bench`, bundle], stdout: 'ignore', remove: [bundle] };
    },
  },
  {
    id: 'skopeo-copy',
    peer: 'skopeo',
    name: 'skopeo copy oci: -> dir: (verify + store blobs)',
    versus: 'blob-copy',
    programs: ['skopeo'],
    async plan(env, i, bin) {
      const out = join(env.ws.path, `peer-skopeo-${env.layer.index}-${i}`);
      rmSync(out, { recursive: true, force: true });
      return {
        argv: [bin('skopeo'), '--insecure-policy', 'copy', '--quiet', `oci:${env.ociLayout()}:bench`, `dir:${out}`],
        stdout: 'ignore',
        remove: [out],
      };
    },
  },
  {
    id: 'tar-c',
    peer: 'gnu-tar',
    name: 'tar -cf - -C TREE . (read by hx, discarded)',
    versus: 'tar-write-ts',
    programs: ['tar'],
    async plan(env, _i, bin) {
      return { argv: [bin('tar'), '-cf', '-', '-C', await env.referenceTree(), '.'], stdout: 'drain', remove: [] };
    },
  },
  {
    id: 'gzip-c',
    peer: 'gzip',
    name: 'gzip -6 -c TAR',
    versus: 'compress',
    programs: ['gzip'],
    async plan(env, _i, bin) {
      return { argv: [bin('gzip'), '-6', '-c', await env.tarFile()], stdout: 'ignore', remove: [] };
    },
  },
];

/** The programs PEER needs that are missing (decoders depend on the layer). */
export function missingPrograms(peer: PeerDef, layer: BenchLayer): string[] {
  const need = [...peer.programs];
  if (peer.id === 'gzip-d' || peer.id === 'tar-x-sha256sum' || peer.id === 'tar-xz') {
    if (layer.compression !== 'none') need.push(decoder(layer));
  }
  return need.filter((p) => !findInPath(p));
}

export interface PeerRun {
  seconds: number;
  /** exit code, or the signal */
  status: number | string;
  stderr: string;
}

/** Run one peer command and time it from spawn to exit. */
export function runPeer(plan: PeerPlan, ws: Workspace): Promise<PeerRun> {
  return new Promise((resolve, reject) => {
    const t0 = performance.now();
    const child = spawn(plan.argv[0]!, plan.argv.slice(1), { stdio: ['ignore', plan.stdout === 'drain' ? 'pipe' : 'ignore', 'pipe'], cwd: ws.path });
    ws.track(child);
    let stderr = '';
    child.stderr!.on('data', (d: Buffer) => {
      if (stderr.length < 4096) stderr += d.toString();
    });
    if (child.stdout) child.stdout.on('data', () => {});
    child.on('error', reject);
    child.on('close', (code, signal) => {
      resolve({ seconds: (performance.now() - t0) / 1000, status: code ?? signal ?? 'unknown', stderr: stderr.trim() });
    });
  });
}

/** An OCI image layout with LAYER as its only layer, tagged "bench" (for umoci and skopeo). */
export function writeOciLayout(layer: BenchLayer, dir: string): string {
  const blobs = join(dir, 'blobs', 'sha256');
  mkdirSync(blobs, { recursive: true });
  const put = (bytes: Buffer): { digest: string; size: number } => {
    const hex = createHash('sha256').update(bytes).digest('hex');
    writeFileSync(join(blobs, hex), bytes);
    return { digest: `sha256:${hex}`, size: bytes.length };
  };
  const layerPath = join(blobs, layer.digest.slice('sha256:'.length));
  try {
    linkSync(layer.blob.file, layerPath);
  } catch {
    copyFileSync(layer.blob.file, layerPath);
  }
  const config = put(
    Buffer.from(JSON.stringify({ architecture: 'amd64', os: 'linux', config: {}, rootfs: { type: 'layers', diff_ids: [layer.diffId] } })),
  );
  const layerType =
    layer.compression === 'gzip'
      ? 'application/vnd.oci.image.layer.v1.tar+gzip'
      : layer.compression === 'zstd'
        ? 'application/vnd.oci.image.layer.v1.tar+zstd'
        : 'application/vnd.oci.image.layer.v1.tar';
  const manifest = put(
    Buffer.from(
      JSON.stringify({
        schemaVersion: 2,
        mediaType: 'application/vnd.oci.image.manifest.v1+json',
        config: { mediaType: 'application/vnd.oci.image.config.v1+json', ...config },
        layers: [{ mediaType: layerType, digest: layer.digest, size: layer.blob.size }],
      }),
    ),
  );
  writeFileSync(join(dir, 'oci-layout'), JSON.stringify({ imageLayoutVersion: '1.0.0' }));
  writeFileSync(
    join(dir, 'index.json'),
    JSON.stringify({
      schemaVersion: 2,
      mediaType: 'application/vnd.oci.image.index.v1+json',
      manifests: [{ mediaType: 'application/vnd.oci.image.manifest.v1+json', ...manifest, annotations: { 'org.opencontainers.image.ref.name': 'bench' } }],
    }),
  );
  return dir;
}
