// A real terminal for e2e tests: util-linux `script` gives the command a pty, and the
// test types into it once the output shows what it waits for.
import { spawn } from 'node:child_process';

export const quote = (s) => `'${s.replace(/'/g, `'\\''`)}'`;

/**
 * Run SHELL_LINE under `script`, typing each of STEPS ({ after: RegExp, send: string })
 * once OUTPUT matches its `after` pattern. Resolves { code, output }.
 */
export function underPty(shellLine, steps = [], { env = process.env, timeoutMs = 20000 } = {}) {
  return new Promise((resolve, reject) => {
    const child = spawn('script', ['-qefc', shellLine, '/dev/null'], { env, stdio: ['pipe', 'pipe', 'pipe'] });
    let output = '';
    let next = 0;
    const timer = setTimeout(() => {
      child.kill('SIGKILL');
      reject(new Error(`timed out; output so far:\n${output}`));
    }, timeoutMs);
    const feed = () => {
      while (next < steps.length && steps[next].after.test(output)) {
        const { send } = steps[next++];
        setTimeout(() => child.stdin.write(send), 50);
      }
    };
    child.stdout.on('data', (d) => {
      output += d;
      feed();
    });
    child.stderr.on('data', (d) => (output += d));
    child.on('close', (code) => {
      clearTimeout(timer);
      child.stdin.destroy();
      resolve({ code, output });
    });
    feed();
  });
}
