// `hx version` (and `hx --version`).
import type { VersionInfo } from '../../../engine/index.js';
import { renderInspect } from '../../format/formatter.js';
import type { CommandRun } from '../../spec.js';

async function versions(): Promise<VersionInfo> {
  const { versionInfo } = await import('../../../engine/system/version.js');
  return versionInfo();
}

/** `hx --version`: docker's one line ("Docker version 28.2.2, build e6534b4"). */
export async function versionLine(): Promise<string> {
  const v = await versions();
  return `hx version ${v.hx}, build ${v.builds.hx ?? 'unknown'}`;
}

export const run: CommandRun = async (ctx, inv) => {
  const v = await versions();
  const format = inv.flags.format as string | undefined;
  if (format === 'json') {
    ctx.stdout.write(JSON.stringify(v, null, 2) + '\n');
    return 0;
  }
  if (format !== undefined) {
    const { output, errors } = renderInspect([v], format, { raw: false });
    ctx.stdout.write(output);
    for (const e of errors) ctx.stderr.write(`${e.message}\n`);
    return errors.length ? 1 : 0;
  }
  const builds = Object.entries(v.builds).map(([k, id]) => `${k} ${id}`).join(', ') || 'not built';
  ctx.stdout.write(`hx version ${v.hx}\nnode:   ${v.node}\nkernel: ${v.kernel}\nbuilds: ${builds}\n`);
  return 0;
};
