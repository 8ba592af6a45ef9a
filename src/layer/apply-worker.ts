// Worker thread: parses the uncompressed layer tar it is sent (TarStreamParser, the
// TypeScript or Wasm header scanner) and writes the entries with synchronous fs calls
// (LayerWriter). Protocol: {chunk} / {end} in; {ack: bytes}, {done: stats} or
// {error: {name, message}} out. After an error it ignores further input.
import { parentPort, workerData } from 'node:worker_threads';
import { LayerWriter, type ApplyOptions } from './apply.js';
import { TarStreamParser } from './tar/parser.js';

const port = parentPort!;
const writer = new LayerWriter(workerData as ApplyOptions);
const parser = new TarStreamParser({
  onEntry: (e) => writer.begin(e),
  onData: (_e, data) => writer.data(data),
  onEntryEnd: () => writer.end(),
});
let failed = false;

function fail(e: unknown): void {
  failed = true;
  writer.abort();
  const err = e as NodeJS.ErrnoException;
  port.postMessage({ error: { name: err.name, message: err.message, code: err.code } });
}

port.on('message', (m: { chunk?: Uint8Array; end?: boolean }) => {
  if (failed) return;
  try {
    if (m.chunk) {
      parser.push(Buffer.from(m.chunk.buffer, m.chunk.byteOffset, m.chunk.length));
      port.postMessage({ ack: m.chunk.length });
    } else if (m.end) {
      parser.end();
      port.postMessage({ done: writer.finish() });
    }
  } catch (e) {
    fail(e);
  }
});
