// Adapter from a tar parser to the entry records (tar/types.ts) that LayerWriter takes.
// Interim: tar-stream. The Wasm/TS parser of src/layer/tar/ replaces it behind the same
// push interface: write(chunk, done), end().
import tarStream from 'tar-stream';
import type { TarEntry, TarEntryType } from './tar/types.js';

export interface EntrySink {
  begin(e: TarEntry): void;
  data(chunk: Uint8Array): void;
  end(): void;
}

export interface TarPush {
  /** Feed bytes; DONE runs when the parser has consumed them. */
  write(chunk: Buffer, done: () => void): void;
  end(): void;
}

const TYPES: Record<string, TarEntryType> = {
  file: 'file',
  'contiguous-file': 'file',
  directory: 'dir',
  symlink: 'symlink',
  link: 'hardlink',
  'character-device': 'char',
  'block-device': 'block',
  fifo: 'fifo',
};

interface Header {
  name: string;
  mode?: number;
  uid?: number;
  gid?: number;
  size?: number;
  mtime?: Date;
  type?: string | null;
  linkname?: string | null;
  devmajor?: number;
  devminor?: number;
  pax?: Record<string, string> | null;
}

function toEntry(h: Header): TarEntry {
  const type = TYPES[h.type ?? 'file'];
  if (!type) throw new Error(`tar entry "${h.name}" has unsupported type ${h.type}`);
  const xattrs = new Map<string, Buffer>();
  if (h.pax) {
    for (const [k, v] of Object.entries(h.pax)) {
      const m = /^(?:SCHILY|LIBARCHIVE)\.xattr\.(.+)$/.exec(k);
      if (m) xattrs.set(m[1]!, Buffer.from(v, 'latin1'));
    }
  }
  return {
    name: h.name,
    type,
    mode: h.mode ?? 0o644,
    uid: h.uid ?? 0,
    gid: h.gid ?? 0,
    size: type === 'file' ? (h.size ?? 0) : 0,
    mtime: h.mtime ? Math.floor(h.mtime.getTime() / 1000) : 0,
    mtimeNsec: 0,
    linkname: h.linkname ?? '',
    devmajor: h.devmajor ?? 0,
    devminor: h.devminor ?? 0,
    xattrs,
    dataOffset: 0,
  };
}

/** A push parser feeding SINK; ON_DONE(error?) runs once, at the end or on the first error. */
export function tarPush(sink: EntrySink, onDone: (error?: Error) => void): TarPush {
  const extract = tarStream.extract({ allowUnknownFormat: false } as object);
  let finished = false;
  const finish = (error?: Error): void => {
    if (finished) return;
    finished = true;
    if (error) extract.destroy();
    onDone(error);
  };
  extract.on('entry', (header, stream, next) => {
    try {
      sink.begin(toEntry(header as Header));
    } catch (e) {
      finish(e as Error);
      return;
    }
    stream.on('data', (c) => {
      if (finished) return;
      try {
        sink.data(c as Buffer);
      } catch (e) {
        finish(e as Error);
      }
    });
    stream.on('end', () => {
      if (finished) return;
      try {
        sink.end();
        next();
      } catch (e) {
        finish(e as Error);
      }
    });
  });
  extract.on('finish', () => finish());
  const waiting: (() => void)[] = [];
  extract.on('drain', () => {
    for (const w of waiting.splice(0)) w();
  });
  extract.on('error', (e: Error) => finish(e));
  return {
    write(chunk, done) {
      if (finished) return done();
      if (extract.write(chunk)) done();
      else waiting.push(done);
    },
    end() {
      if (!finished) extract.end(undefined);
    },
  };
}
