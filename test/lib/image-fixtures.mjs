// Images made in a test from real files, archived by real tools: layers are GNU tar
// archives of staging dirs (whiteouts are empty .wh.* files, as the OCI spec writes them),
// stacked with `umoci raw add-layer`, exported with `skopeo copy` to docker-archive and
// oci-archive. Also a rootfs lister used to compare hx with `umoci unpack --rootless`.
import { execFileSync, spawnSync } from 'node:child_process';
import { createHash } from 'node:crypto';
import { chmodSync, copyFileSync, lstatSync, mkdirSync, readdirSync, readFileSync, readlinkSync, symlinkSync, writeFileSync } from 'node:fs';
import { dirname, join } from 'node:path';

export function haveTools(...names) {
  return names.every((n) => spawnSync('sh', ['-c', `command -v ${n}`]).status === 0);
}

/** files: { 'path': 'content' | {copy} | {symlink} | {dir} | {hardlink: 'other/path'}, mode? } */
export function stage(dir, files) {
  mkdirSync(dir, { recursive: true });
  for (const [path, spec] of Object.entries(files)) {
    const full = join(dir, path);
    mkdirSync(dirname(full), { recursive: true });
    if (typeof spec === 'string') writeFileSync(full, spec);
    else if (spec.copy) copyFileSync(spec.copy, full);
    else if (spec.symlink) symlinkSync(spec.symlink, full);
    else if (spec.hardlink) execFileSync('ln', [join(dir, spec.hardlink), full]);
    else if (spec.dir) mkdirSync(full, { recursive: true });
    if (spec.mode !== undefined) chmodSync(full, spec.mode);
  }
}

export function tarDir(dir, out) {
  execFileSync('tar', ['--sort=name', '--numeric-owner', '--owner=0', '--group=0', '--mtime=@1700000000', '-C', dir, '-cf', out, '.']);
}

/**
 * An OCI layout at WORK/layout with tag TAG whose layers are the given staging specs (or
 * ready tar files). Returns the layout path.
 */
export function buildLayout(work, tag, layers, cmd = ['sh']) {
  const layout = join(work, 'layout');
  if (!lstatSafe(layout)) execFileSync('umoci', ['init', '--layout', layout]);
  execFileSync('umoci', ['new', '--image', `${layout}:${tag}`]);
  layers.forEach((spec, i) => {
    let tar = spec;
    if (typeof spec !== 'string') {
      const dir = join(work, `${tag}-stage${i}`);
      stage(dir, spec);
      tar = join(work, `${tag}-layer${i}.tar`);
      tarDir(dir, tar);
    }
    execFileSync('umoci', ['raw', 'add-layer', '--image', `${layout}:${tag}`, tar]);
  });
  execFileSync('umoci', ['config', '--image', `${layout}:${tag}`, ...cmd.flatMap((c) => ['--config.cmd', c])]);
  return layout;
}

function lstatSafe(p) {
  try {
    return lstatSync(p);
  } catch {
    return null;
  }
}

export function skopeoCopy(from, to) {
  execFileSync('skopeo', ['copy', '-q', from, to], { stdio: ['ignore', 'ignore', 'pipe'] });
}

/** rootlesscontainers xattr (protobuf: 1=uid, 2=gid, varints) -> {uid, gid}. */
function decodeRootless(buf) {
  const out = { uid: 0, gid: 0 };
  let i = 0;
  while (i < buf.length) {
    const key = buf[i++];
    let v = 0;
    let shift = 0;
    for (;;) {
      const b = buf[i++];
      v += (b & 0x7f) * 2 ** shift;
      shift += 7;
      if (!(b & 0x80)) break;
    }
    if (key >> 3 === 1) out.uid = v;
    if (key >> 3 === 2) out.gid = v;
  }
  return out;
}

/**
 * Listing of a root filesystem: "path type mode uid gid size link sha256" lines, sorted.
 * owner(path, st) gives the ids to report (lets the umoci side read its xattr).
 */
export function listRootfs(root, owner = (_p, st) => ({ uid: st.uid, gid: st.gid })) {
  const lines = [];
  const walk = (rel) => {
    const p = rel ? join(root, rel) : root;
    const st = lstatSync(p);
    const type = st.isDirectory() ? 'd' : st.isSymbolicLink() ? 'l' : st.isFile() ? 'f' : st.isFIFO() ? 'p' : st.isCharacterDevice() ? 'c' : '?';
    const { uid, gid } = owner(p, st);
    const link = type === 'l' ? readlinkSync(p) : '-';
    const hash = type === 'f' ? createHash('sha256').update(readFileSync(p)).digest('hex') : '-';
    const size = type === 'f' ? st.size : 0;
    lines.push(`/${rel} ${type} ${(st.mode & 0o7777).toString(8)} ${uid} ${gid} ${size} ${link} ${hash}`);
    if (type === 'd') for (const n of readdirSync(p).sort()) walk(rel ? `${rel}/${n}` : n);
  };
  walk('');
  return lines.sort();
}

/** A listing's path, type, size and content hash (no owners or modes: tools map those differently). */
export function pathsOf(listing) {
  return listing.map((l) => l.split(' ')).map((f) => `${f[0]} ${f[1]} ${f[5]} ${f[7]}`);
}

export function umociOwner(lgetxattr) {
  return (p) => {
    let x = null;
    try {
      x = lgetxattr(p, 'user.rootlesscontainers');
    } catch {
      x = null;
    }
    return x ? decodeRootless(x) : { uid: 0, gid: 0 };
  };
}
