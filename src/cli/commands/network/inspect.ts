// `hx network inspect [-f FORMAT] NETWORK...`: docker's NetworkResource JSON (or template);
// the unknown ones reported after the rest ("network X not found"), exit 1.
import { renderInspect, withMaps } from '../../format/formatter.js';
import type { CommandRun } from '../../spec.js';
import { daemonCall } from '../volume/errors.js';

const NETWORK_MAPS = { Labels: 'map[string]string', Options: 'map[string]string', Containers: 'map[string]network.EndpointResource' };

export const run: CommandRun = async (ctx, inv) => {
  const engine = await ctx.engine();
  const docs: unknown[] = [];
  let failed = 0;
  const errors: string[] = [];
  for (const ref of inv.args) {
    const ok = await daemonCall((l) => errors.push(l), () => {
      docs.push(withMaps(engine.networks.inspect(ref) as unknown as Record<string, unknown>, NETWORK_MAPS));
    });
    if (!ok) failed++;
  }
  const rendered = renderInspect(docs, inv.flags.format as string | undefined);
  ctx.stdout.write(rendered.output);
  for (const e of errors) ctx.stderr.write(e);
  for (const e of rendered.errors) ctx.stderr.write(`${e.message}\n`);
  return failed || rendered.errors.length ? 1 : 0;
};
