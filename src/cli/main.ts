// hx's entry point (run by the launcher). Keep this module's imports light: every
// command pays for them, including `hx --help`. Commands import the engine lazily.
import type { Cli as CliType } from 'clipanion';
import { takeGlobalOptions } from './global-options.js';

const argv = process.argv.slice(2);

takeGlobalOptions(argv);

// `hx run` skips clipanion: loading it (and its defaultContext, which creates
// process.stdin) costs ~20 ms of the container's start-up; run-main.ts parses docker's
// flags itself and commands/run.ts keeps `run` in `hx --help`.
async function runFastPath(): Promise<number> {
  const { runMain } = await import('./run-main.js');
  return runMain(argv.slice(1));
}

async function makeCli(): Promise<{ cli: CliType; context: Parameters<CliType['process']>[1] }> {
  const { Builtins, Cli } = await import('clipanion');
  const { commands } = await import('./commands/index.js');
  const cli = new Cli({ binaryLabel: 'hx', binaryName: 'hx', binaryVersion: '0.1.0', enableCapture: false });
  cli.register(Builtins.HelpCommand);
  for (const command of commands) cli.register(command);
  // Spreading Cli.defaultContext would touch process.stdin, which costs ~4 ms to create;
  // most commands never read it, so resolve it on first use.
  const context = {
    env: process.env,
    stdout: process.stdout,
    stderr: process.stderr,
    // clipanion asks the tty prototype, not our stdout: no colours into pipes and files.
    colorDepth: process.stdout.isTTY ? Cli.defaultContext.colorDepth : 1,
    get stdin(): NodeJS.ReadStream {
      return process.stdin;
    },
  };
  return { cli, context };
}


async function main(): Promise<number> {
  if (argv[0] === 'run') return runFastPath();
  const { cli, context } = await makeCli();
  let command;
  try {
    command = cli.process(argv, context);
  } catch (error) {
    // Unknown command or flag: clipanion's message (with its suggestion), docker's 125.
    process.stderr.write(cli.error(error));
    return 125;
  }
  return cli.run(command, context);
}

main().then(
  (code) => {
    process.exitCode = code;
  },
  (error: unknown) => {
    process.stderr.write(`hx: ${error instanceof Error ? error.message : String(error)}\n`);
    process.exitCode = 125;
  },
);
