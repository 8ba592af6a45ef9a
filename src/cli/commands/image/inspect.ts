// `hx image inspect`: docker's JSON (or -f template) of each image; the unknown ones are
// reported after the rest, exit 1.
import { renderInspect, withMaps } from '../../format/formatter.js';
import type { CommandRun } from '../../spec.js';

/** Fields docker's types declare as maps: a missing key there is `<no value>`, not an error. */
export const IMAGE_MAPS = {
  'Config.Labels': 'map[string]string',
  'Config.ExposedPorts': 'map[string]struct {}',
  'Config.Volumes': 'map[string]struct {}',
  'GraphDriver.Data': 'map[string]string',
};

export const run: CommandRun = async (ctx, inv) => {
  const engine = await ctx.engine();
  const docs: unknown[] = [];
  const missing: string[] = [];
  for (const ref of inv.args) {
    try {
      docs.push(withMaps(engine.images.inspect(ref), IMAGE_MAPS));
    } catch (e) {
      if ((e as { kind?: string }).kind !== 'not-found') throw e;
      missing.push((e as Error).message);
    }
  }
  const { output, errors } = renderInspect(docs, inv.flags.format as string | undefined);
  ctx.stdout.write(output);
  for (const m of missing) ctx.stderr.write(`Error: ${m}\n`);
  for (const e of errors) ctx.stderr.write(`${e.message}\n`);
  return missing.length || errors.length ? 1 : 0;
};
