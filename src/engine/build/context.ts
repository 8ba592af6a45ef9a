// The build context as COPY/ADD and the step cache read it: one host directory (the one
// given, or a tar unpacked once into a store temp dir), walked once with the .dockerignore
// applied, never copied whole. select() names what a source picks, copyDir() copies a
// selected directory leaving out what the ignore file excludes (the native tree copy for
// every subtree with nothing excluded), digest() hashes the selected files' names, modes,
// owners, link targets and contents, each file read once per build however many steps
// select it.
//
// Contexts as docker takes them: a directory; a tar (plain, gzip, zstd) as a file or on
// stdin; none (the Dockerfile came on stdin). URLs are refused: hx reaches no network to
// fetch one.
import { createHash } from 'node:crypto';
import { chmodSync, closeSync, createReadStream, lstatSync, mkdirSync, openSync, readdirSync, readFileSync, readlinkSync, readSync, type Stats } from 'node:fs';
import { join } from 'node:path';
import { Readable } from 'node:stream';
import { pipeline } from 'node:stream/promises';
import { DockerIgnore, loadDockerIgnore } from '../../build/dockerignore.js';
import { HxError } from '../../errors.js';
import { LayerWriter } from '../../layer/apply.js';
import type { LayerContext } from '../../layer/context.js';
import { decompressor, detectCompression } from '../../layer/decompress.js';
import { mkdirInRoot, RootDirs } from '../../layer/root-dirs.js';
import { tarWritable, type TarEntry } from '../../layer/tar/index.js';
import type { Store, TempDir } from '../../store/store.js';
import { copyEntry, copyTree, openInRoot, type CopySide } from '../../sys/spawn.js';
import { segmentPattern } from './copy-rules.js';

/** One walked entry: its lstat, and whether the ignore file leaves it (or something under it) out. */
interface Entry {
  st: Stats;
  excluded: boolean;
  /** A directory with an excluded entry somewhere below it. */
  partial: boolean;
  children?: string[];
}

const NO_CONTEXT_HINT = 'the Dockerfile came on stdin without a context: COPY and ADD have nothing to read (give a context directory and -f -)';

function notFound(source: string): HxError {
  return new HxError(`failed to compute cache key: failed to calculate checksum of ref: "${source}": not found`, {
    kind: 'not-found',
    hint: 'the source must be inside the build context and not excluded by .dockerignore',
  });
}


/** "/a/./b/../c" -> "a/c" ('' for the root); ".." cannot climb above the root. */
function cleanRel(source: string): string {
  const out: string[] = [];
  for (const part of source.split('/')) {
    if (part === '' || part === '.') continue;
    if (part === '..') out.pop();
    else out.push(part);
  }
  return out.join('/');
}

export class BuildContext {
  private readonly entries = new Map<string, Entry>();
  private readonly digests = new Map<string, string>();
  /** Files read for digest() (each at most once per build). */
  filesHashed = 0;

  private constructor(
    /** The host directory holding the context ('' when there is none). */
    readonly root: string,
    readonly ignore: DockerIgnore,
    private readonly temp: TempDir | undefined,
  ) {
    if (root !== '') this.walk('', undefined);
  }

  /** A context directory, with the ignore file that applies (DOCKERFILE's own, else .dockerignore). */
  static async directory(dir: string, dockerfile: string | undefined): Promise<BuildContext> {
    let st: Stats;
    try {
      st = lstatSync(dir);
    } catch {
      throw new HxError(`unable to prepare context: path "${dir}" not found`, { kind: 'not-found', exitCode: 1, hint: 'give the path of an existing directory as the build context' });
    }
    if (!st.isDirectory()) {
      throw new HxError(`unable to prepare context: context must be a directory: ${dir}`, { kind: 'invalid-argument', exitCode: 1, hint: 'give a directory, a .tar/.tar.gz/.tar.zst file, or - for a tar on stdin' });
    }
    return new BuildContext(dir, (await loadDockerIgnore(dir, dockerfile)).matcher, undefined);
  }

  /** A tar archive (plain, gzip or zstd), unpacked once into a store temp dir with the layer
   * applier's rules (no name leaving it, no entry through a symlink); device nodes and
   * FIFOs are refused. Its .dockerignore, if it has one, applies. */
  static async tar(store: Store, input: Readable, layer: LayerContext): Promise<BuildContext> {
    const temp = store.tempDir('build-context');
    try {
      const dir = join(temp.path, 'context');
      const [head, rest] = await peek(input, 6);
      let kind;
      try {
        kind = detectCompression(head);
      } catch (e) {
        throw new HxError(`unable to prepare context: ${(e as Error).message.replace('layers are', 'contexts are')}`, { kind: 'invalid-argument', exitCode: 1, hint: 'give a plain, gzip- or zstd-compressed tar' });
      }
      const writer = new LayerWriter({ ...layer, root: dir, lowers: [] });
      const reject = (e: TarEntry): void => {
        if (e.type === 'char' || e.type === 'block' || e.type === 'fifo') {
          throw new HxError(`unable to prepare context: ${e.name} is a ${e.type === 'fifo' ? 'FIFO' : 'device file'}; a build context holds files, directories and links only`, { kind: 'invalid-argument', exitCode: 1, hint: 'leave device files out of the context archive' });
        }
      };
      try {
        mkdirSync(dir, { mode: 0o755 });
        await pipeline(kind === 'none' ? rest : rest.pipe(decompressor(kind).stream), tarWritable({ onEntry: (e) => (reject(e), writer.begin(e)), onData: (_e, d) => writer.data(d), onEntryEnd: () => writer.end() }));
        writer.finish();
      } catch (e) {
        writer.abort();
        if (e instanceof HxError) throw e;
        throw new HxError(`unable to prepare context: reading the context archive: ${(e as Error).message}`, { kind: 'data', exitCode: 1, cause: e, hint: 'give a tar archive (plain, gzip or zstd)' });
      }
      return new BuildContext(dir, (await loadDockerIgnore(dir, undefined)).matcher, temp);
    } catch (e) {
      temp.release(true);
      throw e;
    }
  }

  /** No context: `hx build - < Dockerfile`. */
  static none(): BuildContext {
    return new BuildContext('', new DockerIgnore([]), undefined);
  }

  get empty(): boolean {
    return this.root === '';
  }

  /** Remove an unpacked context. */
  release(): void {
    this.temp?.release(true);
  }

  private walk(rel: string, parent: ReturnType<DockerIgnore['excludesInWalk']>['match'] | undefined): boolean {
    const st = lstatSync(rel === '' ? this.root : join(this.root, rel));
    let excluded = false;
    let match = parent;
    if (rel !== '' && this.ignore.patterns.length) {
      const r = this.ignore.excludesInWalk(rel, parent);
      excluded = r.excluded;
      match = r.match;
      if (excluded && (!st.isDirectory() || this.ignore.canSkipDirectory(rel))) {
        this.entries.set(rel, { st, excluded, partial: false });
        return true;
      }
    }
    const entry: Entry = { st, excluded, partial: false };
    this.entries.set(rel, entry);
    if (st.isDirectory()) {
      entry.children = readdirSync(rel === '' ? this.root : join(this.root, rel)).sort();
      for (const name of entry.children) if (this.walk(rel ? `${rel}/${name}` : name, match)) entry.partial = true;
    }
    return excluded || entry.partial;
  }

  /** How much of PATH the context sends: none (missing or excluded), all of it, or a part
   * (a directory with excluded entries below it). */
  coverage(path: string): 'none' | 'all' | 'part' {
    const e = this.kept(cleanRel(path));
    return !e ? 'none' : e.partial ? 'part' : 'all';
  }

  /** Is REL (context-relative) in the context as sent, i.e. there and not excluded? */
  private kept(rel: string): Entry | undefined {
    const e = this.entries.get(rel);
    if (!e) return undefined;
    // an excluded directory is kept only as the parent of an exception below it
    return e.excluded && !(e.st.isDirectory() && e.partial && e.children?.some((c) => this.kept(rel ? `${rel}/${c}` : c))) ? undefined : e;
  }

  /** The paths ("/"-rooted, sorted) SOURCE names: itself or its wildcard matches, without what
   * .dockerignore excludes; none for a named path that is missing or excluded (the caller says
   * docker's not-found with the instruction's place). */
  select(source: string): string[] {
    if (this.empty) throw new HxError(`failed to compute cache key: "${source}": no build context`, { kind: 'invalid-argument', exitCode: 1, hint: NO_CONTEXT_HINT });
    const clean = cleanRel(source);
    if (!/[*?[]/.test(clean)) {
      return this.kept(clean) ? [`/${clean}`] : [];
    }
    let found = [''];
    for (const seg of clean.split('/')) {
      const next: string[] = [];
      const re = /[*?[]/.test(seg) ? segmentPattern(seg) : undefined;
      for (const base of found) {
        const dir = this.kept(base);
        if (!dir?.children) continue; // not a directory (a symlink is never followed)
        for (const name of dir.children) {
          if (re ? !re.test(name) : name !== seg) continue;
          const path = base ? `${base}/${name}` : name;
          if (this.kept(path)) next.push(path);
        }
      }
      found = next;
    }
    return found.map((p) => `/${p}`);
  }

  /** Copy the contents of the selected directory PATH into TO.path (a directory inside TO.root),
   * leaving out what .dockerignore excludes; OWNER as copyTree's. */
  copyDir(path: string, to: CopySide, flags: number, owner?: { uid: number; gid: number }): void {
    const rel = cleanRel(path);
    const e = this.entries.get(rel);
    if (!e?.partial) return void copyTree({ root: this.root, path: `/${rel}` }, to, flags, owner);
    // a host directory ('' root) is resolved under "/" like any other root
    const dest = { root: to.root || '/', path: to.path };
    const dirs = new RootDirs(dest.root);
    try {
      this.copyChildren(rel, dest, flags, owner, dirs);
    } finally {
      dirs.close();
    }
  }

  private copyChildren(rel: string, to: CopySide, flags: number, owner: { uid: number; gid: number } | undefined, dirs: RootDirs): void {
    for (const name of this.entries.get(rel)?.children ?? []) {
      const child = rel ? `${rel}/${name}` : name;
      const e = this.kept(child);
      if (!e) continue;
      if (!e.partial) {
        copyEntry({ root: this.root, path: `/${child}` }, { root: to.root, path: to.path, name }, flags, owner);
        continue;
      }
      const into = `${to.path.replace(/\/$/, '')}/${name}`;
      mkdirInRoot(to.root, into, owner ?? { uid: e.st.uid, gid: e.st.gid });
      const made = dirs.dir(cleanRel(into));
      if (made) chmodSync(made, e.st.mode & 0o7777);
      this.copyChildren(child, { root: to.root, path: into }, flags, owner, dirs);
    }
  }

  /** An fd of the selected file PATH (the caller closes it). */
  open(path: string): number {
    const rel = cleanRel(path);
    if (!this.kept(rel)?.st.isFile()) throw notFound(path);
    return openSync(join(this.root, rel), 'r');
  }

  /** What COPY/ADD would read at PATHS (from select): names, types, modes, owners, sizes, link
   * targets and contents of what is kept, each path's digest computed once per build. */
  digest(paths: string[]): string {
    const h = createHash('sha256');
    for (const p of paths) h.update(`${p} ${this.pathDigest(cleanRel(p))}\n`);
    return h.digest('hex');
  }

  private pathDigest(rel: string): string {
    const memo = this.digests.get(rel);
    if (memo !== undefined) return memo;
    const h = createHash('sha256');
    const e = this.kept(rel);
    if (!e) h.update('missing\n');
    else {
      const { st } = e;
      h.update(`${st.mode} ${st.uid} ${st.gid} ${st.size}\n`);
      if (st.isSymbolicLink()) h.update(`-> ${readlinkSync(join(this.root, rel))}\n`);
      else if (st.isFile()) h.update(this.fileDigest(rel));
      else if (st.isDirectory()) for (const n of e.children ?? []) if (this.kept(rel ? `${rel}/${n}` : n)) h.update(`${n} ${this.pathDigest(rel ? `${rel}/${n}` : n)}\n`);
    }
    const d = h.digest('hex');
    this.digests.set(rel, d);
    return d;
  }

  private fileDigest(rel: string): string {
    const h = createHash('sha256');
    const fd = openSync(join(this.root, rel), 'r');
    try {
      const buf = Buffer.allocUnsafe(1 << 16);
      for (let n; (n = readSync(fd, buf, 0, buf.length, null)) > 0; ) h.update(buf.subarray(0, n));
    } finally {
      closeSync(fd);
    }
    this.filesHashed++;
    return h.digest('hex');
  }
}

/** The first N bytes of INPUT (fewer at its end), and a stream of all of it again. */
export async function peek(input: Readable, n: number): Promise<[Buffer, Readable]> {
  const chunks: Buffer[] = [];
  let size = 0;
  const it = input[Symbol.asyncIterator]();
  while (size < n) {
    const r = (await it.next()) as IteratorResult<Buffer>;
    if (r.done) break;
    const b = Buffer.isBuffer(r.value) ? r.value : Buffer.from(r.value);
    chunks.push(b);
    size += b.length;
  }
  const head = Buffer.concat(chunks);
  async function* again(): AsyncGenerator<Buffer> {
    yield head;
    for (let r = (await it.next()) as IteratorResult<Buffer>; !r.done; r = (await it.next()) as IteratorResult<Buffer>) yield r.value;
  }
  return [head.subarray(0, Math.min(n, head.length)), Readable.from(again(), { objectMode: false })];
}

/** Does HEAD (the first 512+ bytes of a stream, decompressed) look like a tar archive? */
export function looksLikeTar(head: Buffer): boolean {
  if (head.length >= 262 && head.subarray(257, 262).toString('latin1') === 'ustar') return true;
  // an old (v7) header: a checksum that adds up
  if (head.length < 512) return false;
  let sum = 0;
  for (let i = 0; i < 512; i++) sum += i >= 148 && i < 156 ? 32 : head[i]!;
  const stored = parseInt(head.subarray(148, 156).toString('latin1').replace(/\0.*$/, '').trim(), 8);
  return stored === sum && head[0] !== 0;
}

/** A file (or stdin) whose first bytes say it is compressed or a tar. */
export function isCompressedOrTar(head: Buffer): boolean {
  if (head.length >= 4 && ((head[0] === 0x1f && head[1] === 0x8b) || head.readUInt32LE(0) === 0xfd2fb528)) return true;
  if (head.length >= 3 && head.subarray(0, 3).toString('latin1') === 'BZh') return true;
  if (head.length >= 6 && head.subarray(0, 6).equals(Buffer.from([0xfd, 0x37, 0x7a, 0x58, 0x5a, 0x00]))) return true;
  return looksLikeTar(head);
}

/** A file's stream (for a .tar CONTEXT path). */
export function fileStream(path: string): Readable {
  return createReadStream(path, { highWaterMark: 1 << 20 });
}

/** Where the context and the Dockerfile come from, as `hx build` was given them. */
export interface ContextRequest {
  /** A directory, a .tar[.gz|.zst] file, '-' (stdin: a tar, or the Dockerfile with no context), or a URL (refused). */
  context: string;
  /** The Dockerfile: a path ('-': stdin), default CONTEXT/Dockerfile. */
  dockerfile?: string | undefined;
  /** What '-' reads. */
  stdin?: Readable | undefined;
}

export interface OpenedContext {
  context: BuildContext;
  /** The Dockerfile's text and where it was read (for ignore files and messages). */
  dockerfileText: string;
  dockerfilePath: string | undefined;
}

function readDockerfileAt(root: string, rel: string, shown: string): string {
  let fd: number;
  try {
    fd = openInRoot(root, `/${cleanRel(rel)}`);
  } catch (e) {
    throw new HxError(`failed to read dockerfile: open ${shown}: no such file or directory`, { kind: 'not-found', exitCode: 1, cause: e, hint: 'give the Dockerfile with -f, or put one in the context' });
  }
  try {
    return readFileSync(fd, 'utf8');
  } finally {
    closeSync(fd);
  }
}

async function readAll(input: Readable): Promise<string> {
  const chunks: Buffer[] = [];
  for await (const c of input) chunks.push(Buffer.isBuffer(c) ? c : Buffer.from(c as string));
  return Buffer.concat(chunks).toString('utf8');
}

/** Open the context REQ names and read its Dockerfile (docker's rules and messages). */
export async function openBuildContext(store: Store, layer: LayerContext, req: ContextRequest): Promise<OpenedContext> {
  const { context: where, dockerfile } = req;
  if (/^[a-z][a-z0-9+.-]*:\/\//i.test(where) || /^git@/.test(where)) {
    throw new HxError(`unable to prepare context: hx does not fetch remote contexts ("${where}"): it reaches no network for a build context`, { kind: 'invalid-argument', exitCode: 1, hint: 'fetch the repository or archive yourself and give its directory or .tar file as the context' });
  }
  const stdinUse = (): Readable => {
    if (!req.stdin) throw new HxError('no standard input to read the context or Dockerfile from', { kind: 'invalid-argument', exitCode: 1, hint: 'pipe a tar or a Dockerfile into hx build -' });
    return req.stdin;
  };
  if (where === '-') {
    if (dockerfile === '-') throw new HxError("invalid argument: can't use stdin for both build context and dockerfile", { kind: 'invalid-argument', exitCode: 1, hint: 'give the context as a directory, or the Dockerfile as a file' });
    const [head, stream] = await peek(stdinUse(), 512);
    if (isCompressedOrTar(head)) {
      const context = await BuildContext.tar(store, stream, layer);
      try {
        return { context, dockerfileText: readDockerfileAt(context.root, dockerfile ?? 'Dockerfile', dockerfile ?? 'Dockerfile'), dockerfilePath: undefined };
      } catch (e) {
        context.release();
        throw e;
      }
    }
    // docker: what is not an archive is the Dockerfile, and there is no context
    return { context: BuildContext.none(), dockerfileText: await readAll(stream), dockerfilePath: undefined };
  }
  let st: Stats | undefined;
  try {
    st = lstatSync(where);
  } catch {
    st = undefined;
  }
  if (st?.isFile()) {
    const fd = openSync(where, 'r');
    const head = Buffer.alloc(512);
    let n: number;
    try {
      n = readSync(fd, head, 0, 512, 0);
    } finally {
      closeSync(fd);
    }
    if (!isCompressedOrTar(head.subarray(0, n))) {
      throw new HxError(`unable to prepare context: context must be a directory: ${where}`, { kind: 'invalid-argument', exitCode: 1, hint: 'give a directory, a .tar/.tar.gz/.tar.zst file, or - for a tar on stdin' });
    }
    const context = await BuildContext.tar(store, fileStream(where), layer);
    try {
      const dockerfileText = dockerfile === '-' ? await readAll(stdinUse()) : readDockerfileAt(context.root, dockerfile ?? 'Dockerfile', dockerfile ?? 'Dockerfile');
      return { context, dockerfileText, dockerfilePath: undefined };
    } catch (e) {
      context.release();
      throw e;
    }
  }
  const dockerfilePath = dockerfile === '-' ? undefined : dockerfile ?? join(where, 'Dockerfile');
  const context = await BuildContext.directory(where, dockerfilePath);
  let dockerfileText: string;
  if (dockerfilePath === undefined) dockerfileText = await readAll(stdinUse());
  else {
    try {
      dockerfileText = readFileSync(dockerfilePath, 'utf8');
    } catch (e) {
      throw new HxError(`failed to read dockerfile: open ${dockerfilePath}: no such file or directory`, { kind: 'not-found', exitCode: 1, cause: e, hint: 'give the Dockerfile with -f, or put one in the context directory' });
    }
  }
  return { context, dockerfileText, dockerfilePath };
}
