import { Command, Option } from 'clipanion';
import { HxCommand } from '../base.js';

export class VersionCommand extends HxCommand {
  static override paths = [['version'], ['--version'], ['-v']];
  static override usage = Command.Usage({ category: 'System', description: 'Show hx, Node, kernel and build versions' });
  format = Option.String('--format', { description: 'json for machine-readable output' });

  async run(): Promise<void> {
    const { versionInfo } = await import('../../engine/version.js');
    const v = versionInfo();
    if (this.format === 'json') {
      this.context.stdout.write(JSON.stringify(v, null, 2) + '\n');
      return;
    }
    const builds = Object.entries(v.builds).map(([k, id]) => `${k} ${id}`).join(', ') || 'not built';
    this.context.stdout.write(`hx version ${v.hx}\nnode:   ${v.node}\nkernel: ${v.kernel}\nbuilds: ${builds}\n`);
  }
}
