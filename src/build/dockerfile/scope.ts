// Which words docker substitutes variables in, and which variables they see: the ARG and
// ENV scoping of buildkit's dockerfile2llb (convert.go buildMetaArgs, dispatchArg,
// dispatchEnv, and each instruction's Expand). The rules, from the Dockerfile reference:
//
//  - ARGs before the first FROM are visible in FROM lines (image and --platform) only;
//    a stage sees one only after `ARG NAME` (no default) declares it again.
//  - An ARG is visible from its line on; its value is the --build-arg given by the user,
//    else its default (expanded where it stands), else the global one of the same name.
//  - ENV and ARG share one set of variables, the later one setting a name wins; so an ENV
//    overrides an ARG declared before it. ENV values also go to the image config.
//  - One instruction sees the variables as they were before it: `ENV a=x b=$a` uses the
//    old a.
//  - A stage built FROM another stage of the file inherits its variables and ARGs.
//  - RUN, CMD, ENTRYPOINT, SHELL, HEALTHCHECK, MAINTAINER and ONBUILD are not expanded
//    (the shell expands RUN's); RUN's --mount values are. An ONBUILD trigger is expanded
//    when it fires, in the downstream build.
import { DockerfileError, SyntaxProblem } from './errors.js';
import { ExpandError, expandWord, expandWords, processWord, type Env } from './expand.js';
import { checkChmod, checkStopSignal, isGitSource, isHTTPSource, parseExposedPorts } from './checks.js';
import {
  type AddInstruction,
  type ArgInstruction,
  type CopyInstruction,
  type FromInstruction,
  type Instruction,
  type SourceLocation,
} from './instructions.js';
import { parseMount } from './run-mounts.js';

/** The instructions whose arguments docker substitutes variables in (the reference's list, plus ARG defaults). */
export const SUBSTITUTING_INSTRUCTIONS: ReadonlySet<string> = new Set([
  'ADD', 'ARG', 'COPY', 'ENV', 'EXPOSE', 'FROM', 'LABEL', 'STOPSIGNAL', 'USER', 'VOLUME', 'WORKDIR',
]);

/** --build-arg values given by the user. */
export type BuildArgs = Readonly<Record<string, string>>;

/** docker's default PATH on Linux (system.DefaultPathEnv), set when the image has none. */
export const DEFAULT_PATH = '/usr/local/sbin:/usr/local/bin:/usr/sbin:/usr/bin:/sbin:/bin';

function located(e: unknown, at: SourceLocation): unknown {
  if (e instanceof ExpandError || e instanceof SyntaxProblem) return new DockerfileError(e.message, at);
  return e;
}

function has(args: BuildArgs, key: string): boolean {
  return Object.prototype.hasOwnProperty.call(args, key);
}

/**
 * The variables FROM lines see (buildkit's buildMetaArgs): `predefined` (the automatic
 * platform ARGs: TARGETPLATFORM, BUILDPLATFORM, ...) and each ARG before the first FROM
 * with the user's value, else its default expanded with the ARGs before it.
 */
export function resolveMetaArgs(metaArgs: readonly ArgInstruction[], buildArgs: BuildArgs = {}, predefined: BuildArgs = {}): Map<string, string> {
  const vars = new Map(Object.entries(predefined));
  for (const inst of metaArgs) {
    for (const arg of inst.args) {
      let value: string | undefined;
      if (has(buildArgs, arg.key)) value = buildArgs[arg.key];
      else if (arg.value !== undefined) {
        try {
          value = expandWord(arg.value, vars);
        } catch (e) {
          throw located(e, inst.location);
        }
      }
      if (value !== undefined) vars.set(arg.key, value);
    }
  }
  return vars;
}

/** A FROM line with its variables substituted: the image (or stage) name and platform. */
export function expandFrom(from: FromInstruction, globals: Env, escapeToken = '\\'): { image: string; platform?: string } {
  try {
    const image = expandWord(from.image, globals, { escapeToken });
    if (image === '') throw new DockerfileError(`base name (${from.image}) should not be blank`, from.location);
    if (from.platform === undefined) return { image };
    const platform = expandWord(from.platform, globals, { escapeToken });
    if (platform === '') throw new DockerfileError(`empty platform value from expression ${from.platform}`, from.location);
    return { image, platform };
  } catch (e) {
    throw located(e, from.location);
  }
}

/** An ARG as it stands in a stage: declared, with the value it got (none when no value anywhere). */
export interface ScopedArg {
  key: string;
  value?: string;
}

export interface StageScopeOptions {
  /** The meta ARGs (resolveMetaArgs): a stage's `ARG NAME` without default takes these. */
  globals?: Env;
  buildArgs?: BuildArgs;
  /** The base image's config Env ("KEY=value"). */
  imageEnv?: readonly string[];
  escapeToken?: string;
}

/** The variables of one stage as its instructions run, in order. */
export class StageScope {
  /** What words see: the image env, ARGs and ENVs, in order (buildkit's state env). */
  private readonly vars: Map<string, string>;
  /** The image config's Env: the base image's plus this build's ENVs. */
  private readonly config: Map<string, string>;
  private readonly declared: ScopedArg[];
  private readonly globals: Env;
  private readonly buildArgs: BuildArgs;
  private readonly escapeToken: string;

  constructor(options: StageScopeOptions = {}, inherit?: StageScope) {
    this.globals = options.globals ?? inherit?.globals ?? new Map();
    this.buildArgs = options.buildArgs ?? inherit?.buildArgs ?? {};
    this.escapeToken = options.escapeToken ?? inherit?.escapeToken ?? '\\';
    if (inherit !== undefined) {
      this.vars = new Map(inherit.vars);
      this.config = new Map(inherit.config);
      this.declared = inherit.declared.map((a) => ({ ...a }));
      return;
    }
    this.config = new Map();
    for (const entry of options.imageEnv ?? []) {
      const eq = entry.indexOf('=');
      this.config.set(eq === -1 ? entry : entry.slice(0, eq), eq === -1 ? '' : entry.slice(eq + 1));
    }
    // buildkit makes sure PATH is always set before the first instruction.
    if (!this.config.has('PATH')) this.config.set('PATH', DEFAULT_PATH);
    this.vars = new Map(this.config);
    this.declared = [];
  }

  /** A stage `FROM <earlier stage>`: same variables and ARGs to start with. */
  static inheriting(base: StageScope): StageScope {
    return new StageScope({}, base);
  }

  get env(): Env {
    return this.vars;
  }

  /** The image config Env as "KEY=value", in the order the keys were first set. */
  configEnv(): string[] {
    return [...this.config].map(([k, v]) => `${k}=${v}`);
  }

  /** The stage's ARGs in declaration order, each once (first place kept, last value). */
  args(): ScopedArg[] {
    return this.declared.map((a) => ({ ...a }));
  }

  /**
   * The ARGs a RUN gets, as buildkit writes them into history ("|2 A=1 B=2"): each
   * declared ARG once, valued from the current variables (an ENV of the same name wins).
   */
  runArgs(): [string, string][] {
    const out: [string, string][] = [];
    const at = new Map<string, number>();
    for (const arg of this.declared) {
      const value = this.vars.get(arg.key) ?? arg.value ?? '';
      const i = at.get(arg.key);
      if (i === undefined) {
        at.set(arg.key, out.length);
        out.push([arg.key, value]);
      } else {
        out[i] = [arg.key, value];
      }
    }
    return out;
  }

  /** Substitute variables in `inst` as docker does, then apply its ARG/ENV effects. */
  dispatch<T extends Instruction>(inst: T): T {
    if (inst.kind === 'ARG') return this.declareArgs(inst) as T;
    const expanded = expandInstruction(inst, this.vars, this.escapeToken);
    if (expanded.kind === 'ENV') {
      for (const { key, value } of expanded.pairs) {
        this.vars.set(key, value);
        this.config.set(key, value);
      }
    }
    return expanded;
  }

  private declareArgs(inst: ArgInstruction): ArgInstruction {
    const resolved: ScopedArg[] = [];
    for (const arg of inst.args) {
      let value: string | undefined;
      if (has(this.buildArgs, arg.key)) value = this.buildArgs[arg.key];
      else if (arg.value !== undefined) {
        try {
          value = expandWord(arg.value, this.vars, { escapeToken: this.escapeToken });
        } catch (e) {
          throw located(e, inst.location);
        }
      } else value = this.globals.get(arg.key);
      if (value !== undefined) this.vars.set(arg.key, value);
      const scoped: ScopedArg = value === undefined ? { key: arg.key } : { key: arg.key, value };
      this.declared.push(scoped);
      resolved.push(scoped);
    }
    return { ...inst, args: resolved };
  }
}

function expandCopyLike<T extends CopyInstruction | AddInstruction>(inst: T, word: (w: string) => string): T {
  const out: T = {
    ...inst,
    sources: inst.sources.map(word),
    destination: word(inst.destination),
    exclude: inst.exclude.map(word),
  };
  if (inst.chown !== undefined) out.chown = word(inst.chown);
  if (inst.chmod !== undefined) {
    out.chmod = word(inst.chmod);
    checkChmod(out.chmod);
  }
  if (out.kind === 'ADD' && out.checksum !== undefined) {
    out.checksum = word(out.checksum);
    if (out.sources.length !== 1) throw new SyntaxProblem("checksum can't be specified for multiple sources");
    if (!isHTTPSource(out.sources[0] ?? '') && !isGitSource(out.sources[0] ?? '')) throw new SyntaxProblem('checksum requires HTTP(S) or Git sources');
  }
  if (out.kind === 'COPY') {
    for (const src of out.sources) {
      if (isGitSource(src)) throw new SyntaxProblem("source can't be a git ref for COPY");
      if (isHTTPSource(src)) throw new SyntaxProblem("source can't be a URL for COPY");
    }
  }
  return out;
}

/**
 * `inst` with variables substituted in the words docker substitutes (see the header),
 * and the checks docker makes on the result: EXPOSE ports, STOPSIGNAL names, --chmod
 * values, --mount options. Throws DockerfileError at the instruction.
 */
export function expandInstruction<T extends Instruction>(inst: T, env: Env, escapeToken = '\\'): T {
  const word = (w: string) => expandWord(w, env, { escapeToken });
  try {
    return expandKnown(inst, env, escapeToken, word);
  } catch (e) {
    throw located(e, inst.location);
  }
}

function expandKnown<T extends Instruction>(inst: T, env: Env, escapeToken: string, word: (w: string) => string): T {
  const i: Instruction = inst;
  switch (i.kind) {
    case 'ENV':
    case 'LABEL':
      return { ...i, pairs: i.pairs.map((p) => ({ ...p, key: word(p.key), value: word(p.value) })) } as T;
    case 'COPY':
    case 'ADD': {
      const out = expandCopyLike(i, word);
      // Heredoc bodies expand unless the delimiter was quoted; quotes in them are text.
      out.inline = i.inline.map((f) =>
        f.expand ? { ...f, data: processWord(f.data, env, { escapeToken: '\\', skipProcessQuotes: true }).result } : f,
      );
      return out as T;
    }
    case 'WORKDIR':
      return { ...i, path: word(i.path) } as T;
    case 'USER':
      return { ...i, user: word(i.user) } as T;
    case 'VOLUME': {
      const paths = i.paths.map(word);
      if (paths.includes('')) throw new SyntaxProblem('VOLUME specified can not be an empty string');
      return { ...i, paths } as T;
    }
    case 'STOPSIGNAL': {
      const signal = word(i.signal);
      checkStopSignal(signal);
      return { ...i, signal } as T;
    }
    case 'EXPOSE': {
      // EXPOSE splits the expanded value into words: EXPOSE $PORTS can give several.
      const words = i.ports.flatMap((p) => expandWords(p, env, { escapeToken }));
      return { ...i, ports: parseExposedPorts(words) } as T;
    }
    case 'RUN':
      return { ...i, mounts: i.mountSpecs.map((spec) => parseMount(spec, word)) } as T;
    case 'ARG':
      return {
        ...i,
        args: i.args.map((a) => (a.value === undefined ? a : { ...a, value: word(a.value) })),
      } as T;
    default:
      return inst;
  }
}

/**
 * COPY --from must name a stage, index or image literally: buildkit refuses a value its
 * lexer would change even with no variables set.
 */
export function checkCopyFrom(inst: CopyInstruction, escapeToken = '\\'): void {
  if (inst.from === undefined) return;
  let same: boolean;
  try {
    same = expandWord(inst.from, new Map(), { escapeToken }) === inst.from;
  } catch {
    same = false;
  }
  if (!same) {
    throw new DockerfileError(
      'variable expansion is not supported for --from, define a new stage with FROM using ARG from global scope as a workaround',
      inst.location,
    );
  }
}
