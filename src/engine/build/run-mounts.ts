// RUN --mount, as the RUN container's mounts: each type becomes a request of the one
// mount path containers already take (runtime/mounts.ts MountRequest: bind or tmpfs):
//
//   cache   a store directory kept between builds (mount-cache.ts), read-write
//   bind    a context path (bound read-only in place), or a path of a stage or image
//           (from=), or any rw bind: copied to a private directory first, so what the
//           RUN changes there is dropped with it (buildkit's rw: "writes are discarded")
//   tmpfs   a tmpfs, size= its limit
//   secret  a file of `hx build --secret` in a private directory (mode 0400 unless
//           mode=, uid/gid as given), bound read-only at /run/secrets/ID or target=;
//           env= also (or only) puts the value in the RUN's environment, never the image's
//   ssh     refused: no agent forwarding here
//
// What the image gets from a mount: nothing. The mount points the child had to make in
// the container's root (a target missing in the image) are removed before the commit
// when they are still empty, as buildkit's stub cleaner does.
import { chmodSync, lchownSync, mkdirSync, readFileSync, realpathSync, rmdirSync, unlinkSync, writeFileSync } from 'node:fs';
import { join, posix, relative } from 'node:path';
import type { RunMount } from '../../build/dockerfile/index.js';
import { HxError, wrap } from '../../errors.js';
import { RootDirs } from '../../layer/root-dirs.js';
import { MS, type MountRequest } from '../../runtime/mounts.js';
import { copyEntry, copyTree, CopyFlag, statInRoot } from '../../sys/spawn.js';
import type { EngineContext } from '../context.js';
import type { BuildContext } from './context.js';
import { withImageRoot } from './image-root.js';
import { leaseCacheMount, type CacheMountLease } from './mount-cache.js';

/** A secret of `hx build --secret id=ID,src=FILE` or `env=VAR` (the CLI reads the variable). */
export interface BuildSecret {
  file?: string;
  value?: string;
}

export interface RunMountSources {
  /** The context that bind mounts without from= read (its .dockerignore applies, as buildkit's does). */
  context: BuildContext;
  workdir: string;
  /** A private directory for this RUN's copies and secret files, removed after it. */
  temp: string;
  secrets: ReadonlyMap<string, BuildSecret>;
  /** from=NAME: the image ID of that stage, or of that image (pulled if need be). */
  imageFor(from: string): Promise<string>;
}

export interface PreparedMounts {
  mounts: MountRequest[];
  /** "K=V" for the RUN's environment (secrets with env=). */
  env: string[];
  /** Targets inside the container (absolute), for the stub cleaner. */
  targets: string[];
  release(): void;
}

function at(inst: { location: { file: string; line: number; column: number } }): string {
  return `${inst.location.file}:${inst.location.line}:${inst.location.column}`;
}

function targetPath(target: string | undefined, workdir: string, fallback?: string): string {
  const t = target ?? fallback;
  if (t === undefined || t === '') throw new HxError('mount target is missing', { kind: 'invalid-argument', hint: 'give the mount a target=PATH' });
  return posix.normalize(t.startsWith('/') ? t : `${workdir}/${t}`).replace(/\/+$/, '') || '/';
}

/** A context path as a host path that stays inside the context (symlinks resolved). */
function contextPath(context: string, source: string): string {
  const root = realpathSync(context);
  let real: string;
  try {
    real = realpathSync(join(root, posix.normalize(`/${source}`)));
  } catch {
    throw new HxError(`failed to calculate checksum of ref: "/${source.replace(/^\/+/, '')}": not found`, { kind: 'not-found', hint: 'the bind source must be inside the build context' });
  }
  if (real !== root && !real.startsWith(`${root}/`)) throw new HxError(`bind source ${source} leaves the build context`, { kind: 'invalid-argument', hint: 'bind a path inside the context' });
  return real;
}

/** Copy SOURCE of ROOT ('' for a host path) into DIR/NAME; the copy's path. */
function privateCopy(root: string, source: string, dir: string, name: string): string {
  mkdirSync(dir, { recursive: true });
  const st = statInRoot({ root, path: source }, true);
  if (!st) throw new HxError(`failed to calculate checksum of ref: "${source}": not found`, { kind: 'not-found', hint: 'the bind source must exist in the stage or image' });
  const flags = CopyFlag.XATTRS | CopyFlag.HARDLINKS | CopyFlag.REPLACE;
  if ((st.mode & 0o170000) === 0o040000) {
    mkdirSync(join(dir, name));
    copyTree({ root, path: source }, { root: '', path: join(dir, name) }, flags);
  } else copyEntry({ root, path: source, follow: true }, { root: '', path: dir, name }, flags);
  return join(dir, name);
}

/** Turn INST's mounts into mount requests (and env), holding what they need until release(). */
export async function prepareRunMounts(ctx: EngineContext, inst: { mounts: RunMount[]; location: { file: string; line: number; column: number } }, src: RunMountSources): Promise<PreparedMounts> {
  const leases: CacheMountLease[] = [];
  const out: PreparedMounts = { mounts: [], env: [], targets: [], release: () => leases.splice(0).forEach((l) => l.release()) };
  try {
    let n = 0;
    for (const m of inst.mounts) {
      const slot = `m${n++}`;
      switch (m.type) {
        case 'ssh':
          throw new HxError(`${at(inst)}: RUN --mount=type=ssh is not supported by hx build: it forwards no SSH agent`, { kind: 'invalid-argument', hint: 'fetch what needs SSH before the build and COPY it in, or use a secret mount' });
        case 'cache': {
          if (m.from) throw new HxError(`${at(inst)}: RUN --mount=type=cache,from= is not supported by hx build`, { kind: 'invalid-argument', hint: 'seed the cache in a RUN instead' });
          const target = targetPath(m.target, src.workdir);
          const lease = await leaseCacheMount(ctx.store, { id: m.id || target, sharing: m.sharing ?? 'shared', uid: m.uid ?? 0, gid: m.gid ?? 0, mode: m.mode ?? 0o755 });
          leases.push(lease);
          out.mounts.push({ type: 'bind', source: lease.dir, target, readonly: m.readOnly, propagation: 'rprivate', recursive: true });
          out.targets.push(target);
          break;
        }
        case 'tmpfs': {
          const target = targetPath(m.target, src.workdir);
          out.mounts.push({ type: 'tmpfs', target, flags: MS.NOSUID | MS.NODEV | (m.readOnly ? MS.RDONLY : 0), data: m.size !== undefined ? `size=${m.size}` : '' });
          out.targets.push(target);
          break;
        }
        case 'bind': {
          const target = targetPath(m.target, src.workdir);
          const source = (m.source ?? '/').replace(/^\/+/, '') || '.';
          let host: string;
          if (m.from) {
            const image = await src.imageFor(m.from);
            host = await withImageRoot(ctx, image, (root) => privateCopy(root, `/${source === '.' ? '' : source}`, join(src.temp, slot), 'src'));
          } else {
            if (src.context.empty) throw new HxError(`RUN --mount=type=bind of the context: the build has no context`, { kind: 'invalid-argument', hint: 'give a context directory or tar, or bind from= a stage or image' });
            const real = contextPath(src.context.root, source);
            const rel = relative(realpathSync(src.context.root), real);
            const sent = src.context.coverage(rel);
            if (sent === 'none') throw new HxError(`failed to calculate checksum of ref: "/${source}": not found`, { kind: 'not-found', hint: 'the bind source is excluded by .dockerignore' });
            host = real;
            if (sent === 'part') {
              // what .dockerignore excludes is not in the context buildkit binds: a copy without it
              const dir = join(src.temp, slot);
              mkdirSync(join(dir, 'src'), { recursive: true });
              src.context.copyDir(rel, { root: '', path: join(dir, 'src') }, CopyFlag.XATTRS | CopyFlag.HARDLINKS | CopyFlag.REPLACE);
              host = join(dir, 'src');
            } else if (!m.readOnly) host = privateCopy('', host, join(src.temp, slot), 'src');
          }
          out.mounts.push({ type: 'bind', source: host, target, readonly: m.readOnly, propagation: 'rprivate', recursive: true });
          out.targets.push(target);
          break;
        }
        case 'secret': {
          const id = m.id || (m.target ? posix.basename(m.target) : '');
          const secret = src.secrets.get(id);
          if (!secret) {
            if (m.required) throw new HxError(`${at(inst)}: secret ${id} not found`, { kind: 'not-found', hint: `give it: hx build --secret id=${id},src=FILE` });
            break;
          }
          const value = secret.value !== undefined ? Buffer.from(secret.value) : readSecret(secret.file!, id);
          if (m.env) out.env.push(`${m.env}=${value.toString('utf8')}`);
          // env= alone puts it in the environment only (buildkit 1.10+)
          if (m.env && m.target === undefined) break;
          const dir = join(src.temp, slot);
          mkdirSync(dir, { mode: 0o700 });
          const file = join(dir, 'secret');
          writeFileSync(file, value, { mode: 0o600 });
          lchownSync(file, m.uid ?? 0, m.gid ?? 0);
          chmodSync(file, m.mode ?? 0o400);
          const target = targetPath(m.target, src.workdir, `/run/secrets/${id}`);
          out.mounts.push({ type: 'bind', source: file, target, readonly: true, propagation: 'rprivate', recursive: false });
          out.targets.push(target);
          break;
        }
      }
    }
    return out;
  } catch (e) {
    out.release();
    // every refusal names the RUN's place in the Dockerfile
    throw e instanceof HxError && e.message.startsWith(`${at(inst)}:`) ? e : wrap(e, at(inst));
  }
}

function readSecret(file: string, id: string): Buffer {
  try {
    return readFileSync(file);
  } catch (e) {
    throw new HxError(`failed to read secret ${id} from ${file}: ${(e as Error).message}`, { kind: 'not-found', cause: e, hint: 'give --secret id=ID,src=FILE of a readable file' });
  }
}

/** For each target, the topmost component missing in ROOT (the stub the child will make). */
export function missingStubs(root: string, targets: readonly string[]): string[] {
  const stubs = new Set<string>();
  for (const target of targets) {
    let path = '';
    for (const part of target.split('/').filter(Boolean)) {
      path += `/${part}`;
      let st;
      try {
        st = statInRoot({ root, path }, false);
      } catch {
        break; // not a directory on the way: the mount fails, nothing to clean
      }
      if (!st) {
        stubs.add(`${path}\n${target}`);
        break;
      }
    }
  }
  return [...stubs];
}

/** Remove the stubs (from missingStubs) the RUN left that are still empty: the target's
 * own entry first, then each parent up to the stub's top. */
export function removeStubs(root: string, stubs: readonly string[]): void {
  const dirs = new RootDirs(root);
  try {
    for (const stub of stubs) {
      const [top, target] = stub.split('\n') as [string, string];
      for (let p = target; p.length >= top.length; p = posix.dirname(p)) {
        const entry = dirs.entry(p.slice(1));
        if (entry === undefined) break;
        try {
          rmdirSync(entry);
        } catch (e) {
          const code = (e as NodeJS.ErrnoException).code;
          if (code === 'ENOTDIR') {
            if (statInRoot({ root, path: p }, false)?.size !== 0) break;
            unlinkSync(entry);
          } else if (code !== 'ENOENT') break; // not empty: the RUN put something there
        }
        if (p === top) break;
      }
    }
  } finally {
    dirs.close();
  }
}
