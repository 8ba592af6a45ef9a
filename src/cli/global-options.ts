// Options before the command, as podman and docker take them: `hx --storage-driver vfs
// run ...`, `hx --root /tmp/store images`. Parsed into one value the engine is created
// from (no environment variables carry them). The launcher skips the same options to
// find the command word: scripts/build.mjs generates its list from GLOBAL_FLAGS.
import { CliUsageError } from './parser.js';
import type { GlobalOptions } from './globals.js';
import type { FlagSpec } from './spec.js';

export type { GlobalOptions };

export const GLOBAL_FLAGS: FlagSpec[] = [
  { name: 'storage-driver', type: 'string', typeName: 'string', description: 'Storage driver: overlay, fuse-overlayfs or vfs (default: what a trial mount shows works)' },
  { name: 'root', type: 'string', typeName: 'string', description: 'Storage root (default ~/.local/share/hx; root: /var/lib/hx)' },
  { name: 'runroot', type: 'string', typeName: 'string', description: 'Runtime directory (default $XDG_RUNTIME_DIR/hx; root: /run/hx)' },
  { name: 'debug', short: 'D', type: 'bool', description: 'Print error details (stack and causes), like HX_DEBUG=1' },
  { name: 'log-level', short: 'l', type: 'string', typeName: 'string', description: 'Set the logging level ("debug", "info", "warn", "error", "fatal")', defaultText: '"info"' },
  { name: 'version', short: 'v', type: 'bool', description: 'Print version information and quit' },
  { name: 'help', short: 'h', type: 'bool', description: 'Print usage' },
];

const DRIVERS = ['overlay', 'fuse-overlayfs', 'vfs'];
const LEVELS = ['debug', 'info', 'warn', 'error', 'fatal'];


/** Take the leading global options off ARGV; returns them and the rest (command first). */
export function parseGlobalOptions(argv: string[]): { options: GlobalOptions; rest: string[] } {
  const o: GlobalOptions = { debug: false, logLevel: 'info', version: false, help: false };
  const fail = (message: string): never => {
    throw new CliUsageError(message, 'hx', 'hx [OPTIONS] COMMAND', 125);
  };
  let i = 0;
  for (; i < argv.length; i++) {
    const a = argv[i]!;
    if (!a.startsWith('-') || a === '-') break;
    if (a === '--') {
      i++;
      break;
    }
    const eq = a.indexOf('=');
    const long = a.startsWith('--') ? (eq < 0 ? a.slice(2) : a.slice(2, eq)) : undefined;
    const f = long !== undefined ? GLOBAL_FLAGS.find((g) => g.name === long) : GLOBAL_FLAGS.find((g) => g.short === a.slice(1, 2));
    if (!f || (long === undefined && a.length > 2 && f.type === 'bool')) fail(long !== undefined ? `unknown flag: --${long}` : `unknown shorthand flag: '${a.slice(1, 2)}' in ${a}`);
    let value: string | undefined;
    if (f!.type !== 'bool') {
      value = long !== undefined ? (eq >= 0 ? a.slice(eq + 1) : argv[++i]) : a.length > 2 ? a.slice(2) : argv[++i];
      if (value === undefined) fail(`flag needs an argument: ${long !== undefined ? `--${long}` : `'${f!.short}' in ${a}`}`);
    }
    switch (f!.name) {
      case 'storage-driver':
        if (!DRIVERS.includes(value!)) fail(`--storage-driver needs one of: ${DRIVERS.join(', ')} (got ${value})`);
        o.storageDriver = value as GlobalOptions['storageDriver'];
        break;
      case 'root':
        o.root = value!;
        break;
      case 'runroot':
        o.runroot = value!;
        break;
      case 'log-level':
        if (!LEVELS.includes(value!)) fail(`Unable to parse logging level: ${value}`);
        o.logLevel = value!;
        break;
      case 'debug':
        o.debug = true;
        break;
      case 'version':
        o.version = true;
        break;
      case 'help':
        o.help = true;
        break;
    }
  }
  return { options: o, rest: argv.slice(i) };
}
