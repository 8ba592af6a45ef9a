// Builds everything `npm install` must produce: build/hx (launcher), build/libhxns.so,
// build/hx.wasm (AssemblyScript) and dist/ (TypeScript), plus build/build-info.json.
import { execFileSync, spawnSync } from 'node:child_process';
import { createHash } from 'node:crypto';
import { existsSync, mkdirSync, readFileSync, readdirSync, renameSync, writeFileSync } from 'node:fs';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';

const root = join(dirname(fileURLToPath(import.meta.url)), '..');
const build = join(root, 'build');
mkdirSync(build, { recursive: true });
const only = process.argv.slice(2);
const want = (part) => only.length === 0 || only.includes(part);

// Compile to a temporary name and rename: a running holder keeps build/hx busy (ETXTBSY).
function compile(cc, args, out, what) {
  run(cc, [...args, '-o', `${out}.tmp`], what);
  renameSync(join(root, `${out}.tmp`), join(root, out));
}

function run(cmd, args, what) {
  const r = spawnSync(cmd, args, { cwd: root, stdio: 'inherit' });
  if (r.error || r.status !== 0) {
    console.error(`hx build: ${what} failed (${cmd} ${args.join(' ')})`);
    process.exit(1);
  }
}

function findCompiler() {
  for (const cc of [process.env.CC, 'cc', 'gcc', 'clang'].filter(Boolean)) {
    const r = spawnSync(cc, ['--version'], { stdio: 'ignore' });
    if (!r.error && r.status === 0) return cc;
  }
  console.error(
    'hx build: no C compiler found. hx needs one to build its launcher and native library.\n' +
      '  Debian/Ubuntu: sudo apt-get install gcc libc6-dev\n' +
      '  Fedora/RHEL:   sudo dnf install gcc glibc-devel\n' +
      '  Alpine:        sudo apk add build-base\n' +
      'then run `npm install` again (or set CC to your compiler).',
  );
  process.exit(1);
}

const cflags = ['-O2', '-Wall', '-Wextra', '-Wno-unused-parameter', '-D_FORTIFY_SOURCE=2', '-fstack-protector-strong'];

if (want('native')) {
  const cc = findCompiler();
  compile(cc, [...cflags, `-DHX_NODE_PATH="${process.execPath}"`, 'native/launcher.c', 'native/holder.c'], 'build/hx', 'launcher');
  const libSources = readdirSync(join(root, 'native/lib')).filter((f) => f.endsWith('.c')).map((f) => `native/lib/${f}`);
  compile(cc, [...cflags, '-shared', '-fPIC', ...libSources, '-lpthread'], 'build/libhxns.so', 'libhxns');
  // Small static programs that run inside containers (no libc of the image needed).
  const staticDir = join(root, 'native/static');
  const staticSources = existsSync(staticDir) ? readdirSync(staticDir).filter((f) => f.endsWith('.c')) : [];
  for (const prog of staticSources) {
    const out = `build/${prog.replace(/\.c$/, '')}`;
    const r = spawnSync(cc, [...cflags, '-static', '-o', out, `native/static/${prog}`], { cwd: root, stdio: 'inherit' });
    if (r.status !== 0) {
      console.error(`hx build: static ${prog} failed; install the static C library (Debian: libc6-dev)`);
      process.exit(1);
    }
  }
}

if (want('wasm')) {
  run(process.execPath, [join(root, 'node_modules/assemblyscript/bin/asc.js'), 'assembly/index.ts', '--target', 'release'], 'AssemblyScript');
}

if (want('ts')) {
  run(process.execPath, [join(root, 'node_modules/typescript/bin/tsc'), '-p', 'tsconfig.json'], 'TypeScript');
}

// The CLI as one CommonJS bundle: Node's ESM loader over ~40 files plus clipanion cost
// ~30 ms per command here; the bundle is what the launcher starts (see bench/RESULTS.md).
if (want('ts') || want('bundle')) {
  const esbuild = await import('esbuild');
  // build/run.cjs: `hx run` alone (the launcher starts it for `run`, through
  // build/run-loader.cjs and a V8 code cache): start-up latency is the product there, and
  // compiling the whole CLI bundle took ~25 ms of it.
  for (const [entry, out] of [['dist/cli/main.js', 'cli.cjs'], ['dist/cli/run-entry.js', 'run.cjs'], ['dist/cli/run-loader.js', 'run-loader.cjs']]) {
    esbuild.buildSync({
      entryPoints: [join(root, entry)],
      outfile: join(build, out),
      bundle: true,
      format: 'cjs',
      platform: 'node',
      target: 'node20',
      external: ['koffi'],
      minifySyntax: true,
      minifyWhitespace: true,
      keepNames: true,
      logOverride: { 'empty-import-meta': 'silent' },
      logLevel: 'warning',
    });
  }
}

// Build ids shown by `hx version`: content hashes, so two builds of the same source agree.
const info = {};
for (const file of ['hx', 'libhxns.so', 'hx.wasm']) {
  const p = join(build, file);
  if (existsSync(p)) info[file] = createHash('sha256').update(readFileSync(p)).digest('hex').slice(0, 12);
}
writeFileSync(join(build, 'build-info.json'), JSON.stringify(info, null, 2) + '\n');
