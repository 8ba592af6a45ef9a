// Layer ingest bench (issue 4): hx's ingest (decompress + blob digest + diff_id + parse +
// write) against `tar -xzf` plus `sha256sum` (both digests, as a shell would check them)
// and against `umoci unpack --rootless`, on the same gzip layers, on disk and on
// /dev/shm, all as the same unprivileged user inside hx's user namespace; plus each stage
// alone on the same bytes.
//
//   node bench/ingest.mjs [--quick] [--runs N] [--disk DIR]
//
// Run it as an unprivileged user with a subuid range (it re-runs itself under `hx unshare`).
// Layers: "small files" = /usr/share + /usr/include + 50k generated small files (100k+
// entries); "large files" = the largest files under /usr up to ~1 GB.
import { execFileSync, spawnSync } from 'node:child_process';
import { createHash } from 'node:crypto';
import { existsSync, mkdirSync, mkdtempSync, readFileSync, rmSync, statSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { machine } from './lib.mjs';

const root = join(fileURLToPath(import.meta.url), '..', '..');
const args = process.argv.slice(2);
const quick = args.includes('--quick');
const runs = Number(args[args.indexOf('--runs') + 1]) || (quick ? 1 : 3);
const diskBase = args.includes('--disk') ? args[args.indexOf('--disk') + 1] : (process.env.HX_BENCH_DISK || '/var/tmp');

if (!process.env.HX_NS_PID && process.getuid() !== 0) {
  const hxBin = process.env.HX_BIN || join(root, 'build', 'hx');
  const r = spawnSync(hxBin, ['unshare', '--', process.execPath, ...process.argv.slice(1)], { stdio: 'inherit' });
  process.exit(r.status ?? 1);
}
if (process.env.HX_HOST_UID === '0' || (!process.env.HX_NS_PID && process.getuid() === 0)) {
  console.error('run the bench as an unprivileged user (it compares rootless extraction)');
  process.exit(1);
}

const sh = (cmd, opts = {}) => execFileSync('sh', ['-c', cmd], { stdio: ['ignore', 'pipe', 'inherit'], maxBuffer: 1 << 30, ...opts }).toString();

function makeLayers(dir) {
  mkdirSync(dir, { recursive: true });
  const small = join(dir, 'small.tar.gz');
  const large = join(dir, 'large.tar.gz');
  if (!existsSync(small)) {
    const gen = join(dir, 'gen');
    const count = quick ? 5000 : 50000;
    for (let i = 0; i < count; i++) {
      const d = join(gen, `pkg${i % 500}`);
      if (i < 500) mkdirSync(d, { recursive: true });
      writeFileSync(join(d, `file${i}.txt`), `${createHash('sha256').update(String(i)).digest('hex')}\n`.repeat(8 + (i % 50)));
    }
    const srcs = quick ? '-C / usr/include' : '-C / usr/share usr/include';
    sh(`tar --numeric-owner -cf - ${srcs} -C ${gen} . 2>/dev/null | gzip -6 > ${small}`);
    rmSync(gen, { recursive: true, force: true });
  }
  if (!existsSync(large)) {
    const limit = quick ? 200e6 : 1e9;
    const files = sh("find /usr -xdev -type f -size +8M -printf '%s %p\\n' | sort -rn").trim().split('\n');
    const pick = [];
    let total = 0;
    for (const line of files) {
      const [size, path] = [Number(line.split(' ')[0]), line.slice(line.indexOf(' ') + 1)];
      if (total + size > limit) continue;
      pick.push(path.slice(1));
      total += size;
    }
    writeFileSync(join(dir, 'large.list'), pick.join('\n') + '\n');
    sh(`tar --numeric-owner -C / -cf - -T ${join(dir, 'large.list')} | gzip -6 > ${large}`);
  }
  return { small, large };
}

/** An OCI layout holding the layer, for umoci. */
function umociLayout(dir, blob, name) {
  const layout = join(dir, `oci-${name}`);
  if (existsSync(layout)) return layout;
  sh(`umoci init --layout ${layout} && umoci new --image ${layout}:x`);
  const gz = readFileSync(blob);
  const digest = createHash('sha256').update(gz).digest('hex');
  const diffId = sh(`gzip -dc ${blob} | sha256sum`).split(' ')[0];
  sh(`cp ${blob} ${layout}/blobs/sha256/${digest}`);
  // add the layer to the manifest and config by hand (umoci raw add-layer would recompress)
  const index = JSON.parse(readFileSync(join(layout, 'index.json'), 'utf8'));
  const mDesc = index.manifests[0];
  const manifest = JSON.parse(readFileSync(join(layout, 'blobs/sha256', mDesc.digest.slice(7)), 'utf8'));
  const config = JSON.parse(readFileSync(join(layout, 'blobs/sha256', manifest.config.digest.slice(7)), 'utf8'));
  config.rootfs.diff_ids = [`sha256:${diffId}`];
  const cBytes = Buffer.from(JSON.stringify(config));
  const cHex = createHash('sha256').update(cBytes).digest('hex');
  writeFileSync(join(layout, 'blobs/sha256', cHex), cBytes);
  manifest.config = { ...manifest.config, digest: `sha256:${cHex}`, size: cBytes.length };
  manifest.layers = [{ mediaType: 'application/vnd.oci.image.layer.v1.tar+gzip', digest: `sha256:${digest}`, size: gz.length }];
  const mBytes = Buffer.from(JSON.stringify(manifest));
  const mHex = createHash('sha256').update(mBytes).digest('hex');
  writeFileSync(join(layout, 'blobs/sha256', mHex), mBytes);
  index.manifests[0] = { ...mDesc, digest: `sha256:${mHex}`, size: mBytes.length };
  writeFileSync(join(layout, 'index.json'), JSON.stringify(index));
  return layout;
}

function timeCmd(cmd, cleanup) {
  const ms = [];
  for (let i = 0; i < runs; i++) {
    cleanup();
    const t = performance.now();
    const r = spawnSync('sh', ['-c', cmd], { stdio: ['ignore', 'pipe', 'pipe'], maxBuffer: 1 << 26 });
    const el = performance.now() - t;
    if (r.status !== 0) throw new Error(`${cmd} failed: ${r.stderr}`);
    ms.push(el);
  }
  cleanup();
  ms.sort((a, b) => a - b);
  return ms[Math.floor(ms.length / 2)];
}

const work = mkdtempSync(join(diskBase, 'hx-ingest-bench-'));
const data = makeLayers(join(diskBase, 'hx-ingest-bench-data'));
const rows = [];
const stageRows = [];
for (const [label, blob] of [['small files', data.small], ['large files', data.large]]) {
  const gzBytes = statSync(blob).size;
  const tarBytes = Number(sh(`gzip -dc ${blob} | wc -c`).trim());
  const entries = Number(sh(`gzip -dc ${blob} | tar -t | wc -l`).trim());
  const layout = umociLayout(join(diskBase, 'hx-ingest-bench-data'), blob, label.split(' ')[0]);
  for (const [fsName, base] of [['disk', work], ['/dev/shm', mkdtempSync('/dev/shm/hx-ingest-bench-')]]) {
    const dest = join(base, 'dest');
    const clean = () => rmSync(dest, { recursive: true, force: true });
    const local = fsName === 'disk' ? blob : join(base, 'layer.tar.gz');
    if (local !== blob) sh(`cp ${blob} ${local}`);
    const cands = [
      ['gzip -dc > /dev/null (inflate alone, reference)', `gzip -dc ${local} > /dev/null`],
      ['node:zlib gunzip alone (reference)', `${process.execPath} -e "const z=require('zlib'),f=require('fs');f.createReadStream('${local}',{highWaterMark:1<<20}).pipe(z.createGunzip({chunkSize:1<<20})).on('data',()=>{})"`],
      ['hx ingest (both digests + parse + write)', `${process.execPath} ${join(root, 'bench/lib/ingest-one.mjs')} ${local} ${dest} ${root}`],
      ['tar -xzf + sha256sum of blob and tar', `mkdir ${dest} && tar -xzf ${local} -C ${dest} && sha256sum ${local} >/dev/null && gzip -dc ${local} | sha256sum >/dev/null`],
      ['tar -xzf alone (no digests)', `mkdir ${dest} && tar -xzf ${local} -C ${dest}`],
      ['umoci unpack --rootless', `umoci unpack --rootless --image ${layout}:x ${dest}`],
    ];
    for (const [name, cmd] of cands) {
      const ms = timeCmd(cmd, clean);
      rows.push({ layer: label, fs: fsName, name, ms, mbps: tarBytes / 1e6 / (ms / 1000), gzBytes, tarBytes, entries });
      console.error(`${label} ${fsName} ${name}: ${ms.toFixed(0)} ms`);
    }
    if (fsName === '/dev/shm') rmSync(base, { recursive: true, force: true });
  }
  const st = JSON.parse(sh(`${process.execPath} ${join(root, 'bench/lib/ingest-stages.mjs')} ${blob} ${root} ${runs}`));
  for (const s of st) stageRows.push({ layer: label, ...s });
}
rmSync(work, { recursive: true, force: true });

const lines = [`## Layer ingest (bench/ingest.mjs${quick ? ' --quick' : ''}, median of ${runs})`, '', `Machine: ${machine()}. Disk = ${diskBase}.`, ''];
for (const label of ['small files', 'large files']) {
  const r0 = rows.find((r) => r.layer === label);
  lines.push(`### ${label}: ${r0.entries} entries, ${(r0.tarBytes / 1e6).toFixed(0)} MB tar, ${(r0.gzBytes / 1e6).toFixed(0)} MB gzip`, '', '| candidate | disk ms | disk MB/s (tar) | /dev/shm ms | /dev/shm MB/s |', '|---|---:|---:|---:|---:|');
  for (const name of [...new Set(rows.filter((r) => r.layer === label).map((r) => r.name))]) {
    const d = rows.find((r) => r.layer === label && r.name === name && r.fs === 'disk');
    const s = rows.find((r) => r.layer === label && r.name === name && r.fs === '/dev/shm');
    lines.push(`| ${name} | ${d.ms.toFixed(0)} | ${d.mbps.toFixed(0)} | ${s.ms.toFixed(0)} | ${s.mbps.toFixed(0)} |`);
  }
  const hx = rows.find((r) => r.layer === label && r.fs === '/dev/shm' && r.name.startsWith('hx ingest'));
  const inflate = rows.find((r) => r.layer === label && r.fs === '/dev/shm' && r.name.startsWith('node:zlib'));
  lines.push('', `hx ingest on /dev/shm runs at ${((inflate.ms / hx.ms) * 100).toFixed(0)}% of node:zlib inflate-alone throughput.`, '');
  lines.push('| stage | candidate | ms | MB/s |', '|---|---|---:|---:|');
  for (const s of stageRows.filter((x) => x.layer === label)) lines.push(`| ${s.stage} | ${s.candidate} | ${s.ms.toFixed(0)} | ${s.mbps.toFixed(0)} |`);
  lines.push('');
}
console.log(lines.join('\n'));
