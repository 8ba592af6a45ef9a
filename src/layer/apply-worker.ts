// Worker thread: parses the uncompressed layer tar it is sent and writes the entries
// with synchronous fs calls (LayerWriter). Protocol: {chunk} / {end} in; {ack: bytes},
// {done: stats} or {error: {name, message}} out.
import { parentPort, workerData } from 'node:worker_threads';
import { LayerWriter, type ApplyOptions } from './apply.js';
import { tarPush } from './tar-source.js';

const port = parentPort!;
const writer = new LayerWriter(workerData as ApplyOptions);
let failed = false;

const parser = tarPush(writer, (error) => {
  if (error) {
    failed = true;
    writer.abort();
    port.postMessage({ error: { name: error.name, message: error.message, code: (error as NodeJS.ErrnoException).code } });
    return;
  }
  try {
    port.postMessage({ done: writer.finish() });
  } catch (e) {
    const err = e as NodeJS.ErrnoException;
    port.postMessage({ error: { name: err.name, message: err.message, code: err.code } });
  }
});

port.on('message', (m: { chunk?: Uint8Array; end?: boolean }) => {
  if (failed) return;
  if (m.chunk) {
    const n = m.chunk.length;
    parser.write(Buffer.from(m.chunk.buffer, m.chunk.byteOffset, n), () => port.postMessage({ ack: n }));
  } else if (m.end) {
    parser.end();
  }
});
