import { Command, Option } from 'clipanion';
import { HxCommand } from '../base.js';
import { ago, humanSize, shortId, table, truncate } from './image-format.js';

export class HistoryCommand extends HxCommand {
  static override paths = [['history'], ['image', 'history']];
  static override usage = Command.Usage({ category: 'Images', description: 'Show the history of an image' });
  noTrunc = Option.Boolean('--no-trunc', false, { description: 'Do not truncate output' });
  quiet = Option.Boolean('-q,--quiet', false, { description: 'Only IDs' });
  format = Option.String('--format', { description: 'json: one JSON object per row' });
  ref = Option.String({ required: true });

  async run(): Promise<number> {
    const { enterNamespace } = await import('../../engine/namespace.js');
    await enterNamespace(process.argv.slice(2));
    const { imageHistory } = await import('../../engine/images.js');
    const rows = imageHistory(this.ref);
    const id = (s: string): string => (s === '<missing>' || this.noTrunc ? s : shortId(s));
    const out = this.context.stdout;
    if (this.quiet) {
      out.write(rows.map((r) => id(r.id) + '\n').join(''));
      return 0;
    }
    if (this.format === 'json') {
      for (const r of rows) out.write(JSON.stringify({ ID: id(r.id), CreatedAt: r.created, CreatedSince: ago(r.created), CreatedBy: r.createdBy, Size: humanSize(r.size), Comment: r.comment }) + '\n');
      return 0;
    }
    const body = rows.map((r) => [id(r.id), r.created ? ago(r.created) : 'N/A', this.noTrunc ? r.createdBy : truncate(r.createdBy, 45), humanSize(r.size), r.comment]);
    out.write(table([['IMAGE', 'CREATED', 'CREATED BY', 'SIZE', 'COMMENT'], ...body]));
    return 0;
  }
}
