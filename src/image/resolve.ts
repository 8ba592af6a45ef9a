// Finding an image in the store the way docker does: by name (normalized, `busybox` is
// docker.io/library/busybox:latest), by name@digest, by full ID, or by a unique ID prefix.
import { HxError } from '../errors.js';
import type { ImageRecord, Store } from '../store/store.js';
import { parseImageConfig, type ImageConfig } from './config.js';
import { familiarName, formatReference, parseNormalized, parseReference, repositoryName } from './reference.js';

/** The config of an image in the store (validated). */
export function imageConfigOf(store: Store, rec: ImageRecord): ImageConfig {
  return parseImageConfig(store.readBlob(rec.id));
}

export class NoSuchImage extends HxError {
  constructor(ref: string) {
    super(`No such image: ${ref}`, { kind: 'not-found', hint: 'list local images with `hx images`; load one with `hx load -i FILE` or pull it with `hx pull`' });
    this.name = 'NoSuchImage';
  }
}

/** The normalized name for REF (docker.io/library/busybox:latest), or undefined if REF is not a name. */
export function normalizedName(ref: string): string | undefined {
  try {
    const r = parseNormalized(ref);
    return r.digest ? undefined : formatReference(r);
  } catch {
    return undefined;
  }
}

/** busybox:latest, quay.io/a/b:1 — docker's short display form of a stored name. */
export function displayName(name: string): string {
  try {
    return familiarName(parseReference(name));
  } catch {
    return name;
  }
}

export function findImage(store: Store, ref: string): ImageRecord | undefined {
  const images = store.listImages();
  const full = /^(?:sha256:)?([a-f0-9]{64})$/.exec(ref);
  if (full) return images.find((i) => i.id === `sha256:${full[1]}`);
  let parsed;
  try {
    parsed = parseNormalized(ref);
  } catch {
    parsed = undefined;
  }
  if (parsed) {
    if (parsed.digest) {
      const repo = repositoryName(parsed);
      const hit = images.find((i) => i.repoDigests.includes(`${repo}@${parsed.digest}`) || (i.manifestDigest === parsed.digest && i.names.some((n) => n.startsWith(`${repo}:`))));
      if (hit) return hit;
    } else {
      const name = formatReference(parsed);
      const hit = images.find((i) => i.names.includes(name));
      if (hit) return hit;
    }
  }
  const prefix = /^(?:sha256:)?([a-f0-9]{1,63})$/.exec(ref);
  if (prefix) {
    const hits = images.filter((i) => i.id.startsWith(`sha256:${prefix[1]}`));
    if (hits.length > 1) throw new HxError(`image ID prefix "${ref}" is ambiguous: it matches ${hits.length} images`, { hint: 'give more characters of the ID' });
    return hits[0];
  }
  return undefined;
}

export function resolveImage(store: Store, ref: string): ImageRecord {
  const hit = findImage(store, ref);
  if (!hit) throw new NoSuchImage(ref);
  return hit;
}
