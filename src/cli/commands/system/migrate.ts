// `hx system migrate`: stop the holder so the next command maps the current subuid ranges.
import type { CommandRun } from '../../spec.js';

export const run: CommandRun = async (ctx) => {
  const { resetNamespace } = await import('../../../engine/namespace.js');
  const pid = await resetNamespace();
  ctx.stdout.write(pid ? `stopped namespace holder ${pid}\n` : 'no namespace holder was running\n');
};
