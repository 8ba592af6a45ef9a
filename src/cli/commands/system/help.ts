// `hx help [COMMAND]`: the same text as `hx [COMMAND] --help`.
import { commandHelp, groupHelp, topHelp } from '../../help.js';
import { resolveIn } from '../../resolve.js';
import type { CommandRun } from '../../spec.js';

export const run: CommandRun = async (ctx, inv) => {
  const { commands: COMMANDS, groups: GROUPS } = inv.catalog ?? { commands: [], groups: [] };
  const resolveCommand = (words: string[]) => resolveIn(COMMANDS, words);
  if (inv.args.length === 0) {
    ctx.stdout.write(topHelp(COMMANDS, GROUPS, ctx.stdout.columns));
    return 0;
  }
  const found = resolveCommand(inv.args);
  if (found && found.rest.length === 0) {
    ctx.stdout.write(commandHelp(found.spec, found.path, ctx.stdout.columns));
    return 0;
  }
  const group = GROUPS.find((g) => g.name === inv.args[0]);
  if (group && inv.args.length === 1) {
    ctx.stdout.write(groupHelp(group, COMMANDS));
    return 0;
  }
  ctx.stderr.write(`hx: unknown help topic: ${inv.args.join(' ')}\n\nRun 'hx --help' for more information\n`);
  return 1;
};
