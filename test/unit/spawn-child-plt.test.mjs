// The container child runs in Node's address space (CLONE_VM) until execve: it must not
// call into libc through the PLT (errno in Node's TLS, lazy-binding locks). Check the
// compiled code of every child function (c_* and hx_child_main in native/lib/child.c).
import { test } from 'uvu';
import * as assert from 'uvu/assert';
import { spawnSync } from 'node:child_process';
import { join } from 'node:path';
import { treeRoot } from '../lib/hx.mjs';

test('child functions make no PLT calls (except __stack_chk_fail, which only aborts)', () => {
  const r = spawnSync('objdump', ['-d', '--no-show-raw-insn', join(treeRoot, 'build', 'libhxns.so')], { encoding: 'utf8', maxBuffer: 64 << 20 });
  assert.is(r.status, 0, 'objdump (binutils) is installed');
  let fn = '';
  const seen = new Set();
  const bad = [];
  for (const line of r.stdout.split('\n')) {
    const head = /^[0-9a-f]+ <([^>]+)>:$/.exec(line);
    if (head) {
      fn = head[1];
      continue;
    }
    if (!/^(c_|hx_child_main|hx_tether_main)/.test(fn)) continue;
    seen.add(fn.replace(/\..*/, ''));
    const call = /\b(call|jmp)\s+[0-9a-f]+ <([^>]+)>/.exec(line);
    if (call && call[2].endsWith('@plt') && call[2] !== '__stack_chk_fail@plt') bad.push(`${fn}: ${call[2]}`);
  }
  assert.ok(seen.has('hx_child_main') && seen.has('hx_tether_main') && seen.has('c_do_mount') && seen.has('c_lookup'), `found the child functions (${[...seen].join(', ')})`);
  assert.equal(bad, []);
});

test.run();
