// Run inside `hx unshare` by test/e2e/storage-drivers.test.mjs, once per driver: the
// StorageDriver contract (layer/drivers/driver.ts) exercised on a real image: mount shows
// the layers merged (whiteouts and opaque dirs applied), writes stay in the container,
// unmount and mount again keep them, changes() names what changed, remove leaves nothing.
// Prints one JSON line.
import { execFileSync } from 'node:child_process';
import { appendFileSync, existsSync, mkdirSync, rmSync, unlinkSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { listRootfs, pathsOf } from './image-fixtures.mjs';

const root = new URL('../../', import.meta.url).pathname;
const { EngineContext } = await import(`${root}dist/engine/context.js`);
const { loadImages } = await import(`${root}dist/engine/images/load.js`);
const { createContainer, dirsFor, mountRootfs, unmountRootfs, removeContainer } = await import(`${root}dist/container/rootfs.js`);
const { storageDriver } = await import(`${root}dist/layer/drivers/index.js`);
const { resolveImage } = await import(`${root}dist/image/resolve.js`);
const [storageRoot, driverName, archive] = process.argv.slice(2);

const ctx = new EngineContext({ storageRoot, storageDriver: driverName });
await loadImages(ctx, archive);
const image = resolveImage(ctx.store, 'localhost/conf:1');
const { record, claim } = await createContainer(ctx, image, { imageRef: 'localhost/conf:1' });
const driver = storageDriver(record.driver);
const dirs = () => dirsFor(ctx.store, ctx.mode, record);
const out = { driver: record.driver };
try {
  const rootfs = mountRootfs(ctx, record);
  out.mounted = driver.isMounted(dirs());
  out.merged = pathsOf(listRootfs(rootfs));
  // the container's writes
  writeFileSync(join(rootfs, 'new.txt'), 'new\n');
  appendFileSync(join(rootfs, 'etc/keep'), 'more\n');
  unlinkSync(join(rootfs, 'etc/gone'));
  rmSync(join(rootfs, 'dir1'), { recursive: true });
  mkdirSync(join(rootfs, 'dir3'));
  writeFileSync(join(rootfs, 'dir3/f'), 'f\n');
  out.changes = driver.changes(dirs()).map((c) => `${c.kind} ${c.path}`);
  unmountRootfs(ctx, record);
  out.mountedAfterUnmount = driver.isMounted(dirs());
  const again = mountRootfs(ctx, record);
  out.kept = existsSync(join(again, 'new.txt')) && !existsSync(join(again, 'etc/gone')) && execFileSync('cat', [join(again, 'etc/keep')], { encoding: 'utf8' });
  // a second container of the same image sees none of it
  const other = await createContainer(ctx, image, { imageRef: 'localhost/conf:1' });
  const otherRoot = mountRootfs(ctx, other.record);
  out.isolated = !existsSync(join(otherRoot, 'new.txt')) && existsSync(join(otherRoot, 'etc/gone'));
  await removeContainer(ctx, other.record.id);
  other.claim.release();
} finally {
  await removeContainer(ctx, record.id);
  claim.release();
}
out.removed = !existsSync(ctx.store.containerDir(record.id));
process.stdout.write(JSON.stringify(out) + '\n');
