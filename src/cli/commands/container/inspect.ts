// `hx container inspect` and `hx inspect` (containers, then images, as docker's
// inspect without --type looks them up): docker's JSON, or -f TEMPLATE per object.
import { renderInspect, withMaps } from '../../format/formatter.js';
import type { CommandRun } from '../../spec.js';
import { IMAGE_MAPS } from '../image/inspect.js';

/** Fields docker's container types declare as maps. */
export const CONTAINER_MAPS = {
  'Config.Labels': 'map[string]string',
  'Config.Volumes': 'map[string]struct {}',
  'Config.ExposedPorts': 'map[string]struct {}',
  'GraphDriver.Data': 'map[string]string',
  'NetworkSettings.Ports': 'nat.PortMap',
  'NetworkSettings.Networks': 'map[string]*network.EndpointSettings',
  'HostConfig.Tmpfs': 'map[string]string',
  'HostConfig.LogConfig.Config': 'map[string]string',
};

type Kind = 'container' | 'image';

function inspector(kinds: Kind[]): CommandRun {
  return async (ctx, inv) => {
    const engine = await ctx.engine();
    const type = inv.flags.type as string | undefined;
    const wanted = type === 'container' ? ['container' as const] : type === 'image' ? ['image' as const] : kinds;
    if (type !== undefined && type !== 'container' && type !== 'image') {
      ctx.stderr.write(`hx: "${type}" is not a valid value for --type\n  hint: use container or image\n`);
      return 1;
    }
    const docs: unknown[] = [];
    const missing: string[] = [];
    for (const ref of inv.args) {
      let doc: unknown;
      for (const kind of wanted) {
        try {
          doc = kind === 'container'
            ? withMaps(engine.containers.inspect(ref, { size: inv.flags.size === true }), CONTAINER_MAPS)
            : withMaps(engine.images.inspect(ref), IMAGE_MAPS);
          break;
        } catch (e) {
          if ((e as { kind?: string }).kind !== 'not-found') throw e;
        }
      }
      if (doc !== undefined) docs.push(doc);
      else missing.push(wanted.length === 1 ? `No such ${wanted[0]}: ${ref}` : `No such object: ${ref}`);
    }
    const { output, errors } = renderInspect(docs, inv.flags.format as string | undefined);
    ctx.stdout.write(output);
    for (const m of missing) ctx.stderr.write(`Error: ${m}\n`);
    for (const e of errors) ctx.stderr.write(`${e.message}\n`);
    return missing.length || errors.length ? 1 : 0;
  };
}

export const container = inspector(['container']);
export const any = inspector(['container', 'image']);
