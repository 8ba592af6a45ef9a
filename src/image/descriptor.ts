// Content descriptors (OCI image-spec descriptor.md) as manifests, indexes and layouts
// carry them: checked when the document is parsed, so a digest hx cannot verify or a
// size that cannot be true is refused before any blob is requested.
import type { Descriptor } from './media.js';

/** What each caller throws: ManifestError for registries, ArchiveError for archives. */
export type Refuse = (message: string, hint?: string) => never;

// descriptor.md's grammar: algorithm ":" encoded.
const DIGEST = /^([a-z0-9]+(?:[+._-][a-z0-9]+)*):([a-zA-Z0-9=_-]+)$/;
// The registered algorithms and their encodings (descriptor.md "Registered algorithms").
const REGISTERED: Record<string, RegExp> = { sha256: /^[a-f0-9]{64}$/, sha512: /^[a-f0-9]{128}$/ };

/**
 * The algorithms hx verifies: blobs (configs, layers) are stored and checked by sha256
 * only; manifests are fetched and checked by sha256 or sha512 (client.ts digestOf).
 */
export const BLOB_ALGORITHMS: readonly string[] = ['sha256'];
export const MANIFEST_ALGORITHMS: readonly string[] = ['sha256', 'sha512'];

/** Check DIGEST's form and that its algorithm is one of ALGORITHMS (undefined: any well-formed one). */
export function checkDigest(digest: string, where: string, refuse: Refuse, algorithms?: readonly string[]): void {
  const m = DIGEST.exec(digest);
  const encoding = m ? REGISTERED[m[1]!] : undefined;
  if (!m || (encoding && !encoding.test(m[2]!))) refuse(`${where}: invalid digest "${digest}"`);
  const algorithm = m[1]!;
  if (algorithms && !algorithms.includes(algorithm)) {
    refuse(
      `${where}: digest algorithm ${algorithm} is not supported (hx verifies ${algorithms.join(' and ')})`,
      'push the image again with sha256 digests (what docker, podman and skopeo write)',
    );
  }
}

/**
 * A descriptor as the spec types it: mediaType and digest strings, size a non-negative
 * safe integer. ALGORITHMS: what the digest may use (undefined: checked later, e.g. for
 * index entries only the chosen one matters).
 */
export function checkDescriptor(d: unknown, where: string, refuse: Refuse, algorithms?: readonly string[]): Descriptor {
  const o = d as Partial<Descriptor> | null;
  if (!o || typeof o !== 'object' || typeof o.mediaType !== 'string' || typeof o.digest !== 'string' || typeof o.size !== 'number') {
    refuse(`${where}: descriptor lacks mediaType, digest or size`);
  }
  checkDigest(o.digest, where, refuse, algorithms);
  if (!Number.isSafeInteger(o.size) || o.size < 0) refuse(`${where}: invalid size ${o.size}`);
  return o as Descriptor;
}

/** Refuse a blob whose length is not its descriptor's size (ACTUAL undefined: more than EXPECTED, reading stopped). */
export function refuseSize(expected: number, actual: number | undefined, where: string, refuse: Refuse): never {
  return refuse(
    `${where}: size ${expected} but the blob has ${actual === undefined ? `more than ${expected}` : actual} bytes`,
    'the descriptor and the blob disagree: the image was written by a broken or hostile tool; nothing of it was kept',
  );
}
