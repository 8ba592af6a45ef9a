// docker's way with several containers (stop, kill, rm, restart, start, wait): each is
// tried, the ones that worked are printed as given, the errors come after, exit 1 if any.
import type { CommandContext } from '../../context.js';
import { formatError } from '../../errors.js';

export async function forEachContainer(ctx: CommandContext, refs: string[], act: (ref: string) => Promise<string | void>): Promise<number> {
  const errors: string[] = [];
  for (const ref of refs) {
    try {
      const shown = await act(ref);
      ctx.stdout.write(`${shown ?? ref}\n`);
    } catch (e) {
      errors.push(formatError(e).text);
    }
  }
  for (const e of errors) ctx.stderr.write(e);
  return errors.length ? 1 : 0;
}
