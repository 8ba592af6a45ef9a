// Run inside `hx unshare`: make a container rootfs of IMAGE with hx's engine API, print
// its listing (image-fixtures.mjs listRootfs) as JSON, and remove the container again.
import { listRootfs } from './image-fixtures.mjs';

const root = new URL('../../', import.meta.url).pathname;
const { createContainerRootfs, removeContainerRootfs } = await import(`${root}dist/engine/image-rootfs.js`);
const r = await createContainerRootfs(process.argv[2], process.argv[3] ? { storageDriver: process.argv[3] } : {});
try {
  process.stdout.write(JSON.stringify({ driver: r.driver, listing: listRootfs(r.rootfs) }) + '\n');
} finally {
  await removeContainerRootfs(r.id);
}
