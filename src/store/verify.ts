// `hx system check`: the store's invariants (docs/STORAGE.md, "Checking the store")
// tested against what is on disk. Read-only: it reports and repairs nothing. Call it under
// the store lock, so that no index mutation is seen half-done; temp dirs, which live
// outside the lock, are judged by their own locks.
import { createHash } from 'node:crypto';
import { closeSync, lstatSync, openSync, readdirSync, readlinkSync, readSync } from 'node:fs';
import { join } from 'node:path';
import { readJson } from './atomic.js';
import { chainIds, isDigest, sha256Digest } from './digest.js';
import { CONTAINER_ID, type ContainerRecord, type ImageRecord, type LayerRecord, type Store } from './store.js';
import { LOCK_SUFFIX, tempEntryState } from './temp.js';
import { VOLUME_DIR_NAME, VOLUME_STAGING } from './volumes.js';

export interface StoreProblem {
  /** What it is about: "image sha256:…", "layer sha256:…", "blob sha256:…", "l/NAME", "container ID", "tmp/NAME". */
  subject: string;
  problem: string;
  fix: string;
}

export interface StoreCheck {
  problems: StoreProblem[];
  checked: { images: number; layers: number; blobs: number; links: number; containers: number; temp: number };
}

export interface VerifyOptions {
  /** Skip hashing layer blobs (configs and manifests are always hashed: they are small). */
  quick?: boolean;
}

const HEX64 = /^[a-f0-9]{64}$/;
/** writeFileAtomic's temp name: a killed writer leaves it beside its target. */
const ATOMIC_TEMP = /^\..+\.\d+\.\d+\.tmp$/;

const RELOAD = 'remove the image (hx rmi -f) and load or pull it again';
const PRUNE = 'hx image prune removes what nothing references';

function removeByHand(path: string): string {
  return `left by a crash or by hand; remove it (inside the namespace: hx unshare rm -rf ${path})`;
}

function code(e: unknown): string | undefined {
  return (e as NodeJS.ErrnoException).code;
}

function lstatOrUndefined(path: string): ReturnType<typeof lstatSync> | undefined {
  try {
    return lstatSync(path);
  } catch (e) {
    if (code(e) === 'ENOENT') return undefined;
    throw e;
  }
}

/** sha256 of a file, read in 1 MiB chunks (blobs can be large). */
function fileDigest(path: string): string {
  const hash = createHash('sha256');
  const buf = Buffer.alloc(1 << 20);
  const fd = openSync(path, 'r');
  try {
    for (;;) {
      const n = readSync(fd, buf, 0, buf.length, null);
      if (n === 0) break;
      hash.update(buf.subarray(0, n));
    }
  } finally {
    closeSync(fd);
  }
  return `sha256:${hash.digest('hex')}`;
}

/** Read a JSON record, turning a parse error into a problem. */
function readRecord<T>(path: string, subject: string, problems: StoreProblem[], fix: string): T | undefined {
  try {
    return readJson<T>(path);
  } catch (e) {
    problems.push({ subject, problem: `${path} is not valid JSON (${(e as Error).message})`, fix });
    return undefined;
  }
}

class Verifier {
  readonly problems: StoreProblem[] = [];
  readonly checked = { images: 0, layers: 0, blobs: 0, links: 0, containers: 0, temp: 0 };
  private readonly layers = new Map<string, LayerRecord>();
  private readonly hashed = new Map<string, string | undefined>();

  constructor(private readonly store: Store, private readonly opts: VerifyOptions) {}

  private add(subject: string, problem: string, fix: string): void {
    this.problems.push({ subject, problem, fix });
  }

  /** The digest of blob DIGEST's content, or undefined when it is missing (memoized). */
  private blobDigest(digest: string): string | undefined {
    if (!this.hashed.has(digest)) {
      const path = this.store.blobPath(digest);
      this.hashed.set(digest, lstatOrUndefined(path) ? fileDigest(path) : undefined);
    }
    return this.hashed.get(digest);
  }

  /** Check that blob DIGEST exists (with SIZE bytes) and, when HASH, that its content hashes to its name. */
  private checkBlob(digest: string, subject: string, role: string, hash: boolean, size?: number): boolean {
    if (!isDigest(digest)) {
      this.add(subject, `its ${role} "${digest}" is not a sha256 digest`, RELOAD);
      return false;
    }
    const st = lstatOrUndefined(this.store.blobPath(digest));
    if (!st || !st.isFile()) {
      this.add(subject, `its ${role} blob ${digest} is missing`, RELOAD);
      return false;
    }
    if (size !== undefined && st.size !== size) {
      this.add(subject, `its ${role} blob ${digest} has ${st.size} bytes, not ${size}`, RELOAD);
      return false;
    }
    if (hash && this.blobDigest(digest) !== digest) {
      this.add(subject, `its ${role} blob ${digest} does not hash to its name (corrupt)`, RELOAD);
      return false;
    }
    return true;
  }

  layersPass(): void {
    const { layersDir } = this.store;
    for (const name of readdirSync(layersDir)) {
      const subject = `layer sha256:${name}`;
      const dir = join(layersDir, name);
      if (!HEX64.test(name)) {
        this.add(`layers/${name}`, 'is not a layer (its name is not a chain ID)', removeByHand(dir));
        continue;
      }
      this.checked.layers++;
      const rec = readRecord<LayerRecord>(join(dir, 'layer.json'), subject, this.problems, RELOAD);
      if (!rec) {
        if (!lstatOrUndefined(join(dir, 'layer.json'))) this.add(subject, 'the layer dir has no layer.json (never published: crash debris)', PRUNE);
        continue;
      }
      this.layers.set(`sha256:${name}`, rec);
      if (rec.chainId !== `sha256:${name}`) this.add(subject, `layer.json says chain ID ${rec.chainId}`, RELOAD);
      const expected = rec.parent === null ? rec.diffId : sha256Digest(`${rec.parent} ${rec.diffId}`);
      if (expected !== rec.chainId) this.add(subject, `its chain ID does not follow from parent ${rec.parent} and diff_id ${rec.diffId}`, RELOAD);
      if (!lstatOrUndefined(join(dir, 'diff'))?.isDirectory()) this.add(subject, 'diff/ is missing', RELOAD);
      this.checkBlob(rec.digest, subject, 'layer', !this.opts.quick, rec.compressedSize);
      const link = lstatOrUndefined(join(this.store.linksDir, rec.link));
      if (!link?.isSymbolicLink()) this.add(subject, `its short link l/${rec.link} is missing`, RELOAD);
    }
    // Parents after all records are known.
    for (const [chainId, rec] of this.layers) {
      if (rec.parent !== null && !this.layers.has(rec.parent)) this.add(`layer ${chainId}`, `its parent layer ${rec.parent} is missing`, RELOAD);
    }
  }

  linksPass(): void {
    const { linksDir } = this.store;
    for (const name of readdirSync(linksDir)) {
      this.checked.links++;
      const path = join(linksDir, name);
      let target: string;
      try {
        target = readlinkSync(path);
      } catch (e) {
        if (code(e) === 'EINVAL') this.add(`l/${name}`, 'is not a symlink', removeByHand(path));
        else if (code(e) !== 'ENOENT') throw e;
        continue;
      }
      const m = /^\.\.\/layers\/([a-f0-9]{64})\/diff$/.exec(target);
      const rec = m ? this.layers.get(`sha256:${m[1]}`) : undefined;
      if (!m) this.add(`l/${name}`, `points at ${target}, not at a layer's diff/`, removeByHand(path));
      else if (!rec) this.add(`l/${name}`, `points at layer sha256:${m[1]}, which does not exist`, PRUNE);
      else if (rec.link !== name) this.add(`l/${name}`, `layer sha256:${m[1]} calls its link l/${rec.link}`, removeByHand(path));
    }
  }

  imagesPass(): void {
    const { imagesDir } = this.store;
    const owners = new Map<string, string>();
    for (const name of readdirSync(imagesDir)) {
      const m = /^([a-f0-9]{64})\.json$/.exec(name);
      if (!m) {
        const why = ATOMIC_TEMP.test(name) ? 'an unfinished record write (a killed command)' : 'not an image record';
        this.add(`images/${name}`, `is ${why}`, removeByHand(join(imagesDir, name)));
        continue;
      }
      this.checked.images++;
      const id = `sha256:${m[1]}`;
      const subject = `image ${id}`;
      const rec = readRecord<ImageRecord>(join(imagesDir, name), subject, this.problems, RELOAD);
      if (!rec) continue;
      if (rec.id !== id) this.add(subject, `its record says id ${rec.id}`, RELOAD);
      for (const n of rec.names ?? []) {
        const other = owners.get(n);
        if (other) this.add(subject, `its name ${n} also names image ${other}`, 'hx tag the name again to give it to one image');
        else owners.set(n, id);
      }
      this.checkImageBlobs(rec, subject);
      (rec.layers ?? []).forEach((l, i) => {
        if (!this.layers.has(l)) this.add(subject, `its layer ${i + 1} (${l}) is missing`, RELOAD);
      });
    }
  }

  private checkImageBlobs(rec: ImageRecord, subject: string): void {
    const config = this.checkBlob(rec.id, subject, 'config', true) ? this.parseBlob<{ rootfs?: { diff_ids?: string[] } }>(rec.id, subject, 'config') : undefined;
    if (config && chainIds(config.rootfs?.diff_ids ?? []).join() !== (rec.layers ?? []).join()) {
      this.add(subject, 'its layers are not the chain IDs of its config\'s diff_ids', RELOAD);
    }
    const manifest = this.checkBlob(rec.manifestDigest, subject, 'manifest', true)
      ? this.parseBlob<{ config?: { digest?: string }; layers?: { digest?: string; size?: number }[] }>(rec.manifestDigest, subject, 'manifest')
      : undefined;
    if (!manifest) return;
    if (manifest.config?.digest !== rec.id) this.add(subject, `its manifest names config ${manifest.config?.digest}`, RELOAD);
    if ((manifest.layers ?? []).length !== (rec.layers ?? []).length) this.add(subject, `its manifest lists ${(manifest.layers ?? []).length} layers, the record ${(rec.layers ?? []).length}`, RELOAD);
    for (const l of manifest.layers ?? []) {
      if (l.digest) this.checkBlob(l.digest, subject, 'manifest\'s layer', false, l.size);
    }
  }

  private parseBlob<T>(digest: string, subject: string, role: string): T | undefined {
    try {
      return JSON.parse(this.store.readBlob(digest).toString()) as T;
    } catch (e) {
      this.add(subject, `its ${role} blob ${digest} is not valid JSON (${(e as Error).message})`, RELOAD);
      return undefined;
    }
  }

  containersPass(): void {
    const { containersDir } = this.store;
    for (const name of readdirSync(containersDir)) {
      const subject = `container ${name}`;
      const dir = join(containersDir, name);
      if (!CONTAINER_ID.test(name)) {
        this.add(`containers/${name}`, 'is not a container (its name is not a container ID)', removeByHand(dir));
        continue;
      }
      this.checked.containers++;
      const rec = readRecord<ContainerRecord>(join(dir, 'container.json'), subject, this.problems, removeByHand(dir));
      if (!rec) {
        if (!lstatOrUndefined(join(dir, 'container.json'))) this.add(subject, 'the container dir has no container.json', removeByHand(dir));
        continue;
      }
      if (rec.id !== name) this.add(subject, `its record says id ${rec.id}`, removeByHand(dir));
      const layers = Array.isArray(rec.layers) ? (rec.layers as unknown[]) : [];
      for (const l of layers) {
        if (typeof l !== 'string' || !this.layers.has(l)) this.add(subject, `its layer ${String(l)} is missing`, 'remove the container; its root filesystem cannot be mounted');
      }
      const mounts = (rec.spec as { options?: { mounts?: { type?: string; name?: string; target?: string }[] } } | undefined)?.options?.mounts;
      for (const m of Array.isArray(mounts) ? mounts : []) {
        if (m.type === 'volume' && (typeof m.name !== 'string' || !this.store.volumes.get(m.name))) {
          this.add(subject, `its volume ${String(m.name)} (at ${String(m.target)}) is missing`, `create it again (hx volume create ${String(m.name)}) or remove the container`);
        }
      }
      if (typeof rec.name === 'string' && this.store.containers.nameOwner(rec.name) !== rec.id) {
        this.add(subject, `its name ${rec.name} is not reserved for it in container-names/`, 'rename it (hx rename) to reserve a name again');
      }
    }
  }

  /** volumes/: each entry a volume with its record and data dir (.staging is a dead create's, replaced by the next). */
  volumesPass(): void {
    const dir = this.store.volumes.dir;
    let names: string[];
    try {
      names = readdirSync(dir);
    } catch {
      return; // no volume was ever made
    }
    for (const name of names) {
      if (name === VOLUME_STAGING) continue;
      const path = join(dir, name);
      const subject = `volume ${name}`;
      if (!VOLUME_DIR_NAME.test(name)) {
        this.add(`volumes/${name}`, 'is not a volume (not a volume name)', removeByHand(path));
        continue;
      }
      const rec = readRecord<{ Name?: unknown }>(join(path, 'volume.json'), subject, this.problems, removeByHand(path));
      if (!rec) {
        if (!lstatOrUndefined(join(path, 'volume.json'))) this.add(subject, 'the volume dir has no volume.json', removeByHand(path));
        continue;
      }
      if (rec.Name !== name) this.add(subject, `its record says name ${String(rec.Name)}`, removeByHand(path));
      if (!lstatOrUndefined(join(path, '_data'))?.isDirectory()) this.add(subject, 'its _data directory is missing', `remove it (hx volume rm ${name}) or make the directory again`);
    }
  }

  /** Layers and blobs nothing references: what GC would delete (a killed load leaves them). */
  garbagePass(): void {
    let refs: { layers: Set<string>; blobs: Set<string> } | undefined;
    try {
      refs = this.store.references();
    } catch (e) {
      this.add('store', `cannot tell which layers and blobs are in use: ${(e as Error).message}`, 'repair the records named above first');
    }
    for (const chainId of this.layers.keys()) {
      if (refs && !refs.layers.has(chainId)) this.add(`layer ${chainId}`, 'no image, container or running command uses it', PRUNE);
    }
    for (const name of readdirSync(this.store.blobsDir)) {
      const path = join(this.store.blobsDir, name);
      if (!HEX64.test(name)) {
        this.add(`blobs/sha256/${name}`, 'is not a blob (its name is not a digest)', removeByHand(path));
        continue;
      }
      this.checked.blobs++;
      const digest = `sha256:${name}`;
      if (refs && !refs.blobs.has(digest)) this.add(`blob ${digest}`, 'no image, layer or running command uses it', PRUNE);
      // Hashed already when a record uses it: reported there, under the record's name.
      else if (!this.opts.quick && !this.hashed.has(digest) && this.blobDigest(digest) !== digest) this.add(`blob ${digest}`, 'does not hash to its name (corrupt)', 'remove the images that use it and load or pull them again');
    }
  }

  tempPass(): void {
    const { tmpDir } = this.store;
    for (const entry of readdirSync(tmpDir)) {
      if (entry.endsWith(LOCK_SUFFIX)) continue;
      this.checked.temp++;
      const state = tempEntryState(tmpDir, entry);
      if (state === 'no-lock') this.add(`tmp/${entry}`, 'a temp entry without its lock file', 'the next hx command removes it; if it stays, remove it by hand');
      else if (state === 'dead') this.add(`tmp/${entry}`, 'its owner is gone but it could not be removed', `remove it by hand (a mount under it? umount it first): ${join(tmpDir, entry)}`);
    }
  }
}

/** Every broken invariant of STORE, as problems; an empty list means the store is sound. */
export function verifyStore(store: Store, opts: VerifyOptions = {}): StoreCheck {
  const v = new Verifier(store, opts);
  v.layersPass();
  v.linksPass();
  v.imagesPass();
  v.containersPass();
  v.volumesPass();
  v.garbagePass();
  v.tempPass();
  return { problems: v.problems, checked: v.checked };
}
