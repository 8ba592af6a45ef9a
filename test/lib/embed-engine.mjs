// Run inside `hx unshare` by test/e2e/engine-embed.test.mjs: hx as a library, no CLI. An
// Engine on a temporary store loads an archive, runs a container with its output captured
// in memory, runs one detached and reads its log, and lists images and containers.
// Prints one JSON line of what it saw.
import { Writable } from 'node:stream';

const root = new URL('../../', import.meta.url).pathname;
const { Engine, HxError } = await import(`${root}dist/engine/index.js`);
const [storageRoot, runtimeDir, archive] = process.argv.slice(2);

const engine = new Engine({ storageRoot, runtimeDir, env: { HOME: process.env.HOME ?? '/' } });
const loaded = await engine.images.load(archive);
const chunks = [];
const capture = new Writable({ write(c, _e, cb) { chunks.push(Buffer.from(c)); cb(); } });
const code = await engine.containers.run(
  { image: 'localhost/embed:1', command: ['sh', '-c', 'echo "hello $NAME"; exit 3'], options: { env: ['NAME=engine'] }, autoRemove: true },
  { stdin: null, stdout: capture, stderr: capture },
);
const detached = await engine.containers.runDetached({ image: 'localhost/embed:1', command: ['echo', 'from the monitor'], options: {} });
const exitCode = await engine.containers.wait(detached.id);
let log = '';
await engine.containers.logs(detached.id, {}, { stdout: (d) => (log += d), stderr: () => {} });
const containers = engine.containers.list({ all: true }).map((c) => ({ id: c.id, state: c.state, status: c.status }));
await engine.containers.remove(detached.id);
let missing;
try {
  engine.images.inspect('localhost/nothere:1');
} catch (e) {
  missing = { isHxError: e instanceof HxError, kind: e.kind };
}
process.stdout.write(JSON.stringify({
  loaded: loaded.map((r) => r.names).flat(),
  code,
  output: Buffer.concat(chunks).toString(),
  detached: { exitCode, log },
  containers,
  images: engine.images.list().map((r) => `${r.repository}:${r.tag}`),
  after: engine.containers.list({ all: true }).length,
  missing,
}) + '\n');
