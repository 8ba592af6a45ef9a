// `hx run`: flags -> a root filesystem and container options -> runContainer -> exit code.
// main.ts calls runMain directly for `run` (no clipanion on this path: `hx run` start-up
// latency is the product), and commands/run.ts does for `hx --help` listings.
import { readFileSync, writeSync } from 'node:fs';
import { UsageError } from '../errors.js';
import { formatError } from './errors.js';
import { markPhase } from '../engine/phases.js';
import { flagsToOptions, parseRunArgs, runUsage, type RunFlags } from './run-flags.js';

function reportError(error: unknown): number {
  const { text, exitCode } = formatError(error);
  writeSync(2, text);
  return exitCode;
}

interface RootfsSource {
  rootfs: string;
  args: string[];
}

/** The two ways to get a root filesystem: --rootfs DIR, or an image (the image store's job). */
function rootfsSource(flags: RunFlags): RootfsSource {
  const args = flags.entrypoint !== undefined ? [...(flags.entrypoint ? [flags.entrypoint] : []), ...flags.command] : flags.command;
  if (flags.rootfs !== undefined) {
    if (args.length === 0) throw new UsageError('no command specified', 'hx run [OPTIONS] --rootfs DIR COMMAND [ARG...]');
    return { rootfs: flags.rootfs, args };
  }
  if (!flags.image) throw new UsageError('"hx run" requires a root filesystem and a command', 'hx run [OPTIONS] --rootfs DIR COMMAND [ARG...]');
  throw new UsageError(`running an image (${flags.image}) is not supported yet`, 'give a root filesystem directory with --rootfs DIR');
}

export async function runMain(argv: string[]): Promise<number> {
  try {
    const flags = parseRunArgs(argv);
    if (flags.help) {
      writeSync(1, runUsage());
      return 0;
    }
    const options = flagsToOptions(flags, { env: process.env, readFile: (p) => readFileSync(p) });
    // An image (not --rootfs): the image store makes the rootfs inside the namespace below.
    const source = flags.rootfs === undefined && flags.image ? undefined : rootfsSource(flags);
    if (flags.interactive && flags.tty && !process.stdin.isTTY) {
      // docker's wording and status for `-it` without a terminal
      writeSync(2, 'hx: the input device is not a TTY\n  hint: drop -t, or run from a terminal\n');
      return 1;
    }
    const { enterNamespace } = await import('../engine/namespace.js');
    const status = await enterNamespace(process.argv.slice(2));
    markPhase('namespace');
    if (status.mode === 'rootless') for (const w of status.warnings) writeSync(2, `${w}\n`);
    const { runContainer, processIO } = await import('../engine/run.js');
    if (source) return await runContainer({ ...options, rootfs: source.rootfs, args: source.args }, processIO(flags.interactive, flags.tty), { onPhase: markPhase });
    const { prepareImageRun } = await import('../engine/image-run.js');
    const img = await prepareImageRun({ image: flags.image!, entrypoint: flags.entrypoint, command: flags.command, env: options.env ?? [], workdir: flags.workdir, user: flags.user, name: flags.name, autoRemove: flags.rm });
    markPhase('rootfs');
    let code: number | undefined;
    try {
      const volumes = img.volumeMounts.map((v) => ({ type: 'bind' as const, source: v.source, target: v.target, readonly: false, propagation: 'rprivate' as const, recursive: true }));
      const user = img.user ? { user: img.user } : {};
      code = await runContainer({ ...options, ...user, rootfs: img.rootfs, args: img.args, env: img.env, cwd: img.cwd, mounts: [...volumes, ...(options.mounts ?? [])] }, processIO(flags.interactive, flags.tty), { onPhase: markPhase });
      return code;
    } finally {
      await img.finish(flags.rm, code);
      markPhase('teardown');
    }
  } catch (error) {
    return reportError(error);
  }
}
