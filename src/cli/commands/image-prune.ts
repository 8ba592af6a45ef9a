import { Command, Option } from 'clipanion';
import { HxCommand } from '../base.js';
import { humanSize } from './image-format.js';

export class ImagePruneCommand extends HxCommand {
  static override paths = [['image', 'prune']];
  static override usage = Command.Usage({ category: 'Images', description: 'Remove unused images (dangling ones; with -a every image no container uses)' });
  all = Option.Boolean('-a,--all', false, { description: 'Remove all images without containers, not just dangling ones' });
  force = Option.Boolean('-f,--force', false, { description: 'Do not prompt (hx never prompts)' });

  async run(): Promise<number> {
    const { enterNamespace } = await import('../../engine/namespace.js');
    await enterNamespace(process.argv.slice(2));
    const { pruneImages } = await import('../../engine/images.js');
    const r = await pruneImages(this.all);
    if (r.untagged.length || r.deleted.length) {
      this.context.stdout.write('Deleted Images:\n');
      for (const u of r.untagged) this.context.stdout.write(`untagged: ${u}\n`);
      for (const d of r.deleted) this.context.stdout.write(`deleted: ${d}\n`);
      this.context.stdout.write('\n');
    }
    this.context.stdout.write(`Total reclaimed space: ${humanSize(r.reclaimed)}\n`);
    return 0;
  }
}
