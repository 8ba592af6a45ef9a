import { Command, Option } from 'clipanion';
import { HxCommand } from '../base.js';

export class LoadCommand extends HxCommand {
  static override paths = [['load'], ['image', 'load']];
  static override usage = Command.Usage({
    category: 'Images',
    description: 'Load images from a docker-archive or OCI archive (file, directory or stdin)',
    details: 'Accepts what `docker save`, `podman save` and `skopeo copy` write: docker-archive (legacy and Docker 25+), OCI image layout directories and oci-archive tars, gzip- or zstd-compressed or not, with one image or many.',
    examples: [
      ['Load from a file', '$0 load -i busybox.tar'],
      ['Load from stdin', 'gzip -dc img.tar.gz | $0 load'],
    ],
  });
  input = Option.String('-i,--input', { description: 'Read from FILE or DIR instead of stdin' });
  quiet = Option.Boolean('-q,--quiet', false, { description: 'Print only the loaded image IDs' });

  async run(): Promise<number> {
    const { enterNamespace } = await import('../../engine/namespace.js');
    await enterNamespace(process.argv.slice(2));
    const input = this.input ?? '-';
    if (input === '-' && process.stdin.isTTY) {
      const { UsageError } = await import('../../errors.js');
      throw new UsageError('requested load from stdin, but stdin is a terminal', 'use hx load -i FILE, or pipe an archive into hx load');
    }
    const { loadImages } = await import('../../engine/images.js');
    const { displayName } = await import('../../image/resolve.js');
    await loadImages(input, (e) => {
      if (e.type === 'layer-done') for (const n of e.result.stats.notes) this.context.stderr.write(`note: layer ${e.index + 1}: ${n}\n`);
      if (e.type !== 'image') return;
      if (this.quiet || e.names.length === 0) this.context.stdout.write(`Loaded image ID: ${e.id}\n`);
      else for (const n of e.names) this.context.stdout.write(`Loaded image: ${displayName(n)}\n`);
    });
    return 0;
  }
}
