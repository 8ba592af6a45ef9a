// `hx save [-o FILE] IMAGE...`.
import { UsageError } from '../../../errors.js';
import type { CommandRun } from '../../spec.js';

export const run: CommandRun = async (ctx, inv) => {
  const format = (inv.flags.format as string | undefined) ?? 'docker-archive';
  if (format !== 'docker-archive' && format !== 'oci-archive') throw new UsageError(`unknown format "${format}"`, 'use --format docker-archive or --format oci-archive');
  const output = (inv.flags.output as string | undefined) ?? '-';
  if (output === '-' && ctx.stdout.isTTY) throw new UsageError('cowardly refusing to save to a terminal. Use the -o flag or redirect', 'use -o FILE or redirect stdout');
  const engine = await ctx.engine();
  await engine.images.save(inv.args, output === '-' ? process.stdout : output, format);
};
