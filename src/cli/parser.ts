// Flags and arguments with docker's (pflag's) rules: --flag=value and --flag value,
// bundled shorthands (-qa, -fvalue), --no-value booleans with an optional =true|false,
// repeatable list flags, `--` ending the options, options between arguments unless the
// command stops at its first argument (run, exec). Errors have docker's words and exit
// codes: 125 for a flag the command does not take, 1 for a wrong number of arguments.
import { HxError } from '../errors.js';
import type { CommandShape, FlagSpec, Invocation, ParsedFlags } from './spec.js';

/** A command line that cannot be run; `usage` is the command's usage line for the message. */
export class CliUsageError extends HxError {
  constructor(
    message: string,
    readonly command: string,
    readonly usageLine: string,
    exitCode: number,
    readonly footer: 'run' | 'see' = 'run',
  ) {
    super(message, { kind: 'invalid-argument', exitCode });
    this.name = 'CliUsageError';
  }

  /** hx's two lines: docker's message, then the usage line and where to read more. */
  render(): string {
    const message = this.message.startsWith('hx: ') ? this.message : `hx: ${this.message}`;
    return `${message}\n  hint: usage: ${this.usageLine} (see '${this.command} --help')\n`;
  }
}

export const HELP_FLAG: FlagSpec = { name: 'help', type: 'bool', description: 'Print usage' };

export function commandName(path: string[]): string {
  return `hx ${path.join(' ')}`;
}

export function usageLine(spec: CommandShape, path = spec.path): string {
  return `${commandName(path)}${spec.usage ? ` ${spec.usage}` : ''}`;
}

function parseBool(text: string): boolean | undefined {
  // strconv.ParseBool
  if (['1', 't', 'T', 'TRUE', 'true', 'True'].includes(text)) return true;
  if (['0', 'f', 'F', 'FALSE', 'false', 'False'].includes(text)) return false;
  return undefined;
}

function flagTitle(f: FlagSpec): string {
  return f.short ? `-${f.short}, --${f.name}` : `--${f.name}`;
}

/** The flags a command takes, --help included (and -h unless the command uses it). */
export function flagsOf(spec: CommandShape): FlagSpec[] {
  const short = spec.flags.some((f) => f.short === 'h');
  return [...spec.flags, short ? HELP_FLAG : { ...HELP_FLAG, short: 'h' }];
}

export function parseInvocation(spec: CommandShape, argv: string[], path = spec.path): Invocation {
  const cmd = commandName(path);
  const usage = usageLine(spec, path);
  const flags = flagsOf(spec);
  const byLong = new Map(flags.map((f) => [f.name, f]));
  const byShort = new Map(flags.filter((f) => f.short).map((f) => [f.short!, f]));
  const out: ParsedFlags = {};
  for (const f of flags) if (f.type === 'list') out[f.name] = [];
  const args: string[] = [];
  const fail = (message: string): never => {
    throw new CliUsageError(message, cmd, usage, 125);
  };
  const set = (f: FlagSpec, value: string | undefined, shown: string): void => {
    if (f.type === 'bool') {
      if (value === undefined) out[f.name] = true;
      else {
        const b = parseBool(value);
        if (b === undefined) fail(`invalid argument "${value}" for "${flagTitle(f)}" flag: strconv.ParseBool: parsing "${value}": invalid syntax`);
        out[f.name] = b;
      }
      return;
    }
    if (value === undefined) fail(`flag needs an argument: ${shown}`);
    if (f.type === 'list') (out[f.name] as string[]).push(value!);
    else if (f.type === 'int') {
      if (!/^[+-]?\d+$/.test(value!)) fail(`invalid argument "${value}" for "${flagTitle(f)}" flag: strconv.ParseInt: parsing "${value}": invalid syntax`);
      out[f.name] = Number(value);
    } else out[f.name] = value;
  };
  let i = 0;
  for (; i < argv.length; i++) {
    const a = argv[i]!;
    if (a === '--') {
      i++;
      break;
    }
    if (a.startsWith('--') && a.length > 2) {
      const eq = a.indexOf('=');
      const name = eq < 0 ? a.slice(2) : a.slice(2, eq);
      const f = byLong.get(name);
      if (!f) fail(`unknown flag: --${name}`);
      if (eq >= 0) set(f!, a.slice(eq + 1), `--${name}`);
      else if (f!.type === 'bool') set(f!, undefined, `--${name}`);
      else set(f!, argv[++i], `--${name}`);
      continue;
    }
    if (a.startsWith('-') && a.length > 1) {
      for (let j = 1; j < a.length; j++) {
        const c = a[j]!;
        const f = byShort.get(c);
        if (!f) fail(`unknown shorthand flag: '${c}' in ${a}`);
        if (f!.type === 'bool') {
          if (a[j + 1] === '=') {
            set(f!, a.slice(j + 2), `'${c}' in ${a}`);
            break;
          }
          set(f!, undefined, `'${c}' in ${a}`);
          continue;
        }
        const rest = a.slice(j + 1);
        set(f!, rest.length ? rest.replace(/^=/, '') : argv[++i], `'${c}' in ${a}`);
        break;
      }
      continue;
    }
    args.push(a);
    if (spec.stopAtFirstArg) {
      i++;
      break;
    }
  }
  args.push(...argv.slice(i));
  return { flags: out, args, path };
}

/** docker's arity messages (cli/required.go). */
export function checkArity(spec: CommandShape, inv: Invocation): void {
  const { min, max } = spec.args;
  const n = inv.args.length;
  const cmd = commandName(inv.path);
  const plural = (k: number): string => (k === 1 ? 'argument' : 'arguments');
  let message: string | undefined;
  if (max === 0 && n > 0) message = `'${cmd}' accepts no arguments`;
  else if (min === max && n !== min) message = `'${cmd}' requires ${min} ${plural(min)}`;
  else if (n < min && max === undefined) message = `'${cmd}' requires at least ${min} ${plural(min)}`;
  else if (max !== undefined && n > max && min === 0) message = `'${cmd}' requires at most ${max} ${plural(max)}`;
  else if (max !== undefined && (n < min || n > max)) message = `'${cmd}' requires at least ${min} and at most ${max} ${plural(max)}`;
  if (message) throw new CliUsageError(message, cmd, usageLine(spec, inv.path), 1, 'see');
}
