// Rootless networking as an unprivileged user: busybox httpd behind a published port
// with pasta and with slirp4netns (detached), UDP through a published port, -P and
// `hx port` against what really answers, a service on the host's loopback reached from
// inside through host.containers.internal (foreground), the generated /etc files, a
// restart bringing the network back, docker's errors for bad input, and no helper left.
//
// Network safety: every connection goes to 127.0.0.1, or from inside a container to the
// gateway its helper maps to the host's loopback (asserted before connecting). Helpers
// are told to bind their outbound sockets to 127.0.0.1, the image resolves names from
// /etc/hosts only, and --dns 127.0.0.1 points any DNS query at the container's own lo.
import { test } from 'uvu';
import * as assert from 'uvu/assert';
import { spawnSync } from 'node:child_process';
import { chmodSync, existsSync, mkdirSync, readFileSync, writeFileSync } from 'node:fs';
import { createServer, request } from 'node:http';
import { createServer as createTcpServer } from 'node:net';
import { join } from 'node:path';
import { hx, hxAsync, need, run, tempDir, treeRoot } from '../lib/hx.mjs';
import { makeBusyboxRootfs } from './run-rootfs.mjs';
import { freePort, udpRoundTrip } from '../lib/ports.mjs';

need(process.getuid() !== 0, 'e2e tests run as an unprivileged user');
need(existsSync('/usr/bin/pasta') && existsSync('/usr/bin/slirp4netns'), 'pasta (passt) and slirp4netns are installed');
need(spawnSync('cc', ['--version']).status === 0, 'a C compiler for the UDP echo server');

const work = tempDir('hx-net-');
const store = join(work, 'store');
const runtime = join(work, 'run');
const env = { HX_STORAGE_ROOT: store, HX_RUNTIME_DIR: runtime };
const H = (args, o = {}) => hx(args, { ...o, env: { ...env, ...(o.env ?? {}) } });

// busybox with a web root, a static UDP echo server, and names from /etc/hosts only
const rootfs = makeBusyboxRootfs(join(work, 'rootfs'));
mkdirSync(join(rootfs, 'www'));
writeFileSync(join(rootfs, 'www/index.html'), 'hello from the container\n');
writeFileSync(join(rootfs, 'etc/nsswitch.conf'), 'hosts: files\n');
assert.is(run('cc', ['-static', '-O2', '-o', join(rootfs, 'bin/udpecho'), join(treeRoot, 'test/fixtures/udpecho/udpecho.c')]).code, 0);
chmodSync(join(rootfs, 'bin/udpecho'), 0o755);
const tarball = join(work, 'bb.tar');
assert.is(run('tar', ['-C', rootfs, '-cf', tarball, '.']).code, 0);
assert.is(H(['import', '-c', 'EXPOSE 8080', tarball, 'bbweb']).code, 0);

const sleep = (ms) => new Promise((r) => setTimeout(r, ms));
// whatever a failed assertion leaves running is removed after each test
test.after.each(() => {
  const ids = H(['ps', '-aq']).stdout.trim();
  if (ids) H(['rm', '-f', ...ids.split('\n')]);
});
const SAFE = { pasta: 'pasta:-o,127.0.0.1', slirp4netns: 'slirp4netns:outbound_addr=127.0.0.1' };


function get(port, path = '/index.html') {
  return new Promise((resolve, reject) => {
    const req = request({ host: '127.0.0.1', port, path, timeout: 5000 }, (res) => {
      let body = '';
      res.on('data', (c) => (body += c));
      res.on('end', () => resolve({ status: res.statusCode, body }));
    });
    req.on('error', reject);
    req.on('timeout', () => req.destroy(new Error('timeout')));
    req.end();
  });
}

async function getWhenUp(port, ms = 10000) {
  const end = Date.now() + ms;
  for (;;) {
    try {
      const r = await get(port);
      if (r.status === 200) return r;
    } catch (e) {
      if (Date.now() > end) throw e;
    }
    if (Date.now() > end) throw new Error(`no answer on 127.0.0.1:${port}`);
    await sleep(100);
  }
}


const helperOf = (id) => {
  try {
    return JSON.parse(readFileSync(join(store, 'containers', id, 'network.json'), 'utf8'));
  } catch {
    return undefined;
  }
};
/** Is PID alive and not a zombie? */
const alive = (pid) => {
  try {
    return !/^\S+ \(.*\) [ZX]/.test(readFileSync(`/proc/${pid}/stat`, 'utf8'));
  } catch {
    return false;
  }
};
async function gone(pid, ms = 5000) {
  const end = Date.now() + ms;
  while (alive(pid) && Date.now() < end) await sleep(50);
  return !alive(pid);
}

for (const helper of ['pasta', 'slirp4netns']) {
  test(`${helper}: run -d -p 127.0.0.1:PORT:8080 httpd serves a GET from the host's loopback; port, ps, inspect; rm leaves no helper`, async () => {
    const port = await freePort();
    const r = H(['run', '-d', '--network', SAFE[helper], '-p', `127.0.0.1:${port}:8080`, 'bbweb', 'httpd', '-f', '-p', '8080', '-h', '/www']);
    assert.is(r.code, 0, r.stderr);
    const id = r.stdout.trim();
    const res = await getWhenUp(port);
    assert.is(res.body, 'hello from the container\n');
    assert.is(H(['port', id]).stdout, `8080/tcp -> 127.0.0.1:${port}\n`);
    assert.is(H(['port', id, '8080']).stdout, `127.0.0.1:${port}\n`);
    assert.is(H(['ps', '--filter', `id=${id}`, '--format', '{{.Ports}}']).stdout, `127.0.0.1:${port}->8080/tcp\n`);
    assert.equal(JSON.parse(H(['inspect', '-f', '{{json .NetworkSettings.Ports}}', id]).stdout), { '8080/tcp': [{ HostIp: '127.0.0.1', HostPort: String(port) }] });
    const nets = JSON.parse(H(['inspect', '-f', '{{json .NetworkSettings.Networks}}', id]).stdout);
    assert.is(nets[helper].IPAddress, '10.0.2.100');
    assert.is(nets[helper].Gateway, '10.0.2.2');
    const h = helperOf(id);
    assert.is(h.helper, helper);
    assert.ok(alive(h.pid), `${helper} runs`);
    const cmdline = readFileSync(`/proc/${h.pid}/cmdline`, 'utf8').split('\0');
    assert.ok(cmdline.some((a) => a.includes(helper === 'pasta' ? 'pasta' : 'slirp4netns')), cmdline.join(' '));
    assert.is(H(['rm', '-f', id]).code, 0);
    assert.ok(await gone(h.pid), `${helper} (pid ${h.pid}) ended with the container`);
    assert.is(await get(port).then(() => 'answered', (e) => e.code), 'ECONNREFUSED', 'nothing listens on the port after rm');
  });

  // an IPv6 host address: pasta's own; slirp4netns 1.2 forwards IPv4 only, so hx-portrelay
  test(`${helper}: -p [::1]:PORT:8080 serves the host's IPv6 loopback`, async () => {
    const port = await freePort();
    const r = H(['run', '-d', '--network', SAFE[helper], '-p', `[::1]:${port}:8080`, 'bbweb', 'httpd', '-f', '-p', '8080', '-h', '/www']);
    assert.is(r.code, 0, r.stderr);
    const id = r.stdout.trim();
    let body;
    for (let i = 0; i < 50 && body === undefined; i++) {
      const c = run('curl', ['-sS', '-g', '-m', '2', `http://[::1]:${port}/index.html`]);
      if (c.code === 0) body = c.stdout;
      else await sleep(100);
    }
    assert.is(body, 'hello from the container\n');
    assert.is(H(['port', id]).stdout, `8080/tcp -> [::1]:${port}\n`);
    const h = helperOf(id);
    if (helper === 'slirp4netns') assert.ok(h.relay && alive(h.relay.pid), 'relayed');
    assert.is(H(['rm', '-f', id]).code, 0);
    assert.ok(await gone(h.pid));
    if (h.relay) assert.ok(await gone(h.relay.pid), 'the relay ended with the container');
  });

  // pasta 2023-03 (Debian 12) loses the answers of UDP it splices from the host's loopback
  // (reproduced with pasta alone), so with pasta hx relays UDP itself (hx-portrelay)
  test(`${helper}: UDP through -p 127.0.0.1:PORT:7000/udp`, async () => {
    const port = await freePort();
    const r = H(['run', '-d', '--network', SAFE[helper], '-p', `127.0.0.1:${port}:7000/udp`, 'bbweb', 'udpecho', '7000']);
    assert.is(r.code, 0, r.stderr);
    const id = r.stdout.trim();
    assert.is(await udpRoundTrip(port, `ping-${helper}`), `echo ping-${helper}`);
    assert.is(await udpRoundTrip(port, `again-${helper}`), `echo again-${helper}`, 'a second client');
    assert.is(H(['port', id]).stdout, `7000/udp -> 127.0.0.1:${port}\n`);
    const h = helperOf(id);
    if (helper === 'pasta') assert.ok(h.relay && alive(h.relay.pid), 'the UDP relay runs');
    assert.is(H(['rm', '-f', id]).code, 0);
    assert.ok(await gone(h.pid));
    if (h.relay) assert.ok(await gone(h.relay.pid), 'the UDP relay ended with the container');
  });

  test(`${helper}: a TCP service on the host's loopback is reached as host.containers.internal (foreground)`, async () => {
    const srv = createServer((req, res) => res.end(`host says hi to ${req.url}\n`));
    await new Promise((r) => srv.listen(0, '127.0.0.1', r));
    const { port } = srv.address();
    try {
      // The mapping must be in force before anything is sent: the name is the gateway,
      // the gateway is the default route, and only then one wget to it.
      const script = [
        'grep -q "^10.0.2.2\thost.containers.internal" /etc/hosts || { echo no-mapping; exit 3; }',
        'ip route | grep -q "^default via 10.0.2.2 " || { echo no-route; exit 4; }',
        `wget -q -O - http://host.containers.internal:${port}/from-${helper}`,
      ].join('; ');
      const r = await hxAsync(['run', '--rm', '--network', SAFE[helper], '--dns', '127.0.0.1', 'bbweb', 'sh', '-c', script], { env });
      assert.is(r.code, 0, r.stdout + r.stderr);
      assert.is(r.stdout, `host says hi to /from-${helper}\n`);
    } finally {
      srv.close();
    }
  });
}

test('without --network a rootless container gets pasta (installed here); without either helper none, with the warning', () => {
  const c = H(['create', '--name', 'dflt', 'bbweb', 'true']);
  assert.is(c.code, 0, c.stderr);
  assert.is(H(['inspect', '-f', '{{.HostConfig.NetworkMode}}', 'dflt']).stdout.trim(), 'pasta');
  assert.is(H(['rm', 'dflt']).code, 0);
  // with PATH lacking both helpers: none, and a warning naming the package
  const bare = H(['create', '--name', 'bare', 'bbweb', 'true'], { env: { PATH: '/nonexistent' } });
  assert.is(bare.code, 0, bare.stderr);
  assert.match(bare.stderr, /neither pasta nor slirp4netns is installed: the container has no network \(install the passt package, or slirp4netns\)/);
  assert.is(H(['inspect', '-f', '{{.HostConfig.NetworkMode}}', 'bare']).stdout.trim(), 'none');
  assert.is(H(['rm', 'bare']).code, 0);
});

test('-P publishes the image\'s EXPOSE port on a free host port; hx port agrees with what answers', async () => {
  const r = H(['run', '-d', '--network', SAFE.pasta, '-P', 'bbweb', 'httpd', '-f', '-p', '8080', '-h', '/www']);
  assert.is(r.code, 0, r.stderr);
  const id = r.stdout.trim();
  const line = H(['port', id]).stdout;
  const m = /^8080\/tcp -> 0\.0\.0\.0:(\d+)\n$/.exec(line);
  assert.ok(m, line);
  const res = await getWhenUp(Number(m[1]));
  assert.is(res.body, 'hello from the container\n');
  assert.is(JSON.parse(H(['inspect', '-f', '{{json .HostConfig.PortBindings}}', id]).stdout)['8080/tcp'][0].HostPort, '');
  assert.is(H(['rm', '-f', id]).code, 0);
});

test('/etc/hosts, /etc/hostname and /etc/resolv.conf are generated; the user\'s own bind is left alone', () => {
  const r = H(['run', '--rm', '--network', SAFE.slirp4netns, '--hostname', 'web', '--name', 'files1', '--add-host', 'db:10.1.2.3', '--add-host', 'gw:host-gateway',
    '--dns', '127.0.0.1', '--dns-search', 'example.test', '--dns-option', 'ndots:2', 'bbweb', 'sh', '-c', 'cat /etc/hosts; echo ---; cat /etc/hostname; echo ---; cat /etc/resolv.conf']);
  assert.is(r.code, 0, r.stderr);
  const [hosts, hostname, resolv] = r.stdout.split('---\n');
  assert.match(hosts, /^127\.0\.0\.1\tlocalhost\n::1\tlocalhost ip6-localhost ip6-loopback\n/);
  assert.match(hosts, /\n10\.1\.2\.3\tdb\n10\.0\.2\.2\tgw\n10\.0\.2\.2\thost\.containers\.internal host\.docker\.internal\n10\.0\.2\.100\tweb files1\n$/);
  assert.is(hostname, 'web\n');
  assert.is(resolv, 'search example.test\nnameserver 127.0.0.1\noptions ndots:2\n');

  const mine = join(work, 'my-hosts');
  writeFileSync(mine, '192.0.2.99 mine\n');
  const own = H(['run', '--rm', '--network', 'none', '-v', `${mine}:/etc/hosts`, 'bbweb', 'cat', '/etc/hosts', '/etc/hostname']);
  assert.is(own.code, 0, own.stderr);
  assert.match(own.stdout, /^192\.0\.2\.99 mine\n[0-9a-f]{12}\n$/);
});

test('a restarted detached container gets its network back (a new helper, the same port)', async () => {
  const port = await freePort();
  const r = H(['run', '-d', '--restart', 'on-failure:1', '--network', SAFE.slirp4netns, '-p', `127.0.0.1:${port}:8080`, 'bbweb', 'sh', '-c',
    'httpd -p 8080 -h /www; sleep 2; exit 3']);
  assert.is(r.code, 0, r.stderr);
  const id = r.stdout.trim();
  await getWhenUp(port);
  const first = helperOf(id);
  const end = Date.now() + 15000;
  while (Date.now() < end && !(H(['inspect', '-f', '{{.RestartCount}}', id]).stdout.trim() === '1' && helperOf(id)?.pid !== first.pid)) await sleep(100);
  const second = helperOf(id);
  assert.ok(second && second.pid !== first.pid, 'a new helper for the restart');
  assert.ok(await gone(first.pid), 'the first helper ended with the first run');
  const res = await getWhenUp(port);
  assert.is(res.body, 'hello from the container\n');
  assert.is(H(['rm', '-f', id]).code, 0);
  assert.ok(await gone(second.pid));
});

test('kill -9 of a foreground hx: slirp4netns quits with it, pasta is stopped by the next command\'s sweep, the UDP relay ends with the container', async () => {
  for (const helper of ['slirp4netns', 'pasta']) {
    const name = `killed-${helper}`;
    // pasta: a UDP port too, for the relay
    const udp = helper === 'pasta' ? ['-p', `127.0.0.1:${await freePort()}:7000/udp`] : [];
    const fg = hxAsync(['run', '--name', name, '--network', SAFE[helper], ...udp, 'bbweb', 'sleep', '100'], { env });
    let id = '';
    let h;
    const end = Date.now() + 15000;
    while (Date.now() < end && !h) {
      id = H(['ps', '-aq', '--no-trunc', '--filter', `name=${name}`]).stdout.trim();
      h = id ? helperOf(id) : undefined;
      if (!h) await sleep(100);
    }
    assert.ok(h && alive(h.pid), `${helper} started`);
    // the hx node process (the launcher exec'd node, so the child's pid is it)
    const r = await Promise.race([sleep(300).then(() => 'running'), fg.then(() => 'exited')]);
    assert.is(r, 'running');
    const node = run('pgrep', ['-f', `run --name ${name} `]).stdout.trim().split('\n').map(Number).filter(Boolean);
    assert.ok(node.length > 0, 'the foreground hx is found');
    for (const pid of node) process.kill(pid, 'SIGKILL');
    await fg;
    if (helper === 'slirp4netns') assert.ok(await gone(h.pid), 'slirp4netns saw its exit fd close');
    if (helper === 'pasta') {
      assert.ok(h.relay, 'a UDP relay was recorded');
      assert.ok(await gone(h.relay.pid), 'the UDP relay ended with the container, before any sweep');
    }
    H(['ps', '-a']); // any command sweeps what a dead owner left
    assert.ok(await gone(h.pid), `${helper} is gone after the sweep`);
    assert.is(H(['rm', '-f', name]).code, 0);
  }
});

test('bad input: a port in use, an invalid -p, a privileged port, --network nosuch: 125 and nothing left', async () => {
  const holder = createTcpServer();
  await new Promise((r) => holder.listen(0, '127.0.0.1', r));
  const busy = holder.address().port;
  try {
    const before = H(['ps', '-aq']).stdout;
    const inUse = H(['run', '-d', '--network', SAFE.pasta, '--name', 'busyport', '-p', `127.0.0.1:${busy}:8080`, 'bbweb', 'httpd', '-f', '-p', '8080']);
    assert.is(inUse.code, 125);
    assert.match(inUse.stderr, `Bind for 127.0.0.1:${busy} failed: port is already allocated`);
    assert.is(H(['inspect', '-f', '{{.State.Status}}', 'busyport']).stdout.trim(), 'created');
    assert.is(helperOf(H(['inspect', '-f', '{{.Id}}', 'busyport']).stdout.trim()), undefined);
    assert.is(H(['rm', 'busyport']).code, 0);

    const fg = H(['run', '--rm', '--network', SAFE.slirp4netns, '-p', `127.0.0.1:${busy}:8080`, 'bbweb', 'true']);
    assert.is(fg.code, 125);
    assert.match(fg.stderr, 'port is already allocated');

    const bad = H(['run', '--rm', '-p', '127.0.0.1:abc:80', 'bbweb', 'true']);
    assert.is(bad.code, 125);
    assert.match(bad.stderr, 'invalid hostPort: abc');

    const start = Number(readFileSync('/proc/sys/net/ipv4/ip_unprivileged_port_start', 'utf8'));
    if (start > 80) {
      const low = H(['run', '--rm', '--network', SAFE.pasta, '-p', '127.0.0.1:80:80', 'bbweb', 'true']);
      assert.is(low.code, 125);
      assert.match(low.stderr, 'net.ipv4.ip_unprivileged_port_start');
    }

    const hostPorts = H(['run', '--rm', '--network', 'host', '-p', '127.0.0.1:9:80', 'bbweb', 'true']);
    assert.is(hostPorts.code, 0, hostPorts.stderr);
    assert.match(hostPorts.stderr, 'WARNING: Published ports are discarded when using host network mode');

    const nosuch = H(['run', '--rm', '--network', 'nosuch', 'bbweb', 'true']);
    assert.is(nosuch.code, 125);
    assert.match(nosuch.stderr, 'network nosuch not found');
    assert.is(H(['ps', '-aq']).stdout, before);
  } finally {
    holder.close();
  }
});

test.run();
