// `hx run` flag parsing: docker's (pflag) rules and the translation to ContainerOptions.
import { test } from 'uvu';
import * as assert from 'uvu/assert';
import { createSettings, flagsToOptions, parseRunArgs, parseSecurityOpts, runUsage } from '../../dist/cli/run/flags.js';

const noFiles = { env: {}, readFile: (p) => { const e = new Error(`ENOENT: ${p}`); e.code = 'ENOENT'; throw e; } };

test('bundled short flags, long flags with = or a separate value', () => {
  const f = parseRunArgs(['-it', '--rm', '--rootfs=/r', '-e', 'A=1', '-eB=2', '-e=C=3', '--env', 'D=4', '-w', '/w', '-u1000:1000', 'sh', '-c', 'exit 7']);
  assert.is(f.interactive, true);
  assert.is(f.tty, true);
  assert.is(f.rm, true);
  assert.is(f.rootfs, '/r');
  assert.equal(f.env, ['A=1', 'B=2', 'C=3', 'D=4']);
  assert.is(f.workdir, '/w');
  assert.is(f.user, '1000:1000');
  assert.equal(f.command, ['sh', '-c', 'exit 7']);
});

test('options stop at the first positional; -- ends them too', () => {
  const f = parseRunArgs(['--rootfs', '/r', 'ls', '-la', '--rm']);
  assert.equal(f.command, ['ls', '-la', '--rm']);
  assert.is(f.rm, false);
  const g = parseRunArgs(['--rootfs', '/r', '--', '-weird-name', 'x']);
  assert.equal(g.command, ['-weird-name', 'x']);
});

test('without --rootfs the first positional is the image', () => {
  const f = parseRunArgs(['--rm', 'alpine', 'echo', 'hi']);
  assert.is(f.image, 'alpine');
  assert.equal(f.command, ['echo', 'hi']);
});

test('a value flag in a bundle takes the rest, or the next argument', () => {
  const f = parseRunArgs(['-ite', 'X=1', '--rootfs', '/r', 'true']);
  assert.is(f.interactive && f.tty, true);
  assert.equal(f.env, ['X=1']);
  assert.is(parseRunArgs(['-h', 'box', '--rootfs', '/r', 'true']).hostname, 'box');
});

test('bool flags accept =true/=false; bad values and unknown flags are usage errors (125)', () => {
  assert.is(parseRunArgs(['--rm=false', '--rootfs', '/r', 'x']).rm, false);
  for (const argv of [['--bogus'], ['-Z'], ['--rm=maybe'], ['--rootfs'], ['-e']]) {
    try {
      parseRunArgs(argv);
      assert.unreachable(`accepted ${argv.join(' ')}`);
    } catch (e) {
      assert.is(e.exitCode, 125, `${argv.join(' ')}: ${e.message}`);
    }
  }
});

test('env: --env-file first, -e wins; -e KEY copies from the caller, unset ones are dropped', () => {
  const files = { '/e1': 'A=file\n# comment\n\nB=file b\nC\n', '/e2': 'A=second\n' };
  const f = parseRunArgs(['--env-file', '/e1', '--env-file', '/e2', '-e', 'B=flag', '-e', 'HOME', '-e', 'UNSET', '--rootfs', '/r', 'x']);
  const o = flagsToOptions(f, { env: { HOME: '/home/me', C: 'from-env' }, readFile: (p) => files[p] });
  assert.equal(o.env, ['A=second', 'B=flag', 'C=from-env', 'HOME=/home/me']);
  const missing = parseRunArgs(['--env-file', '/nope', '--rootfs', '/r', 'x']);
  assert.throws(() => flagsToOptions(missing, noFiles), /--env-file \/nope: no such file/);
});

test('mount, security, ulimit and network flags become ContainerOptions', () => {
  const f = parseRunArgs([
    '-v', '/h:/c:ro', '--mount', 'type=tmpfs,target=/t,tmpfs-size=1m', '--tmpfs', '/run', '--cap-add', 'net_admin', '--cap-drop', 'ALL',
    '--security-opt', 'seccomp=unconfined', '--security-opt', 'no-new-privileges', '--ulimit', 'nofile=10:20', '--network', 'host', '--init',
    '--read-only', '--hostname', 'h1', '--rootfs', '/r', 'x',
  ]);
  const o = flagsToOptions(f, noFiles);
  assert.equal(o.mounts.map((m) => [m.type, m.target]), [['bind', '/c'], ['tmpfs', '/t'], ['tmpfs', '/run']]);
  assert.is(o.mounts[0].readonly, true);
  assert.equal(o.capAdd, ['net_admin']);
  assert.equal(o.capDrop, ['ALL']);
  assert.is(o.seccomp, 'unconfined');
  assert.is(o.noNewPrivileges, true);
  assert.is(o.ulimits[0].soft, 10n);
  assert.is(o.network, 'host');
  assert.is(o.init, true);
  assert.is(o.readOnly, true);
  assert.is(o.hostname, 'h1');
  // helpers and docker's "network X not found" are the engine's: the flags go there as given
  const net = createSettings(parseRunArgs(['--network', 'pasta:-o,127.0.0.1', '-p', '127.0.0.1:8080:80', '-P', '--expose', '90', '--add-host', 'a:1.2.3.4', '--dns', '1.1.1.1',
    '--dns-search', 'x.test', '--dns-option', 'ndots:2', 'img']), noFiles).network;
  assert.equal(net, { network: 'pasta:-o,127.0.0.1', publish: ['127.0.0.1:8080:80'], publishAll: true, expose: ['90'], addHost: ['a:1.2.3.4'], dns: ['1.1.1.1'], dnsSearch: ['x.test'], dnsOption: ['ndots:2'] });
  assert.is(flagsToOptions(parseRunArgs(['--network', 'pasta', 'img']), noFiles).network, 'none', 'the plan gets a new namespace; the engine picks the helper');
});

test('--security-opt forms', () => {
  assert.equal(parseSecurityOpts(['seccomp=/p.json']), { seccomp: { path: '/p.json' }, noNewPrivileges: false });
  assert.equal(parseSecurityOpts(['seccomp:unconfined', 'no-new-privileges:true']), { seccomp: 'unconfined', noNewPrivileges: true });
  assert.equal(parseSecurityOpts(['no-new-privileges=false']), { noNewPrivileges: false });
  assert.throws(() => parseSecurityOpts(['nonsense=1']), /invalid --security-opt/);
});

test('usage lists every flag', () => {
  const u = runUsage();
  for (const flag of ['--rootfs', '--interactive', '--tty', '--volume', '--mount', '--tmpfs', '--cap-add', '--security-opt', '--ulimit', '--init', '--network']) {
    assert.ok(u.includes(flag), flag);
  }
});

test.run();
