import { Command, Option } from 'clipanion';
import { HxCommand } from '../base.js';

export class UnshareCommand extends HxCommand {
  static override paths = [['unshare']];
  static override usage = Command.Usage({
    category: 'System',
    description: "Run a command inside hx's rootless user and mount namespace",
    details: 'Like `podman unshare`: inside, you are uid 0 and your subordinate ids are mapped from 1 on. Without a command, runs your shell.',
    examples: [['Show the id map', '$0 unshare -- cat /proc/self/uid_map']],
  });
  command = Option.Proxy();

  async run(): Promise<number> {
    const { enterNamespace } = await import('../../engine/namespace.js');
    const status = await enterNamespace(process.argv.slice(2));
    if (status.mode === 'rootless') for (const w of status.warnings) this.context.stderr.write(w + '\n');
    const { runInNamespace } = await import('../../engine/unshare.js');
    return runInNamespace(this.command[0] === '--' ? this.command.slice(1) : this.command);
  }
}
