import { Command, Option } from 'clipanion';
import { HxCommand } from '../base.js';

export class ImportCommand extends HxCommand {
  static override paths = [['import'], ['image', 'import']];
  static override usage = Command.Usage({
    category: 'Images',
    description: 'Create a one-layer image from a root filesystem tarball (plain, gzip or zstd; - for stdin)',
    examples: [['With a command', `$0 import --change 'CMD ["sh"]' rootfs.tar myrootfs:1`]],
  });
  changes = Option.Array('-c,--change', [], { description: 'Dockerfile instruction to apply (CMD, ENTRYPOINT, ENV, EXPOSE, LABEL, USER, VOLUME, WORKDIR, STOPSIGNAL)' });
  message = Option.String('-m,--message', { description: 'Commit message for the history' });
  input = Option.String({ required: true });
  ref = Option.String({ required: false });

  async run(): Promise<number> {
    const { enterNamespace } = await import('../../engine/namespace.js');
    await enterNamespace(process.argv.slice(2));
    const { importImage } = await import('../../engine/images.js');
    const rec = await importImage(this.input, this.ref, this.changes, this.message);
    this.context.stdout.write(`${rec.id}\n`);
    return 0;
  }
}
