import { Command, Option } from 'clipanion';
import { HxCommand } from '../base.js';

export class RmiCommand extends HxCommand {
  static override paths = [['rmi'], ['image', 'rm'], ['image', 'remove']];
  static override usage = Command.Usage({
    category: 'Images',
    description: 'Remove images (untag a name; delete the image and its unused layers with its last name)',
  });
  force = Option.Boolean('-f,--force', false, { description: 'Remove even if a container uses it or it has several names' });
  refs = Option.Rest({ required: 1 });

  async run(): Promise<number> {
    const { enterNamespace } = await import('../../engine/namespace.js');
    await enterNamespace(process.argv.slice(2));
    const { removeImages } = await import('../../engine/images.js');
    const r = await removeImages(this.refs, this.force);
    for (const u of r.untagged) this.context.stdout.write(`Untagged: ${u}\n`);
    for (const d of r.deleted) this.context.stdout.write(`Deleted: ${d}\n`);
    return 0;
  }
}
