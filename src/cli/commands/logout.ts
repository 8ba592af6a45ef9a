import { Command, Option } from 'clipanion';
import { HxCommand } from '../base.js';

export class LogoutCommand extends HxCommand {
  static override paths = [['logout']];
  static override usage = Command.Usage({
    category: 'Registries',
    description: 'Remove saved credentials for a registry',
    details: "Removes the registry's entry from hx's auth file ($XDG_CONFIG_HOME/hx/auth.json, or --authfile). Credentials in docker's or podman's files are left alone.",
    examples: [['Log out of a registry', '$0 logout quay.io'], ['Forget every saved login', '$0 logout --all']],
  });
  all = Option.Boolean('-a,--all', false, { description: 'Remove the credentials of every registry' });
  authFile = Option.String('--authfile', { description: 'The auth file to change' });
  registry = Option.String({ name: 'REGISTRY', required: false });

  async run(): Promise<number> {
    const { logout } = await import('../../engine/registry.js');
    const { UsageError } = await import('../../errors.js');
    if (this.all && this.registry) throw new UsageError('--all and a registry name are mutually exclusive');
    const r = await logout(this.all ? undefined : this.registry ?? 'docker.io', { authFile: this.authFile });
    this.context.stdout.write(`Removed login credentials for ${r.registry}\n`);
    return 0;
  }
}
