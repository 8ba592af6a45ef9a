import { Command } from 'clipanion';
import { HxCommand } from '../base.js';

export class SystemMigrateCommand extends HxCommand {
  static override paths = [['system', 'migrate']];
  static override usage = Command.Usage({
    category: 'System',
    description: 'Stop the rootless namespace holder so the next command uses the current /etc/subuid ranges',
  });

  async run(): Promise<void> {
    const { resetNamespace } = await import('../../engine/namespace.js');
    const pid = await resetNamespace();
    this.context.stdout.write(pid ? `stopped namespace holder ${pid}\n` : 'no namespace holder was running\n');
  }
}
