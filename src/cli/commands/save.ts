import { Command, Option } from 'clipanion';
import { HxCommand } from '../base.js';

export class SaveCommand extends HxCommand {
  static override paths = [['save'], ['image', 'save']];
  static override usage = Command.Usage({
    category: 'Images',
    description: 'Save images to a docker-archive (default) or oci-archive tar',
    examples: [['To a file', '$0 save -o busybox.tar busybox'], ['OCI', '$0 save --format oci-archive -o img.tar myapp:1']],
  });
  output = Option.String('-o,--output', { description: 'Write to FILE instead of stdout' });
  format = Option.String('--format', 'docker-archive', { description: 'docker-archive or oci-archive' });
  refs = Option.Rest({ required: 1 });

  async run(): Promise<number> {
    const { UsageError } = await import('../../errors.js');
    if (this.format !== 'docker-archive' && this.format !== 'oci-archive') {
      throw new UsageError(`unknown format "${this.format}"`, 'use --format docker-archive or --format oci-archive');
    }
    const output = this.output ?? '-';
    if (output === '-' && process.stdout.isTTY) throw new UsageError('cowardly refusing to save to a terminal', 'use -o FILE or redirect stdout');
    const { enterNamespace } = await import('../../engine/namespace.js');
    await enterNamespace(process.argv.slice(2));
    const { saveImages } = await import('../../engine/images.js');
    await saveImages(this.refs, output, this.format);
    return 0;
  }
}
