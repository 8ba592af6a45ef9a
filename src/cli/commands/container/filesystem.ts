// `hx diff`, `hx commit`, `hx export`: a container's filesystem as changes, an image, a tar.
import { createWriteStream } from 'node:fs';
import { UsageError } from '../../../errors.js';
import type { CommandRun } from '../../spec.js';

/** docker diff: "C /etc", "A /etc/new", "D /old", one per line, by path. */
export const diff: CommandRun = async (ctx, inv) => {
  const engine = await ctx.engine();
  const changes = await engine.containers.diff(inv.args[0]!);
  ctx.stdout.write(changes.map((c) => `${c.kind} ${c.path}\n`).join(''));
};

/** docker commit: prints the new image's ID. */
export const commit: CommandRun = async (ctx, inv) => {
  const engine = await ctx.engine();
  const r = await engine.containers.commit({
    container: inv.args[0]!,
    reference: inv.args[1],
    author: inv.flags.author as string | undefined,
    message: inv.flags.message as string | undefined,
    changes: (inv.flags.change as string[] | undefined) ?? [],
    pause: inv.flags.pause as boolean | undefined,
  });
  ctx.stdout.write(`${r.id}\n`);
};

/** docker export: the tar to -o FILE, or to stdout when that is not a terminal. */
export const exportTar: CommandRun = async (ctx, inv) => {
  const engine = await ctx.engine();
  const output = inv.flags.output as string | undefined;
  if (!output && process.stdout.isTTY) {
    throw new UsageError('cowardly refusing to save to a terminal. Use the -o flag or redirect', 'hx export CONTAINER > file.tar, or -o file.tar');
  }
  // The file is made only once the container is found, so a bad name leaves none behind.
  engine.containers.inspect(inv.args[0]!);
  await engine.containers.export(inv.args[0]!, output ? createWriteStream(output) : process.stdout);
};
