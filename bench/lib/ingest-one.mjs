// One hx ingest of a layer blob into a fresh dir (decompress + both digests + parse +
// write), as the image store does it; prints {ms, digest, diffId, entries} as JSON.
// Run inside hx's namespace (hx unshare) so ownership lands on mapped ids.
import { createReadStream, mkdirSync } from 'node:fs';
import { join } from 'node:path';

const [, , blob, dest, root] = process.argv;
const { ingestLayer } = await import(join(root, 'dist/layer/ingest.js'));
const { layerContext } = await import(join(root, 'dist/layer/context.js'));
mkdirSync(dest);
const t = performance.now();
const r = await ingestLayer({ source: createReadStream(blob, { highWaterMark: 1 << 20 }), apply: { ...layerContext(), maxEntries: 1e8, root: dest, lowers: [] } });
process.stdout.write(JSON.stringify({ ms: performance.now() - t, digest: r.digest, diffId: r.diffId, entries: r.stats.entries }) + '\n');
