// The built-in hello-world image: one static binary (build/hello, compiled at install
// from native/static/hello.c) at /hello. Built into the store on first use, so
// `hx run hello-world` needs no network. Deterministic: the same binary gives the same ID.
import { existsSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import { Readable } from 'node:stream';
import { HxError } from '../errors.js';
import type { LayerContext } from '../layer/context.js';
import { encodeTarHeader, tarPadding, TAR_END } from '../layer/tar/write.js';
import { sha256Digest } from '../store/digest.js';
import type { ImageRecord, Store } from '../store/store.js';
import { buildDir } from '../sys/install.js';
import { OCI_LAYER } from './media.js';
import { HELLO_NAME } from './hello-name.js';
import { findImage } from './resolve.js';
import { imageSource, type ImageSource } from './source.js';
import { storeImage } from './store-image.js';

export { HELLO_NAME, isHelloWorld } from './hello-name.js';
const CREATED = '2026-01-01T00:00:00Z';

function tarOf(name: string, data: Buffer, mode: number, mtime: number): Buffer {
  const head = encodeTarHeader({ name, type: 'file', mode, size: data.length, mtime, uid: 0, gid: 0 });
  return Buffer.concat([head, data, tarPadding(data.length), TAR_END]);
}

/** The hello-world image made of BINARY (a static program, at /hello), as a source. */
export function helloWorldSource(binary: Buffer): ImageSource {
  const layer = tarOf('hello', binary, 0o755, Date.parse(CREATED) / 1000);
  const diffId = sha256Digest(layer);
  const config = {
    architecture: { x64: 'amd64', arm64: 'arm64' }[process.arch as 'x64' | 'arm64'] ?? process.arch,
    os: 'linux',
    created: CREATED,
    config: { Cmd: ['/hello'], Env: ['PATH=/usr/local/sbin:/usr/local/bin:/usr/sbin:/usr/bin:/sbin:/bin'], WorkingDir: '/' },
    rootfs: { type: 'layers', diff_ids: [diffId] },
    history: [{ created: CREATED, created_by: 'hx: built in from native/static/hello.c', comment: 'hx built-in image' }],
  };
  return imageSource({
    configBytes: Buffer.from(JSON.stringify(config)),
    names: [HELLO_NAME],
    layers: [{ open: () => Readable.from([layer]), digest: diffId, diffId, mediaType: OCI_LAYER, size: layer.length, uncompressedSize: layer.length, label: 'hello-world layer' }],
  });
}

/** The hello-world image, built into STORE when it is not there yet. */
export async function ensureHelloWorld(store: Store, ctx: LayerContext): Promise<ImageRecord> {
  const have = findImage(store, HELLO_NAME);
  if (have) return have;
  const bin = join(buildDir(), 'hello');
  if (!existsSync(bin)) throw new HxError(`${bin} is missing`, { hint: 'run `npm install` (or `node scripts/build.mjs native`) in the hx directory' });
  return storeImage(store, helloWorldSource(readFileSync(bin)), ctx);
}
