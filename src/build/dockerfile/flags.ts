// An instruction's --flags, checked against what that instruction accepts (buildkit's
// instructions/bflag.go): each instruction declares its flags, then parse() refuses an
// unknown or repeated one, a string flag without "=value", a boolean that is neither
// true nor false. Wording as buildkit's ("unknown flag: --form").
import { SyntaxProblem } from './errors.js';

type FlagType = 'bool' | 'string' | 'strings';

interface FlagState {
  type: FlagType;
  value: string;
  values: string[];
  used: boolean;
}

export class FlagSet {
  private readonly flags = new Map<string, FlagState>();

  constructor(private readonly args: readonly string[]) {}

  private add(name: string, type: FlagType, value: string): void {
    this.flags.set(name, { type, value, values: [], used: false });
  }

  bool(name: string, def = false): this {
    this.add(name, 'bool', def ? 'true' : 'false');
    return this;
  }

  string(name: string, def = ''): this {
    this.add(name, 'string', def);
    return this;
  }

  strings(name: string): this {
    this.add(name, 'strings', '');
    return this;
  }

  parse(): this {
    for (const arg of this.args) {
      // A lone "--" ends the flags (POSIX utility syntax, as buildkit follows it).
      if (arg === '--') return this;
      if (!arg.startsWith('--')) throw new SyntaxProblem(`arg should start with -- : ${arg}`);
      const eq = arg.indexOf('=');
      const flagName = eq === -1 ? arg : arg.slice(0, eq);
      const hasValue = eq !== -1;
      const value = hasValue ? arg.slice(eq + 1) : '';
      const flag = this.flags.get(flagName.slice(2));
      if (flag === undefined) throw new SyntaxProblem(`unknown flag: ${flagName}`);
      if (flag.used && flag.type !== 'strings') throw new SyntaxProblem(`duplicate flag specified: ${flagName}`);
      flag.used = true;
      switch (flag.type) {
        case 'bool': {
          if (hasValue && value === '') throw new SyntaxProblem(`missing a value on flag: ${flagName}`);
          const lower = value.toLowerCase();
          if (lower === '' || lower === 'true') flag.value = 'true';
          else if (lower === 'false') flag.value = 'false';
          else throw new SyntaxProblem(`expecting boolean value for flag ${flagName}, not: ${value}`);
          break;
        }
        case 'string':
          if (!hasValue) throw new SyntaxProblem(`missing a value on flag: ${flagName}`);
          flag.value = value;
          break;
        case 'strings':
          if (!hasValue) throw new SyntaxProblem(`missing a value on flag: ${flagName}`);
          flag.values.push(value);
          break;
      }
    }
    return this;
  }

  private get(name: string): FlagState {
    const flag = this.flags.get(name);
    if (flag === undefined) throw new Error(`flag --${name} was not declared`);
    return flag;
  }

  /** The value of a string flag, undefined when the flag was not given. */
  value(name: string): string | undefined {
    const flag = this.get(name);
    return flag.used ? flag.value : undefined;
  }

  /** The value of a string flag, its default when not given. */
  valueOr(name: string): string {
    return this.get(name).value;
  }

  isTrue(name: string): boolean {
    return this.get(name).value === 'true';
  }

  /** A boolean flag's value, undefined when not given (ADD --unpack, --keep-git-dir). */
  optionalBool(name: string): boolean | undefined {
    const flag = this.get(name);
    return flag.used ? flag.value === 'true' : undefined;
  }

  values(name: string): string[] {
    return [...this.get(name).values];
  }

  used(): string[] {
    return [...this.flags].filter(([, f]) => f.used).map(([name]) => name);
  }
}
