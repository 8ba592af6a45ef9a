// `hx image inspect` and `hx history`.
import type { ImageConfig } from '../../image/config.js';
import { displayName, imageConfigOf, resolveImage } from '../../image/resolve.js';
import type { EngineContext } from '../context.js';

export function inspectImage(ctx: EngineContext, ref: string): Record<string, unknown> {
  const store = ctx.store;
  const img = resolveImage(store, ref);
  const config = imageConfigOf(store, img);
  const size = img.layers.reduce((n, l) => n + (store.getLayer(l)?.size ?? 0), 0);
  const names = img.names.map(displayName);
  return {
    Id: img.id,
    RepoTags: names,
    RepoDigests: img.repoDigests.map((d) => displayName(d)),
    Parent: '',
    Comment: (config.history ?? []).at(-1)?.comment ?? '',
    Created: config.created ?? '',
    DockerVersion: (config as { docker_version?: string }).docker_version ?? '',
    Author: config.author ?? '',
    Config: withZeroFields(config.config ?? {}),
    Architecture: config.architecture,
    Variant: config.variant,
    Os: config.os,
    Size: size,
    GraphDriver: { Name: 'hx', Data: { LowerDirs: img.layers.map((l) => store.layerDiff(l)).reverse().join(':') } },
    RootFS: { Type: 'layers', Layers: config.rootfs.diff_ids },
    History: config.history ?? [],
    Metadata: { LastTagTime: img.created },
    ManifestDigest: img.manifestDigest,
  };
}

export interface HistoryRow {
  id: string; // image id for the top row, <missing> otherwise
  created: string;
  createdBy: string;
  size: number;
  comment: string;
}

export function imageHistory(ctx: EngineContext, ref: string): HistoryRow[] {
  const store = ctx.store;
  const img = resolveImage(store, ref);
  const config = imageConfigOf(store, img);
  const history = config.history ?? [];
  const rows: HistoryRow[] = [];
  let layer = 0;
  const entries = history.length ? history : config.rootfs.diff_ids.map(() => ({} as NonNullable<ImageConfig['history']>[number]));
  for (const h of entries) {
    let size = 0;
    if (!h.empty_layer) {
      const chain = img.layers[layer++];
      size = chain ? (store.getLayer(chain)?.size ?? 0) : 0;
    }
    rows.push({ id: '<missing>', created: h.created ?? '', createdBy: h.created_by ?? '', size, comment: h.comment ?? '' });
  }
  rows.reverse();
  if (rows[0]) rows[0].id = img.id;
  return rows;
}

/** docker's container.Config as image inspect prints it: every field there, zero when the
 * image has none (so `{{range .Config.Env}}` or `{{.Config.User}}` on a bare image print
 * nothing, as docker's, instead of failing on a missing key). */
function withZeroFields(c: Record<string, unknown>): Record<string, unknown> {
  return {
    Hostname: '',
    Domainname: '',
    User: '',
    AttachStdin: false,
    AttachStdout: false,
    AttachStderr: false,
    Tty: false,
    OpenStdin: false,
    StdinOnce: false,
    Env: null,
    Cmd: null,
    Image: '',
    Volumes: null,
    WorkingDir: '',
    Entrypoint: null,
    OnBuild: null,
    Labels: null,
    ...c,
  };
}
