// Saving and removing credentials in hx's auth file (containers-auth.json format:
// {"auths": {"registry": {"auth": base64("user:password")}}}), written atomically with
// mode 0600 in a 0700 directory.
import { chmodSync, closeSync, fsyncSync, mkdirSync, openSync, renameSync, writeSync } from 'node:fs';
import { dirname } from 'node:path';
import { normalizeAuthKey, readAuthFile, type AuthFileShape } from './credentials.js';

function writeAtomic(path: string, doc: AuthFileShape): void {
  mkdirSync(dirname(path), { recursive: true, mode: 0o700 });
  const tmp = `${path}.tmp-${process.pid}`;
  const fd = openSync(tmp, 'w', 0o600);
  try {
    writeSync(fd, JSON.stringify(doc, null, '\t') + '\n');
    fsyncSync(fd);
  } finally {
    closeSync(fd);
  }
  chmodSync(tmp, 0o600);
  renameSync(tmp, path);
}

export function saveCredentials(path: string, registry: string, username: string, password: string): void {
  const doc = readAuthFile(path) ?? {};
  doc.auths = { ...doc.auths, [registry]: { auth: Buffer.from(`${username}:${password}`).toString('base64') } };
  writeAtomic(path, doc);
}

/** Remove a registry's entry; returns false when there was none. `registry` undefined removes all. */
export function removeCredentials(path: string, registry: string | undefined): boolean {
  const doc = readAuthFile(path);
  if (!doc?.auths) return false;
  if (registry === undefined) {
    const had = Object.keys(doc.auths).length > 0;
    doc.auths = {};
    writeAtomic(path, doc);
    return had;
  }
  const keys = Object.keys(doc.auths).filter((k) => k === registry || normalizeAuthKey(k) === registry);
  if (keys.length === 0) return false;
  for (const k of keys) delete doc.auths[k];
  writeAtomic(path, doc);
  return true;
}
