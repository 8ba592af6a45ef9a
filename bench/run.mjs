// `npm run bench`: runs every comparison in bench/ (each prints a markdown section on
// stdout) and rewrites bench/RESULTS.md with the machine, the date and each command.
// Rootless comparisons run as the unprivileged test user when started as root.
import { spawnSync } from 'node:child_process';
import { existsSync, writeFileSync } from 'node:fs';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { machine } from './lib.mjs';

const root = join(dirname(fileURLToPath(import.meta.url)), '..');
const only = process.argv.slice(2);
const USER = process.env.HX_BENCH_USER || 'hxtest';

/** script, what it compares, and whether it must run as an unprivileged user. */
export const BENCHES = [
  { script: 'startup.mjs', title: 'Start-up: hx --help / version / unshare against node -e 0 (issue 2)', rootless: true },
  { script: 'run-latency.mjs', title: 'hx run --rootfs latency against unshare+chroot, runc, podman (issue 3)', rootless: true },
  { script: 'tar-parse.mjs', title: 'Tar header walk: tar-stream, TypeScript, Wasm (issue 4)', rootless: false },
  { script: 'ingest.mjs', title: 'Layer ingest against tar -xzf + sha256sum and umoci (issue 4)', rootless: true },
  { script: 'pull.mjs', title: 'Pull from a local registry against podman pull and skopeo copy (issue 5)', rootless: true },
  { script: 'layers.mjs', title: 'hx bench layers --synthetic small-files --size 128M --compare (GNU tar, gzip, sha256sum, umoci, skopeo), and its stages timed from outside (issue 6)', rootless: true },
  { script: 'hx-bench-run.mjs', title: 'hx bench run --compare (hx run latency breakdown; podman, runc, crun), and its total timed from outside (issue 6)', rootless: true },
  { script: 'cp.mjs', title: 'hx cp against podman cp: out of and into stopped containers, tar to stdout, out of a running one (issue 13)', rootless: true },
];

function runBench(b) {
  const path = join(root, 'bench', b.script);
  if (!existsSync(path)) return { b, text: `_not present yet: bench/${b.script}_`, command: '' };
  const asUser = b.rootless && process.getuid() === 0;
  const command = asUser ? `runuser -u ${USER} -- node bench/${b.script}` : `node bench/${b.script}`;
  const r = asUser
    ? spawnSync('runuser', ['-u', USER, '--', 'env', `HOME=/home/${USER}`, 'PATH=/usr/local/bin:/usr/bin:/bin:/usr/sbin:/sbin', process.execPath, path], { cwd: root, encoding: 'utf8', maxBuffer: 64 << 20 })
    : spawnSync(process.execPath, [path], { cwd: root, encoding: 'utf8', maxBuffer: 64 << 20 });
  process.stderr.write(r.stderr || '');
  const text = r.status === 0 ? r.stdout.trim() : `_failed (exit ${r.status})_:\n\n\`\`\`\n${(r.stderr || '').slice(-2000)}\n\`\`\``;
  return { b, text, command };
}

const sections = BENCHES.filter((b) => only.length === 0 || only.some((o) => b.script.includes(o))).map(runBench);
const out = [
  '# Benchmark results',
  '',
  `Machine: ${machine()}. Date: ${new Date().toISOString()}. Written by \`npm run bench\` (bench/run.mjs);`,
  'each section names the command that made it. Every comparison runs hx and its peer on the same input',
  'in the same run; read ratios, not absolute times (the machine is shared and noisy).',
  '',
];
for (const s of sections) out.push(`## ${s.b.title}`, '', s.command ? `Command: \`${s.command}\`` : '', '', s.text, '');
if (only.length === 0) writeFileSync(join(root, 'bench', 'RESULTS.md'), out.join('\n'));
else process.stdout.write(out.join('\n'));
