// ADD https?://... : fetched only with --checksum (the digest is checked before anything
// is copied; without one hx refuses rather than bake unverified bytes into an image), into
// a private file named by the URL's last path segment, mode 0600 as docker writes it.
// ADD of a git address and --keep-git-dir are refused: hx does not clone.
import { createHash } from 'node:crypto';
import { writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { HxError, wrap } from '../../errors.js';

/** buildkit's --checksum forms: sha256:HEX (also sha384, sha512). */
function parseChecksum(value: string, where: string): { algorithm: string; hex: string } {
  const m = /^(sha256|sha384|sha512):([a-f0-9]+)$/.exec(value);
  const lengths: Record<string, number> = { sha256: 64, sha384: 96, sha512: 128 };
  if (!m || m[2]!.length !== lengths[m[1]!]) throw new HxError(`${where}: invalid checksum digest format "${value}"`, { kind: 'invalid-argument', hint: 'give --checksum=sha256:<64 hex digits>' });
  return { algorithm: m[1]!, hex: m[2]! };
}

/** The file name docker gives a URL's download: its path's last segment (or "index.html"-less: the host). */
export function urlFileName(url: string): string {
  const u = new URL(url);
  const last = u.pathname.split('/').filter(Boolean).pop();
  let name = u.hostname;
  try {
    if (last) name = decodeURIComponent(last);
  } catch {
    name = last ?? name; // a malformed escape: the segment as written
  }
  // an escaped "/" or a dot name must not lead the download out of its directory
  return name === '' || name === '.' || name === '..' || name.includes('/') || name.includes('\0') ? 'download' : name;
}

/** Fetch URL into DIR after checking CHECKSUM; the file's name. */
export async function fetchChecked(url: string, checksum: string | undefined, dir: string, where: string): Promise<string> {
  if (checksum === undefined) {
    throw new HxError(`${where}: ADD ${url}: hx build fetches a URL only with --checksum`, { kind: 'invalid-argument', hint: 'add --checksum=sha256:<digest of the file> to the ADD line' });
  }
  const want = parseChecksum(checksum, where);
  let body: Buffer;
  try {
    const res = await fetch(url, { redirect: 'follow' });
    if (!res.ok) throw new HxError(`invalid response status ${res.status}`, { kind: 'unavailable' });
    body = Buffer.from(await res.arrayBuffer());
  } catch (e) {
    throw wrap(e, `${where}: ADD ${url}`);
  }
  const got = createHash(want.algorithm).update(body).digest('hex');
  if (got !== want.hex) {
    throw new HxError(`${where}: digest mismatch ${want.algorithm}:${got}: ${want.algorithm}:${want.hex}`, { kind: 'data', hint: 'the file at the URL is not the one --checksum names' });
  }
  const name = urlFileName(url);
  writeFileSync(join(dir, name), body, { mode: 0o600 });
  return name;
}
