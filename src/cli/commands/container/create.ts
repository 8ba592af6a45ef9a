// `hx create`: docker's run flags, the record only; prints the full ID.
import type { CommandRun } from '../../spec.js';
import { createFromFlags } from '../../run/command.js';
import { runFlagsOf } from '../../run/flags.js';

export const run: CommandRun = async (ctx, inv) => createFromFlags(ctx, runFlagsOf(inv));
