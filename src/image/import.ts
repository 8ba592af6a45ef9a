// `hx import`: a root filesystem tarball (plain, gzip or zstd) becomes a one-layer image,
// with Dockerfile-style --change instructions applied to its config (like docker import).
import { createReadStream } from 'node:fs';
import { UsageError } from '../errors.js';
import type { ContainerConfig, ImageConfig } from './config.js';
import { ociLayerType } from './media.js';
import { imageSource, measureLayer, type ImageSource, type LayerSource } from './source.js';

const ALLOWED = ['CMD', 'ENTRYPOINT', 'ENV', 'EXPOSE', 'LABEL', 'ONBUILD', 'STOPSIGNAL', 'USER', 'VOLUME', 'WORKDIR'];

function jsonOrShell(rest: string): string[] {
  const t = rest.trim();
  if (t.startsWith('[')) {
    try {
      const v = JSON.parse(t) as unknown;
      if (Array.isArray(v) && v.every((x) => typeof x === 'string')) return v as string[];
    } catch {
      /* shell form */
    }
  }
  return ['/bin/sh', '-c', t];
}

/** key=value pairs (quotes allowed) or the old "key value" form. */
function pairs(rest: string): [string, string][] {
  const t = rest.trim();
  const m = /^([^\s=]+)\s+(.*)$/s.exec(t);
  if (m && !m[1]!.includes('=')) return [[m[1]!, m[2]!]];
  const out: [string, string][] = [];
  const re = /([^\s=]+)=("(?:[^"\\]|\\.)*"|'[^']*'|\S*)/g;
  let x: RegExpExecArray | null;
  while ((x = re.exec(t))) {
    let v = x[2]!;
    if (v.startsWith('"')) v = JSON.parse(v) as string;
    else if (v.startsWith("'")) v = v.slice(1, -1);
    out.push([x[1]!, v]);
  }
  return out;
}

/** Apply docker import's and commit's --change instructions to CONFIG. */
export function applyChanges(config: ContainerConfig, changes: string[]): ContainerConfig {
  const c: ContainerConfig = { ...config };
  for (const change of changes) {
    const m = /^\s*(\w+)\s+(.*)$/s.exec(change);
    if (!m) throw new UsageError(`invalid --change "${change}"`, `use a Dockerfile instruction: ${ALLOWED.join(', ')}`);
    const op = m[1]!.toUpperCase();
    const rest = m[2]!;
    switch (op) {
      case 'CMD':
        c.Cmd = jsonOrShell(rest);
        break;
      case 'ENTRYPOINT':
        c.Entrypoint = jsonOrShell(rest);
        break;
      case 'ENV': {
        const env = [...(c.Env ?? [])];
        for (const [k, v] of pairs(rest)) {
          const i = env.findIndex((e) => e.startsWith(`${k}=`));
          if (i >= 0) env[i] = `${k}=${v}`;
          else env.push(`${k}=${v}`);
        }
        c.Env = env;
        break;
      }
      case 'LABEL':
        c.Labels = { ...(c.Labels ?? {}), ...Object.fromEntries(pairs(rest)) };
        break;
      case 'EXPOSE': {
        const ports = { ...(c.ExposedPorts ?? {}) };
        for (const p of rest.trim().split(/\s+/)) ports[p.includes('/') ? p : `${p}/tcp`] = {};
        c.ExposedPorts = ports;
        break;
      }
      case 'VOLUME': {
        const vols = { ...(c.Volumes ?? {}) };
        const list = rest.trim().startsWith('[') ? (JSON.parse(rest) as string[]) : rest.trim().split(/\s+/);
        for (const v of list) vols[v] = {};
        c.Volumes = vols;
        break;
      }
      case 'USER':
        c.User = rest.trim();
        break;
      case 'WORKDIR':
        c.WorkingDir = rest.trim();
        break;
      case 'STOPSIGNAL':
        c.StopSignal = rest.trim();
        break;
      case 'ONBUILD':
        c.OnBuild = [...(c.OnBuild ?? []), rest.trim()];
        break;
      default:
        // moby's message (builder/dockerfile: validCommitCommands)
        throw new UsageError(`${op.toLowerCase()} is not a valid change command`, `--change takes one of: ${ALLOWED.join(', ')}`);
    }
  }
  return c;
}

export function importConfig(diffId: string, changes: string[], source: string, message?: string): ImageConfig {
  const created = new Date().toISOString();
  const arch = ({ x64: 'amd64', arm64: 'arm64' } as Record<string, string>)[process.arch] ?? process.arch;
  return {
    architecture: arch,
    os: 'linux',
    created,
    config: applyChanges({}, changes),
    rootfs: { type: 'layers', diff_ids: [diffId] },
    // moby's History has created_by omitempty: an import has none (not "")
    history: [{ created, comment: message ?? `Imported from ${source}` }],
  };
}

export interface ImportOptions {
  /** --change instructions. */
  changes: string[];
  /** What the history says it was imported from ("-" for standard input). */
  source: string;
  /** --message. */
  message?: string | undefined;
  /** The name to give it (normalized), if any. */
  name?: string | undefined;
  /** For messages: the file, or "stdin". */
  label: string;
}

/** FILE (a rootfs tarball, plain, gzip or zstd) as a one-layer image; reads it once to learn its digests. */
export async function importSource(file: string, o: ImportOptions): Promise<ImageSource> {
  const open = (): ReturnType<typeof createReadStream> => createReadStream(file, { highWaterMark: 1 << 20 });
  const facts = await measureLayer({ open, mediaType: '', label: o.label });
  const layer: LayerSource = {
    open,
    digest: facts.digest,
    diffId: facts.diffId,
    mediaType: ociLayerType(facts.compression),
    size: facts.size,
    uncompressedSize: facts.uncompressedSize,
    label: o.label,
  };
  const config = importConfig(facts.diffId, o.changes, o.source, o.message);
  return imageSource({ configBytes: Buffer.from(JSON.stringify(config)), names: o.name ? [o.name] : [], layers: [layer] });
}
