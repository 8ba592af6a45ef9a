// The name of the built-in hello-world image, apart from hello.ts: `hx run` asks whether
// its image is this one on every run, and hello.ts brings the whole ingest path (zlib,
// worker_threads, streams) that only making the image needs.
import { normalizedName } from './resolve.js';

export const HELLO_NAME = 'docker.io/library/hello-world:latest';

export function isHelloWorld(ref: string): boolean {
  return normalizedName(ref) === HELLO_NAME;
}
