import { Command, Option } from 'clipanion';
import { HxCommand } from '../base.js';

export class SystemResetCommand extends HxCommand {
  static override paths = [['system', 'reset']];
  static override usage = Command.Usage({ category: 'System', description: 'Delete every image, layer and container of the store' });
  force = Option.Boolean('-f,--force', false, { description: 'Required: confirms the reset' });

  async run(): Promise<number> {
    if (!this.force) {
      const { UsageError } = await import('../../errors.js');
      throw new UsageError('hx system reset deletes all images, layers and containers', 'run it again with -f to confirm');
    }
    const { enterNamespace } = await import('../../engine/namespace.js');
    await enterNamespace(process.argv.slice(2));
    const { resetStore } = await import('../../engine/images.js');
    await resetStore();
    this.context.stdout.write('Store reset: all images, layers and containers removed\n');
    return 0;
  }
}
