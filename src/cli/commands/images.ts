import { Command, Option } from 'clipanion';
import { HxCommand } from '../base.js';
import { ago, humanSize, shortId, table } from './image-format.js';

export class ImagesCommand extends HxCommand {
  static override paths = [['images'], ['image', 'ls'], ['image', 'list']];
  static override usage = Command.Usage({
    category: 'Images',
    description: 'List images',
    examples: [['Only IDs', '$0 images -q'], ['JSON lines', '$0 images --format json']],
  });
  all = Option.Boolean('-a,--all', false, { description: 'Show all images (also untagged ones)' });
  quiet = Option.Boolean('-q,--quiet', false, { description: 'Only image IDs' });
  digests = Option.Boolean('--digests', false, { description: 'Show digests' });
  noTrunc = Option.Boolean('--no-trunc', false, { description: 'Full IDs' });
  format = Option.String('--format', { description: 'json: one JSON object per image' });
  ref = Option.String({ required: false });

  async run(): Promise<number> {
    const { enterNamespace } = await import('../../engine/namespace.js');
    await enterNamespace(process.argv.slice(2));
    const { listImages } = await import('../../engine/images.js');
    // hx has no intermediate images (docker's -a shows those), so -a lists the same rows.
    const rows = listImages(this.ref ? { filterRef: this.ref } : {});
    const out = this.context.stdout;
    const id = (s: string): string => (this.noTrunc ? s : shortId(s));
    if (this.quiet) {
      out.write([...new Set(rows.map((r) => id(r.id)))].map((s) => s + '\n').join(''));
      return 0;
    }
    if (this.format === 'json') {
      for (const r of rows) {
        out.write(JSON.stringify({
          ID: id(r.id), Repository: r.repository, Tag: r.tag, Digest: r.digest, CreatedAt: r.created, CreatedSince: ago(r.created),
          Size: humanSize(r.size), VirtualSize: r.size, SharedSize: r.sharedSize, UniqueSize: r.uniqueSize, Containers: r.containers,
        }) + '\n');
      }
      return 0;
    }
    if (this.format) {
      const { UsageError } = await import('../../errors.js');
      throw new UsageError(`unsupported --format "${this.format}"`, 'use --format json');
    }
    const head = ['REPOSITORY', 'TAG', ...(this.digests ? ['DIGEST'] : []), 'IMAGE ID', 'CREATED', 'SIZE', 'SHARED SIZE', 'UNIQUE SIZE'];
    const body = rows.map((r) => [r.repository, r.tag, ...(this.digests ? [r.digest] : []), id(r.id), ago(r.created), humanSize(r.size), humanSize(r.sharedSize), humanSize(r.uniqueSize)]);
    out.write(table([head, ...body]));
    return 0;
  }
}
