// `hx volume inspect [-f FORMAT] VOLUME...`: docker's JSON (or template) of each volume;
// the unknown ones are reported after the rest ("get X: no such volume"), exit 1.
import { renderInspect, withMaps } from '../../format/formatter.js';
import type { CommandRun } from '../../spec.js';
import { daemonCall } from './errors.js';

const VOLUME_MAPS = { Labels: 'map[string]string', Options: 'map[string]string' };

export const run: CommandRun = async (ctx, inv) => {
  const engine = await ctx.engine();
  const docs: unknown[] = [];
  let failed = 0;
  const errors: string[] = [];
  for (const name of inv.args) {
    const ok = await daemonCall((l) => errors.push(l), () => {
      docs.push(withMaps(engine.volumes.inspect(name) as unknown as Record<string, unknown>, VOLUME_MAPS));
    });
    if (!ok) failed++;
  }
  const rendered = renderInspect(docs, inv.flags.format as string | undefined);
  ctx.stdout.write(rendered.output);
  for (const e of errors) ctx.stderr.write(e);
  for (const e of rendered.errors) ctx.stderr.write(`${e.message}\n`);
  return failed || rendered.errors.length ? 1 : 0;
};
