// Entry of build/run.cjs, the bundle the launcher starts for `hx run`: the run path
// alone (the command table, help and the other commands are not in it). V8 compiles a
// bundle before running it, and the whole CLI's costs ~3x as long as this one.
import { formatError } from '../errors.js';
import { parseGlobalOptions } from '../global-options.js';
import { CommandContext } from '../context.js';
import { FdOutput } from '../output.js';
import { CliUsageError, checkArity, parseInvocation } from '../parser.js';
import { runWithFlags } from './command.js';
import { runFlagsOf, runUsage } from './flags.js';
import { RUN_SPEC } from './spec.js';

const stderr = new FdOutput(2);

async function main(): Promise<number> {
  let debug = Boolean(process.env.HX_DEBUG);
  try {
    // argv: node, run.cjs, [global options], "run", ...flags
    const { options: globals, rest } = parseGlobalOptions(process.argv.slice(2));
    debug ||= globals.debug;
    const inv = parseInvocation(RUN_SPEC, rest.slice(1), ['run']);
    if (inv.flags.help) {
      new FdOutput(1).write(runUsage(new FdOutput(1).columns));
      return 0;
    }
    checkArity(RUN_SPEC, inv);
    const flags = runFlagsOf(inv);
    const ctx = new CommandContext(globals);
    const { markPhase } = await import('../../engine/phases.js');
    const { enterNamespace } = await import('../../engine/namespace.js');
    const status = await enterNamespace(process.argv.slice(2));
    markPhase('namespace');
    if (status.mode === 'rootless') for (const w of status.warnings) stderr.write(`${w}\n`);
    return await runWithFlags(ctx, flags, await ctx.engineContext());
  } catch (error) {
    if (error instanceof CliUsageError) {
      stderr.write(error.render());
      return error.exitCode;
    }
    const { text, exitCode } = formatError(error, debug);
    stderr.write(text);
    return exitCode;
  }
}

main().then(
  (code) => {
    process.exitCode = code;
  },
  (error: unknown) => {
    stderr.write(`hx: ${error instanceof Error ? error.message : String(error)}\n`);
    process.exitCode = 125;
  },
);
