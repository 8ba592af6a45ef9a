// `hx load [-i FILE|DIR]`: docker prints "Loaded image: NAME" per name, "Loaded image ID:"
// for an image without one; -q only hides progress, which hx load does not draw.
import { UsageError } from '../../../errors.js';
import type { CommandRun } from '../../spec.js';

export const run: CommandRun = async (ctx, inv) => {
  const input = (inv.flags.input as string | undefined) ?? '-';
  if (input === '-' && ctx.stdinIsTTY) throw new UsageError('requested load from stdin, but stdin is empty', 'use hx load -i FILE, or pipe an archive into hx load');
  const engine = await ctx.engine();
  await engine.images.load(input === '-' ? ctx.stdin : input, (e) => {
    if (e.type === 'layer-done') for (const n of e.result.stats.notes) ctx.stderr.write(`note: layer ${e.index + 1}: ${n}\n`);
    if (e.type !== 'image') return;
    if (e.names.length === 0) ctx.stdout.write(`Loaded image ID: ${e.id}\n`);
    else for (const n of e.names) ctx.stdout.write(`Loaded image: ${displayName(n)}\n`);
  });
};

/** docker.io/library/busybox:latest -> busybox:latest */
function displayName(name: string): string {
  return name.replace(/^docker\.io\/library\//, '').replace(/^docker\.io\//, '');
}
