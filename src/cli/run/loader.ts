// build/run-loader.cjs and build/cli-loader.cjs: what the launcher starts. Each runs its
// bundle (run.cjs for `hx run`, cli.cjs for the rest) through a V8 code cache, because
// compiling the bundle (and then each function as it is first called) is the largest
// cost hx adds to Node's own start: measured 41.6 -> 33.4 ms of CPU for
// `hx run --rootfs DIR true`, against 25 for `node -e 0`.
//
// The cache is written once, at the end of the first run that had none (so it holds the
// functions a run really compiles), to $XDG_CACHE_HOME/hx (~/.cache/hx), named after the
// bundle's size and mtime, Node's version and the command word: one cache per command,
// because a cache made by `hx version` lacks what `hx images` compiles (~5 ms a run,
// bench/RESULTS.md). V8 checks it again and ignores a cache that does not fit; the file
// is the user's own, like Node 22's module compile cache.
import { closeSync, fstatSync, mkdirSync, openSync, readdirSync, readFileSync, renameSync, statSync, unlinkSync, writeSync } from 'node:fs';
import { createRequire } from 'node:module';
import { basename, dirname, join } from 'node:path';
import { Script } from 'node:vm';
import { parseGlobalOptions } from '../global-options.js';

// this file is NAME-loader.cjs; its bundle is NAME.cjs
const bundle = join(__dirname, basename(__filename).replace('-loader', ''));
const bundleName = basename(bundle);

/** The command word (`images`, `image`, `ps`, `run`, `help`): what names a command's cache. Only
 * a plain word, so the user's arguments never make file names. */
function commandWord(): string {
  // help of any command compiles little: its own cache, not the command's (~30 ms without one)
  if (process.argv.includes('--help') || process.argv.includes('-h')) return 'help';
  try {
    const word = parseGlobalOptions(process.argv.slice(2)).rest[0];
    if (word !== undefined && /^[a-z][a-z0-9-]{0,31}$/.test(word)) return word;
  } catch {
    /* a usage error: the CLI reports it */
  }
  return 'other';
}

/** This build of the bundle, under this Node: every cache of another build is stale. */
function buildPrefix(): string | undefined {
  try {
    const st = statSync(bundle);
    return `${bundleName}-${st.size}-${Math.floor(st.mtimeMs)}-${process.version}-${process.arch}-`;
  } catch {
    return undefined;
  }
}

const prefix = buildPrefix();

function cachePath(): string | undefined {
  const base = process.env.XDG_CACHE_HOME || (process.env.HOME ? join(process.env.HOME, '.cache') : '');
  if (!base || !prefix) return undefined;
  return join(base, 'hx', `${prefix}${commandWord()}.v8cache`);
}

const source = readFileSync(bundle, 'utf8');
const cacheFile = cachePath();
/** The cache, only when it is this user's own and nobody else can write it: it is code
 * (root running with another user's HOME must not take theirs). */
function readOwnCache(path: string): Buffer | undefined {
  let fd: number | undefined;
  try {
    fd = openSync(path, 'r');
    const st = fstatSync(fd);
    if (!st.isFile() || st.uid !== process.getuid!() || (st.mode & 0o022) !== 0) return undefined;
    return readFileSync(fd);
  } catch {
    return undefined; // first run
  } finally {
    if (fd !== undefined) closeSync(fd);
  }
}

const cached = cacheFile ? readOwnCache(cacheFile) : undefined;
// The same wrapper Node gives a CommonJS module.
const script = new Script(`(function (exports, require, module, __filename, __dirname) {${source}\n})`, {
  filename: bundle,
  ...(cached ? { cachedData: cached } : {}),
});
if (cacheFile && (!cached || script.cachedDataRejected)) {
  process.once('exit', () => {
    try {
      const data = script.createCachedData();
      mkdirSync(dirname(cacheFile), { recursive: true, mode: 0o700 });
      if (statSync(dirname(cacheFile)).uid !== process.getuid!()) return; // not our directory
      const tmp = `${cacheFile}.${process.pid}.tmp`;
      const fd = openSync(tmp, 'wx', 0o600); // O_EXCL: never through a planted symlink
      try {
        writeSync(fd, data);
      } finally {
        closeSync(fd);
      }
      renameSync(tmp, cacheFile);
      // caches of earlier builds of the bundle are dead weight now (other commands' of this build are not)
      for (const f of readdirSync(dirname(cacheFile))) {
        if (f.startsWith(`${bundleName}-`) && f.endsWith('.v8cache') && !f.startsWith(prefix!)) unlinkSync(join(dirname(cacheFile), f));
      }
    } catch {
      /* no cache: the next run compiles again */
    }
  });
}
const mod = { exports: {} };
(script.runInThisContext() as (...args: unknown[]) => void).call(mod.exports, mod.exports, createRequire(bundle), mod, bundle, __dirname);
