import { Command, Option } from 'clipanion';
import { HxCommand } from '../base.js';

export class ImageInspectCommand extends HxCommand {
  static override paths = [['image', 'inspect']];
  static override usage = Command.Usage({
    category: 'Images',
    description: "Show images' details as JSON (docker's shape: Id, RepoTags, RepoDigests, Created, Config, RootFS, Size, History)",
  });
  format = Option.String('-f,--format', { description: 'a Go-template-like path such as {{.Id}} or {{.Config.Cmd}}' });
  refs = Option.Rest({ required: 1 });

  async run(): Promise<number> {
    const { enterNamespace } = await import('../../engine/namespace.js');
    await enterNamespace(process.argv.slice(2));
    const { inspectImage } = await import('../../engine/images.js');
    const docs = this.refs.map((r) => inspectImage(r));
    if (this.format) {
      for (const d of docs) this.context.stdout.write(renderTemplate(this.format, d) + '\n');
      return 0;
    }
    this.context.stdout.write(JSON.stringify(docs, null, 4) + '\n');
    return 0;
  }
}

/** The subset of Go templates people use with inspect: {{.A.B}} and {{json .A}}. */
export function renderTemplate(tpl: string, doc: unknown): string {
  return tpl.replace(/\{\{\s*(json\s+)?\.([\w.]*)\s*\}\}/g, (_m, json: string | undefined, path: string) => {
    let v: unknown = doc;
    for (const k of path.split('.').filter(Boolean)) v = v && typeof v === 'object' ? (v as Record<string, unknown>)[k] : undefined;
    if (json) return JSON.stringify(v ?? null);
    if (Array.isArray(v)) return `[${v.join(' ')}]`;
    if (v && typeof v === 'object') return `map[${Object.entries(v).map(([k, x]) => `${k}:${String(x)}`).join(' ')}]`;
    return v === undefined || v === null ? '<no value>' : String(v);
  });
}
