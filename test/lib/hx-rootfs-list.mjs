// Run inside `hx unshare`: make a container rootfs of IMAGE with hx's engine (the store,
// the driver, container/rootfs.ts), print its listing (image-fixtures.mjs listRootfs) as
// JSON, and remove the container again.
import { listRootfs } from './image-fixtures.mjs';

const root = new URL('../../', import.meta.url).pathname;
const { EngineContext } = await import(`${root}dist/engine/context.js`);
const { createContainer, mountRootfs, removeContainer } = await import(`${root}dist/container/rootfs.js`);
const { resolveImage } = await import(`${root}dist/image/resolve.js`);
const ctx = new EngineContext(process.argv[3] ? { storageDriver: process.argv[3] } : {});
const image = resolveImage(ctx.store, process.argv[2]);
const { record, claim } = await createContainer(ctx, image, { imageRef: process.argv[2] });
try {
  const rootfs = mountRootfs(ctx, record);
  process.stdout.write(JSON.stringify({ driver: record.driver, listing: listRootfs(rootfs) }) + '\n');
} finally {
  await removeContainer(ctx, record.id);
  claim.release();
}
