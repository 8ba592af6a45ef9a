import { Command, Option } from 'clipanion';
import { HxCommand } from '../base.js';

/** Read a line from a TTY without echo (for the password prompt). */
async function prompt(question: string, hidden: boolean): Promise<string> {
  const input = process.stdin;
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

async function readStdin(): Promise<string> {
  const chunks: Buffer[] = [];
  for await (const c of process.stdin) chunks.push(c as Buffer);
  return Buffer.concat(chunks).toString('utf8').replace(/\r?\n$/, '');
}

export class LoginCommand extends HxCommand {
  static override paths = [['login']];
  static override usage = Command.Usage({
    category: 'Registries',
    description: 'Log in to a registry',
    details:
      'Checks the credentials against the registry (its token server, when it uses one) and saves them in $XDG_CONFIG_HOME/hx/auth.json (mode 0600), or in --authfile. Without a registry, logs in to docker.io.',
    examples: [
      ['Log in with a password on stdin', 'echo "$TOKEN" | $0 login -u me --password-stdin quay.io'],
      ['Log in interactively', '$0 login localhost:5000'],
    ],
  });
  username = Option.String('-u,--username', { description: 'Username' });
  password = Option.String('-p,--password', { description: 'Password (prefer --password-stdin: arguments are visible to other users)' });
  passwordStdin = Option.Boolean('--password-stdin', false, { description: 'Read the password from standard input' });
  tlsVerify = Option.String('--tls-verify', { tolerateBoolean: true, description: 'Verify TLS and require https (--tls-verify=false allows plain http)' });
  authFile = Option.String('--authfile', { description: 'Save credentials in this file' });
  registry = Option.String({ name: 'REGISTRY', required: false });

  async run(): Promise<number> {
    const { UsageError } = await import('../../errors.js');
    let username = this.username;
    let password = this.password;
    if (this.passwordStdin) {
      if (password !== undefined) throw new UsageError('--password and --password-stdin are mutually exclusive');
      if (!username) throw new UsageError('--password-stdin needs --username');
      password = await readStdin();
    }
    if (!username || password === undefined) {
      if (!process.stdin.isTTY) throw new UsageError('no credentials given and standard input is not a terminal', 'pass -u USER and --password-stdin');
      if (!username) username = (await prompt('Username: ', false)).trim();
      if (password === undefined) password = await prompt('Password: ', true);
    }
    const { login } = await import('../../engine/registry.js');
    await login(this.registry ?? 'docker.io', username, password, { tlsVerify: (await import('../progress.js')).tlsVerifyFlag(this.tlsVerify), authFile: this.authFile });
    this.context.stdout.write('Login Succeeded\n');
    return 0;
  }
}
