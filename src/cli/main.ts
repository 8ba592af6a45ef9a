// hx's entry point (build/cli.cjs, started by the launcher). Keep this module's imports
// light: every command pays for them, `hx --help` included. It finds the command in the
// table, parses its flags, joins the rootless namespace when the command's policy says
// so, and loads only that command's implementation.
import { formatError } from './errors.js';
import { parseGlobalOptions, type GlobalOptions } from './global-options.js';
import { checkArity, CliUsageError, parseInvocation } from './parser.js';
import { COMMANDS, GROUPS, resolveCommand } from './table.js';
import { CommandContext } from './context.js';
import { FdOutput } from './output.js';

const stderr = new FdOutput(2);
const stdout = new FdOutput(1);

function fail(error: unknown, globals: GlobalOptions | undefined, exitCode?: number): number {
  if (error instanceof CliUsageError) {
    stderr.write(error.render());
    return error.exitCode;
  }
  const { text, exitCode: own } = formatError(error, Boolean(process.env.HX_DEBUG) || Boolean(globals?.debug));
  stderr.write(text);
  const fixed = error instanceof Error && (error as { exitCodeFixed?: boolean }).exitCodeFixed;
  return fixed || exitCode === undefined ? own : exitCode;
}

async function main(argv: string[]): Promise<number> {
  let globals: GlobalOptions | undefined;
  try {
    const parsed = parseGlobalOptions(argv);
    globals = parsed.options;
    const words = parsed.rest;
    const { topHelp, groupHelp, commandHelp } = await import('./help.js');
    if (globals.version) {
      const { versionLine } = await import('./commands/system/version.js');
      stdout.write(`${await versionLine()}\n`);
      return 0;
    }
    if (words.length === 0 || globals.help) {
      stdout.write(topHelp(COMMANDS, GROUPS, stdout.columns));
      return 0;
    }
    const found = resolveCommand(words);
    if (!found) {
      const group = GROUPS.find((g) => g.name === words[0]);
      if (group && (words.length === 1 || words[1] === '--help' || words[1] === '-h')) {
        stdout.write(groupHelp(group, COMMANDS));
        return 0;
      }
      const shown = group ? `hx ${words.slice(0, 2).join(' ')}` : `hx ${words[0]}`;
      const { suggest } = await import('./suggest.js');
      const near = suggest(group ? words.slice(0, 2) : words.slice(0, 1), COMMANDS);
      stderr.write(`hx: unknown command: ${shown}\n  hint: ${near ? `did you mean hx ${near}? ` : ''}'${group ? `hx ${group.name}` : 'hx'} --help' lists the commands\n`);
      return 1;
    }
    const { spec, path, rest } = found;
    const inv = parseInvocation(spec, rest, path);
    if (inv.flags.help) {
      stdout.write(commandHelp(spec, path, stdout.columns));
      return 0;
    }
    checkArity(spec, inv);
    inv.catalog = { commands: COMMANDS, groups: GROUPS };
    CommandContext.loadEngine = () => import('../engine/index.js');
    const ctx = new CommandContext(globals);
    try {
      if (spec.namespace === 'join') {
        const { enterNamespace } = await import('../engine/namespace.js');
        const status = await enterNamespace(process.argv.slice(2));
        if (status.mode === 'rootless') for (const w of status.warnings) stderr.write(`${w}\n`);
      }
      const run = await spec.load();
      return (await run(ctx, inv)) ?? 0;
    } catch (error) {
      return fail(error, globals, spec.errorExitCode ?? 1);
    }
  } catch (error) {
    return fail(error, globals);
  }
}

main(process.argv.slice(2)).then(
  (code) => {
    process.exitCode = code;
  },
  (error: unknown) => {
    stderr.write(`hx: ${error instanceof Error ? error.message : String(error)}\n`);
    process.exitCode = 125;
  },
);
