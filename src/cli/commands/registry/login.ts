// `hx login [SERVER]`: checks the credentials against the registry, then saves them.
import { UsageError } from '../../../errors.js';
import type { CommandRun } from '../../spec.js';

/** Read a line from a TTY without echo (for the password prompt). */
async function prompt(input: NodeJS.ReadStream, question: string, hidden: boolean): Promise<string> {
  process.stderr.write(question);
  return new Promise((resolve, reject) => {
    let value = '';
    const raw = hidden && input.isTTY;
    if (raw) input.setRawMode(true);
    input.setEncoding('utf8');
    input.resume();
    const done = (err?: Error): void => {
      input.off('data', onData);
      if (raw) input.setRawMode(false);
      input.pause();
      if (hidden) process.stderr.write('\n');
      if (err) reject(err);
      else resolve(value);
    };
    const onData = (chunk: string): void => {
      for (const ch of chunk) {
        if (ch === '\r' || ch === '\n') return done();
        if (ch === '\u0003') return done(new Error('interrupted'));
        if (ch === '\u007f' || ch === '\b') value = value.slice(0, -1);
        else value += ch;
      }
    };
    input.on('data', onData);
  });
}

async function readStdin(input: NodeJS.ReadStream): Promise<string> {
  const chunks: Buffer[] = [];
  for await (const c of input) chunks.push(c as Buffer);
  return Buffer.concat(chunks).toString('utf8').replace(/\r?\n$/, '');
}

export const run: CommandRun = async (ctx, inv) => {
  const f = inv.flags;
  let username = f.username as string | undefined;
  let password = f.password as string | undefined;
  if (f['password-stdin']) {
    if (password !== undefined) throw new UsageError('--password and --password-stdin are mutually exclusive');
    if (!username) throw new UsageError('Must provide --username with --password-stdin');
    password = await readStdin(ctx.stdin);
  }
  if (!username || password === undefined) {
    if (!ctx.stdinIsTTY) throw new UsageError('Cannot perform an interactive login from a non TTY device', 'pass -u USER and --password-stdin');
    if (!username) username = (await prompt(ctx.stdin, 'Username: ', false)).trim();
    if (password === undefined) password = await prompt(ctx.stdin, 'Password: ', true);
  }
  const engine = await ctx.engine();
  await engine.registry.login((inv.args[0] as string | undefined) ?? 'docker.io', username, password, { tlsVerify: f['tls-verify'] as boolean | undefined, authFile: f.authfile as string | undefined });
  ctx.stdout.write('Login Succeeded\n');
};
