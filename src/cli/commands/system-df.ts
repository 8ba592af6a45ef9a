import { Command, Option } from 'clipanion';
import { HxCommand } from '../base.js';
import { humanSize, table } from './image-format.js';

export class SystemDfCommand extends HxCommand {
  static override paths = [['system', 'df']];
  static override usage = Command.Usage({ category: 'System', description: 'Show disk usage of the store' });
  format = Option.String('--format', { description: 'json' });

  async run(): Promise<number> {
    const { enterNamespace } = await import('../../engine/namespace.js');
    await enterNamespace(process.argv.slice(2));
    const { diskUsage } = await import('../../engine/images.js');
    const u = diskUsage();
    if (this.format === 'json') {
      this.context.stdout.write(JSON.stringify(u) + '\n');
      return 0;
    }
    const pct = (a: number, b: number): string => (b ? ` (${Math.round((a / b) * 100)}%)` : '');
    this.context.stdout.write(table([
      ['TYPE', 'TOTAL', 'ACTIVE', 'SIZE', 'RECLAIMABLE'],
      ['Images', String(u.images.total), String(u.images.active), humanSize(u.images.size), humanSize(u.images.reclaimable) + pct(u.images.reclaimable, u.images.size)],
      ['Containers', String(u.containers.total), String(u.containers.active), humanSize(u.containers.size), humanSize(u.containers.reclaimable)],
      ['Layer blobs', String(u.blobs.count), String(u.blobs.count), humanSize(u.blobs.size), '0B'],
    ]));
    return 0;
  }
}
