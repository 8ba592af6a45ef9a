// Reference normalization as docker does it. Pure string work: no request is made.
import { test } from 'uvu';
import * as assert from 'uvu/assert';
import {
  parseReference, parseNormalized, formatReference, familiarName, apiHost, isLoopbackHost,
} from '../../dist/image/reference.js';

const norm = (s) => formatReference(parseNormalized(s));

test('short names go to docker.io/library with :latest', () => {
  assert.is(norm('alpine'), 'docker.io/library/alpine:latest');
  assert.is(norm('alpine:3.20'), 'docker.io/library/alpine:3.20');
  assert.is(norm('user/app'), 'docker.io/user/app:latest');
  assert.is(norm('docker.io/alpine'), 'docker.io/library/alpine:latest');
  assert.is(norm('index.docker.io/library/alpine'), 'docker.io/library/alpine:latest');
  assert.is(norm('library/alpine'), 'docker.io/library/alpine:latest');
});

test('a first component with . or : or localhost is a registry', () => {
  assert.is(norm('localhost/app'), 'localhost/app:latest');
  assert.is(norm('localhost:5000/a/b:tag'), 'localhost:5000/a/b:tag');
  assert.is(norm('127.0.0.1:5000/x'), '127.0.0.1:5000/x:latest');
  assert.is(norm('quay.io/org/app:v1'), 'quay.io/org/app:v1');
  assert.is(norm('[::1]:5000/app:1'), '[::1]:5000/app:1');
  // Not a domain: no dot, no port, lower case -> a Docker Hub namespace.
  assert.is(norm('myorg/app'), 'docker.io/myorg/app:latest');
  assert.is(norm('a/b/c/d'), 'docker.io/a/b/c/d:latest');
});

test('digests, and tag plus digest', () => {
  const d = 'sha256:' + 'a'.repeat(64);
  const r = parseNormalized(`alpine@${d}`);
  assert.is(r.tag, undefined);
  assert.is(r.digest, d);
  assert.is(formatReference(r), `docker.io/library/alpine@${d}`);
  const both = parseNormalized(`host:5000/x:1.0@${d}`);
  assert.is(both.tag, '1.0');
  assert.is(both.digest, d);
  assert.is(formatReference(both), `host:5000/x:1.0@${d}`);
});

test('bad references are refused with a reason', () => {
  for (const bad of ['', 'Alpine', 'alpine:', 'alpine:-x', 'a//b', 'alpine@sha256:abc', 'alpine@sha256:' + 'A'.repeat(64), 'a'.repeat(64), 'host:5000/UPPER', 'x:' + 'y'.repeat(129)]) {
    assert.throws(() => parseReference(bad), (e) => /invalid reference format/.test(e.message), bad);
  }
  // Upper case in the first component makes it a registry host, as docker reads it.
  assert.is(parseReference('MyOrg/app').domain, 'MyOrg');
});

test('familiar names and the Docker Hub API host', () => {
  assert.is(familiarName(parseNormalized('alpine')), 'alpine:latest');
  assert.is(familiarName(parseNormalized('user/app:1')), 'user/app:1');
  assert.is(familiarName(parseNormalized('quay.io/a/b')), 'quay.io/a/b:latest');
  assert.is(apiHost('docker.io'), 'registry-1.docker.io');
  assert.is(apiHost('localhost:5000'), 'localhost:5000');
  assert.ok(isLoopbackHost('127.0.0.1:5000'));
  assert.ok(isLoopbackHost('[::1]:5000'));
  assert.ok(isLoopbackHost('localhost'));
  assert.not.ok(isLoopbackHost('example.com:5000'));
});

test.run();
