import { Command, Option } from 'clipanion';
import { HxCommand } from '../base.js';

export class TagCommand extends HxCommand {
  static override paths = [['tag'], ['image', 'tag']];
  static override usage = Command.Usage({
    category: 'Images',
    description: 'Give an image another name (SOURCE and TARGET are NAME[:TAG]; SOURCE may be an ID)',
    examples: [['Tag for a local registry', '$0 tag busybox localhost:5000/busybox:1']],
  });
  source = Option.String({ required: true });
  target = Option.String({ required: true });

  async run(): Promise<number> {
    const { enterNamespace } = await import('../../engine/namespace.js');
    await enterNamespace(process.argv.slice(2));
    const { tagImage } = await import('../../engine/images.js');
    await tagImage(this.source, this.target);
    return 0;
  }
}
