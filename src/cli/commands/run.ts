import { Command, Option } from 'clipanion';
import { HxCommand } from '../base.js';

// The registration for `hx --help`; main.ts runs `hx run` through run-main.ts directly.
export class RunCommand extends HxCommand {
  static override paths = [['run']];
  static override usage = Command.Usage({
    category: 'Containers',
    description: 'Run a command in a new container',
    details:
      'Like `docker run`, rootless: new mount, pid, uts, ipc, net and cgroup namespaces, docker\'s default capabilities, seccomp filter, masked paths and exit codes. `hx run --help` lists the options.',
    examples: [
      ['Run a shell in a root filesystem directory', '$0 run -it --rootfs ./rootfs sh'],
      ['Bind a host directory read-only', '$0 run --rootfs ./rootfs -v "$PWD:/src:ro" ls /src'],
    ],
  });
  args = Option.Proxy();

  async run(): Promise<number> {
    const { runMain } = await import('../run-main.js');
    return runMain(this.args);
  }
}
