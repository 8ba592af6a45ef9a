import { Command, Option } from 'clipanion';
import { HxCommand } from '../base.js';

export class SystemCheckCommand extends HxCommand {
  static override paths = [['system', 'check']];
  static override usage = Command.Usage({
    category: 'System',
    description: 'Check the store: records, blobs, layers, links, containers and temp dirs (exit 1 on any problem)',
    details: 'Reports what breaks the store\'s invariants (docs/STORAGE.md) and repairs nothing. Layers and blobs that nothing uses count as problems too: `hx image prune` removes them.',
  });
  quick = Option.Boolean('-q,--quick', false, { description: 'Do not hash layer blobs (configs and manifests are still hashed)' });
  format = Option.String('--format', { description: 'json' });

  async run(): Promise<number> {
    const { enterNamespace } = await import('../../engine/namespace.js');
    await enterNamespace(process.argv.slice(2));
    const { checkStore } = await import('../../engine/images.js');
    const r = await checkStore({ quick: this.quick });
    const out = this.context.stdout;
    if (this.format === 'json') {
      out.write(JSON.stringify(r) + '\n');
      return r.problems.length ? 1 : 0;
    }
    for (const p of r.problems) out.write(`${p.subject}: ${p.problem}\n  fix: ${p.fix}\n`);
    const c = r.checked;
    const what = `${c.images} images, ${c.layers} layers, ${c.blobs} blobs, ${c.links} links, ${c.containers} containers, ${c.temp} temp dirs`;
    out.write(r.problems.length ? `${r.problems.length} problem(s) in ${r.root} (${what})\n` : `No problems in ${r.root} (${what})\n`);
    return r.problems.length ? 1 : 0;
  }
}
