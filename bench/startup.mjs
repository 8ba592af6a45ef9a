// Issue 2: cold start of `hx --help`, `hx version` and `hx unshare -- true` against bare
// `node -e 0`, in one run. Run as the user you benchmark (rootless: an unprivileged user
// with a subuid range), e.g.  runuser -u hxtest -- node bench/startup.mjs
import { join, dirname } from 'node:path';
import { fileURLToPath } from 'node:url';
import { hyperfine, machine, table } from './lib.mjs';

const root = join(dirname(fileURLToPath(import.meta.url)), '..');
const hx = join(root, 'build', 'hx');
const node = process.execPath;
const runs = Number(process.env.RUNS || 40);
const env = { ...process.env };
const ca = env.NODE_EXTRA_CA_CERTS;
delete env.NODE_EXTRA_CA_CERTS;

const commands = [
  { name: 'node -e 0', cmd: `${node} -e 0` },
  { name: 'node build/cli.cjs version (no launcher)', cmd: `${node} ${join(root, 'build/cli.cjs')} version` },
  { name: 'hx version', cmd: `${hx} version` },
  { name: 'hx --help', cmd: `${hx} --help` },
  { name: 'node dist/cli/main.js --help (unbundled ESM)', cmd: `${node} ${join(root, 'dist/cli/main.js')} --help` },
];
if (process.getuid() !== 0) commands.push({ name: 'hx unshare -- true', cmd: `${hx} unshare -- true` });
if (ca) commands.push({ name: 'node -e 0 with NODE_EXTRA_CA_CERTS', cmd: `env NODE_EXTRA_CA_CERTS=${ca} ${node} -e 0` });

const rows = hyperfine(commands, { runs, env });
const launcher = rows.find((r) => r.name === 'hx version').median - rows.find((r) => r.name.startsWith('node build/cli.cjs')).median;
console.log(`# startup (${machine()}, uid ${process.getuid()}, ${runs} runs)\n`);
console.log(table(rows, 'node -e 0'));
console.log(`\nlauncher overhead (hx version minus node build/cli.cjs version): ${launcher.toFixed(1)} ms`);
