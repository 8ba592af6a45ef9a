// docker prints a daemon's refusal as "Error response from daemon: MSG" (moby client
// checkResponseErr); the volume and network commands report the engine's errors the same
// way, exit 1.
import { HxError } from '../../errors.js';
import { renderInspect, withMaps } from '../format/formatter.js';
import type { CommandContext } from '../context.js';

/** Run F; an HxError from the engine becomes docker's daemon line, given to REPORT (result false). */
export async function daemonCall(report: (line: string) => void, f: () => Promise<void> | void): Promise<boolean> {
  try {
    await f();
    return true;
  } catch (e) {
    if (!(e instanceof HxError) || e.kind === 'internal') throw e;
    report(`Error response from daemon: ${e.message}\n`);
    return false;
  }
}

/** `hx volume|network inspect`: each REF's document (MAPS: its Go map fields), the unknown
 * ones reported after the rest; exit 1 when any failed. */
export async function inspectEach(ctx: CommandContext, refs: readonly string[], format: string | undefined, maps: Readonly<Record<string, string>>, inspect: (ref: string) => unknown): Promise<number> {
  const docs: unknown[] = [];
  const errors: string[] = [];
  let failed = 0;
  for (const ref of refs) {
    if (!(await daemonCall((l) => errors.push(l), () => void docs.push(withMaps(inspect(ref) as Record<string, unknown>, maps))))) failed++;
  }
  const rendered = renderInspect(docs, format);
  ctx.stdout.write(rendered.output);
  for (const e of errors) ctx.stderr.write(e);
  for (const e of rendered.errors) ctx.stderr.write(`${e.message}\n`);
  return failed || rendered.errors.length ? 1 : 0;
}
