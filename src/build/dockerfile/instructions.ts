// AST -> typed instructions grouped in stages (buildkit's frontend/dockerfile/instructions:
// parse.go, commands.go, bflag.go, commands_run*.go). Each keyword's flags are declared
// and checked here, its arguments given their meaning; an error names the file, line and
// column and carries buildkit's words ("dockerfile parse error on line 3: unknown
// instruction: FORM"). Values stay as written: variables are substituted later
// (scope.ts), since their values depend on the ARGs and ENVs in force.
import { DispatchProblem, DockerfileError, SyntaxProblem } from './errors.js';
import { expandWord } from './expand.js';
import { FlagSet } from './flags.js';
import { formatGoDuration, GoDurationError, goQuote, goTrimSpace, parseGoDuration } from './go-format.js';
import { parseDockerfile, parseHeredocWord, type Directive, type DockerfileAST, type DockerfileNode, type ParseOptions, type ParseWarning } from './parser.js';
import { parseDevice, parseMount, type RunDevice, type RunMount } from './run-mounts.js';

export interface SourceLocation {
  file: string;
  line: number;
  endLine: number;
  column: number;
}

interface InstructionBase {
  location: SourceLocation;
  /** The instruction as written (continuations joined), trimmed: buildkit's String(). */
  original: string;
}

export interface KeyValue {
  key: string;
  value: string;
  /** Written in the legacy `ENV key value` form, without "=". */
  legacy: boolean;
}

/** A heredoc used as a file: RUN's scripts and COPY/ADD's inline sources. */
export interface InlineFile {
  name: string;
  data: string;
  /** <<- : strip leading tabs from `data` when it is used (RUN keeps it raw, as buildkit). */
  chomp: boolean;
  /** Variables in `data` are substituted (the delimiter was not quoted). */
  expand: boolean;
}

export interface FromInstruction extends InstructionBase {
  kind: 'FROM';
  /** The image or stage named, as written (ARGs from before the first FROM apply). */
  image: string;
  /** `AS name`, lower-cased. */
  stageName?: string;
  platform?: string;
}

export type NetworkMode = 'default' | 'none' | 'host';
export type SecurityMode = 'sandbox' | 'insecure';

export interface RunInstruction extends InstructionBase {
  kind: 'RUN';
  /** Exec form: the argv. Shell form: one string, run by the SHELL. */
  command: string[];
  /** Shell form: prepend the SHELL (["/bin/sh", "-c"] by default). */
  prependShell: boolean;
  files: InlineFile[];
  mounts: RunMount[];
  /** The --mount values as written, for parsing again after expansion. */
  mountSpecs: string[];
  network: NetworkMode;
  security: SecurityMode;
  devices: RunDevice[];
  flagsUsed: string[];
}

export interface CmdInstruction extends InstructionBase {
  kind: 'CMD';
  command: string[];
  prependShell: boolean;
}

export interface EntrypointInstruction extends InstructionBase {
  kind: 'ENTRYPOINT';
  /** null: `ENTRYPOINT []` or no arguments, which clear the entrypoint. */
  command: string[] | null;
  prependShell: boolean;
}

interface CopyLike extends InstructionBase {
  /** Paths (or, for ADD, URLs and git addresses) to copy from. */
  sources: string[];
  /** Heredoc sources: `COPY <<EOF /dest`. */
  inline: InlineFile[];
  destination: string;
  chown?: string;
  chmod?: string;
  link: boolean;
  exclude: string[];
}

export interface CopyInstruction extends CopyLike {
  kind: 'COPY';
  /** --from: a stage name or index, an image, or a named context. */
  from?: string;
  parents: boolean;
}

export interface AddInstruction extends CopyLike {
  kind: 'ADD';
  checksum?: string;
  keepGitDir?: boolean;
  unpack?: boolean;
}

export interface EnvInstruction extends InstructionBase {
  kind: 'ENV';
  pairs: KeyValue[];
}

export interface LabelInstruction extends InstructionBase {
  kind: 'LABEL';
  pairs: KeyValue[];
}

export interface ArgDeclaration {
  key: string;
  /** The default, when written `ARG key=default`. */
  value?: string;
}

export interface ArgInstruction extends InstructionBase {
  kind: 'ARG';
  args: ArgDeclaration[];
}

export interface VolumeInstruction extends InstructionBase {
  kind: 'VOLUME';
  paths: string[];
}

export interface ExposeInstruction extends InstructionBase {
  kind: 'EXPOSE';
  /** As written, sorted as buildkit sorts them; checked after expansion (parseExposedPorts). */
  ports: string[];
}

export interface WorkdirInstruction extends InstructionBase {
  kind: 'WORKDIR';
  path: string;
}

export interface UserInstruction extends InstructionBase {
  kind: 'USER';
  user: string;
}

export interface MaintainerInstruction extends InstructionBase {
  kind: 'MAINTAINER';
  maintainer: string;
}

export interface HealthcheckInstruction extends InstructionBase {
  kind: 'HEALTHCHECK';
  /** ["NONE"], ["CMD", argv...] (exec form) or ["CMD-SHELL", command]. */
  test: string[];
  /** Nanoseconds; 0 = not set (the engine's defaults apply). */
  interval: number;
  timeout: number;
  startPeriod: number;
  startInterval: number;
  /** 0 = not set. */
  retries: number;
}

export interface OnbuildInstruction extends InstructionBase {
  kind: 'ONBUILD';
  /** The trigger as stored in the image config's OnBuild (heredoc bodies appended). */
  expression: string;
  /** The trigger parsed now; docker checks it only when it fires, so an error is kept, not thrown. */
  trigger?: Instruction;
  triggerError?: string;
}

export interface ShellInstruction extends InstructionBase {
  kind: 'SHELL';
  shell: string[];
}

export interface StopsignalInstruction extends InstructionBase {
  kind: 'STOPSIGNAL';
  signal: string;
}

export type Instruction =
  | RunInstruction
  | CmdInstruction
  | EntrypointInstruction
  | CopyInstruction
  | AddInstruction
  | EnvInstruction
  | LabelInstruction
  | ArgInstruction
  | VolumeInstruction
  | ExposeInstruction
  | WorkdirInstruction
  | UserInstruction
  | MaintainerInstruction
  | HealthcheckInstruction
  | OnbuildInstruction
  | ShellInstruction
  | StopsignalInstruction;

export interface Stage {
  index: number;
  /** `FROM ... AS name`, lower-cased. */
  name?: string;
  from: FromInstruction;
  instructions: Instruction[];
}

export interface Dockerfile {
  file: string;
  escapeToken: string;
  directives: Directive[];
  /** ARGs before the first FROM: visible in FROM lines only, unless a stage declares them again. */
  metaArgs: ArgInstruction[];
  stages: Stage[];
  warnings: ParseWarning[];
}

const NO_VARIABLES: ReadonlyMap<string, string> = new Map();
/** buildkit's validStageName, checked on the lower-cased name. */
const STAGE_NAME_RE = /^[a-z][a-z0-9-_.]*$/;
/** container.MinimumDuration: healthcheck intervals are at least 1ms. */
const MINIMUM_DURATION = 1_000_000n;

const errAtLeastOne = (cmd: string) => new SyntaxProblem(`${cmd} requires at least one argument`);
const errExactlyOne = (cmd: string) => new SyntaxProblem(`${cmd} requires exactly one argument`);

/** Linux wording (buildkit's errors_unix.go; the Windows build adds a path hint). */
function errNotJSON(cmd: string): SyntaxProblem {
  return new SyntaxProblem(`${cmd} requires the arguments to be in JSON form`);
}

/** Shell form arguments are one string; exec form is the array (buildkit's handleJSONArgs). */
function commandLine(node: DockerfileNode, args: string[] = node.args): string[] {
  if (args.length === 0) return [];
  return node.json ? [...args] : [args.join(' ')];
}

function locationOf(node: DockerfileNode, file: string): SourceLocation {
  return { file, line: node.startLine, endLine: node.endLine, column: node.column };
}

function base(node: DockerfileNode, file: string): InstructionBase {
  return { location: locationOf(node, file), original: goTrimSpace(node.original) };
}

function keyValues(node: DockerfileNode, cmd: string): KeyValue[] {
  const args = node.args;
  if (args.length === 0) throw errAtLeastOne(cmd);
  if (args.length % 3 !== 0) throw new SyntaxProblem(`Bad input to ${cmd}, too many arguments`);
  const pairs: KeyValue[] = [];
  for (let j = 0; j < args.length; j += 3) {
    if (args[j] === '') throw new SyntaxProblem(`${cmd} names can not be blank`);
    pairs.push({ key: args[j]!, value: args[j + 1]!, legacy: args[j + 2] === '' });
  }
  return pairs;
}

function parseFrom(node: DockerfileNode, file: string): FromInstruction {
  const args = node.args;
  let stageName: string | undefined;
  if (args.length === 3 && args[1]!.toLowerCase() === 'as') {
    stageName = args[2]!.toLowerCase();
    if (!STAGE_NAME_RE.test(stageName)) {
      throw new SyntaxProblem(`invalid name for build stage: ${goQuote(args[2])}, name can't start with a number or contain symbols`);
    }
  } else if (args.length !== 1) {
    throw new SyntaxProblem('FROM requires either one or three arguments');
  }
  const flags = new FlagSet(node.flags).string('platform').parse();
  const from: FromInstruction = { kind: 'FROM', ...base(node, file), image: args[0]! };
  if (stageName !== undefined) from.stageName = stageName;
  const platform = flags.value('platform');
  if (platform !== undefined && platform !== '') from.platform = platform;
  return from;
}

function inlineFiles(node: DockerfileNode): InlineFile[] {
  return node.heredocs.map((h) => ({ name: h.name, data: h.content, chomp: h.chomp, expand: h.expand }));
}

/** Sources and destination of COPY/ADD, heredoc sources looked up by name (parseSourcesAndDest). */
function sourcesAndDest(node: DockerfileNode, cmd: string): { sources: string[]; inline: InlineFile[]; destination: string } {
  const args = node.args;
  const destination = args[args.length - 1]!;
  if (parseHeredocWord(destination) !== undefined) throw new SyntaxProblem(`${cmd} cannot accept a heredoc as a destination`);
  const byName = new Map(node.heredocs.map((h) => [h.name, h]));
  const sources: string[] = [];
  const inline: InlineFile[] = [];
  for (const src of args.slice(0, -1)) {
    const word = node.json ? undefined : parseHeredocWord(src);
    if (word === undefined) {
      sources.push(src);
      continue;
    }
    let data = byName.get(word.name)?.content ?? '';
    // COPY writes the body with leading tabs stripped (buildkit's ChompHeredocContent).
    if (word.chomp) data = data.replace(/^\t+/gm, '');
    inline.push({ name: word.name, data, chomp: word.chomp, expand: word.expand });
  }
  return { sources, inline, destination };
}

function parseCopyLike(node: DockerfileNode, file: string, cmd: 'COPY' | 'ADD'): CopyInstruction | AddInstruction {
  if (node.args.length < 2) {
    throw new SyntaxProblem(`${cmd} requires at least two arguments, but only one was provided. Destination could not be determined`);
  }
  const flags = new FlagSet(node.flags).strings('exclude').string('chown').string('chmod').bool('link');
  if (cmd === 'COPY') flags.string('from').bool('parents');
  else flags.bool('keep-git-dir').string('checksum').bool('unpack');
  flags.parse();
  const common = {
    ...base(node, file),
    ...sourcesAndDest(node, cmd),
    link: flags.isTrue('link'),
    exclude: flags.values('exclude'),
  };
  const optional = <T extends object>(target: T, key: string, value: string | boolean | undefined): T => {
    if (value !== undefined && value !== '') (target as Record<string, unknown>)[key] = value;
    return target;
  };
  if (cmd === 'COPY') {
    const copy: CopyInstruction = { kind: 'COPY', ...common, parents: flags.isTrue('parents') };
    optional(copy, 'from', flags.value('from'));
    optional(copy, 'chown', flags.value('chown'));
    optional(copy, 'chmod', flags.value('chmod'));
    return copy;
  }
  const add: AddInstruction = { kind: 'ADD', ...common };
  optional(add, 'chown', flags.value('chown'));
  optional(add, 'chmod', flags.value('chmod'));
  optional(add, 'checksum', flags.value('checksum'));
  optional(add, 'keepGitDir', flags.optionalBool('keep-git-dir'));
  optional(add, 'unpack', flags.optionalBool('unpack'));
  return add;
}

const NETWORKS: ReadonlySet<string> = new Set(['default', 'none', 'host']);
const SECURITY: ReadonlySet<string> = new Set(['sandbox', 'insecure']);

function parseRun(node: DockerfileNode, file: string, escape: string): RunInstruction {
  const flags = new FlagSet(node.flags).strings('mount').string('network', 'default').string('security', 'sandbox').strings('device').parse();
  const network = flags.valueOr('network');
  if (!NETWORKS.has(network)) throw new SyntaxProblem(`invalid network mode ${goQuote(network)}`);
  const security = flags.valueOr('security');
  if (!SECURITY.has(security)) throw new SyntaxProblem(`security ${goQuote(security)} is not valid`);
  const mountSpecs = flags.values('mount');
  // A value without "$" expands to itself whatever the variables: parse it fully now.
  const mounts = mountSpecs.map((spec) => {
    // What buildkit checks at parse time (the CSV, key=value shape, no variable in from=)...
    const shape = parseMount(spec);
    if (spec.includes('$')) return shape;
    // ...and, a value without "$" expanding to itself, what it checks when RUN runs.
    try {
      return parseMount(spec, (w) => expandWord(w, NO_VARIABLES, { escapeToken: escape }));
    } catch (e) {
      if (e instanceof SyntaxProblem) throw new DispatchProblem(e.message);
      throw e;
    }
  });
  return {
    kind: 'RUN',
    ...base(node, file),
    command: commandLine(node),
    prependShell: !node.json,
    files: inlineFiles(node),
    mounts,
    mountSpecs,
    network: network as NetworkMode,
    security: security as SecurityMode,
    devices: flags.values('device').map(parseDevice),
    flagsUsed: flags.used(),
  };
}

/** A healthcheck duration flag in nanoseconds: 0 when unset, at least 1ms otherwise. */
function healthDuration(flags: FlagSet, name: string): number {
  const text = flags.valueOr(name);
  if (text === '') return 0;
  let d: bigint;
  try {
    d = parseGoDuration(text);
  } catch (e) {
    if (e instanceof GoDurationError) throw new SyntaxProblem(e.message);
    throw e;
  }
  if (d === 0n) return 0;
  if (d < MINIMUM_DURATION) throw new SyntaxProblem(`Interval ${goQuote(name)} cannot be less than ${formatGoDuration(MINIMUM_DURATION)}`);
  return Number(d);
}

function parseHealthcheck(node: DockerfileNode, file: string): HealthcheckInstruction {
  if (node.args.length === 0) throw errAtLeastOne('HEALTHCHECK');
  const type = node.args[0]!.toUpperCase();
  const rest = node.args.slice(1);
  const zero = { interval: 0, timeout: 0, startPeriod: 0, startInterval: 0, retries: 0 };
  if (type === 'NONE') {
    // buildkit declares no flags here and never parses them: they are ignored.
    if (rest.length !== 0) throw new SyntaxProblem('HEALTHCHECK NONE takes no arguments');
    return { kind: 'HEALTHCHECK', ...base(node, file), test: ['NONE'], ...zero };
  }
  const flags = new FlagSet(node.flags).string('interval').string('timeout').string('start-period').string('start-interval').string('retries').parse();
  if (type !== 'CMD') throw new SyntaxProblem(`Unknown type ${goQuote(type)} in HEALTHCHECK (try CMD)`);
  const cmd = commandLine(node, rest);
  if (cmd.length === 0) throw new SyntaxProblem('Missing command after HEALTHCHECK CMD');
  const test = [node.json ? 'CMD' : 'CMD-SHELL', ...cmd];
  const check: HealthcheckInstruction = {
    kind: 'HEALTHCHECK',
    ...base(node, file),
    test,
    interval: healthDuration(flags, 'interval'),
    timeout: healthDuration(flags, 'timeout'),
    startPeriod: healthDuration(flags, 'start-period'),
    startInterval: healthDuration(flags, 'start-interval'),
    retries: 0,
  };
  const retries = flags.valueOr('retries');
  if (retries !== '') {
    // strconv.ParseInt(retries, 10, 32)
    if (!/^[+-]?[0-9]+$/.test(retries)) throw new SyntaxProblem(`strconv.ParseInt: parsing ${goQuote(retries)}: invalid syntax`);
    const n = Number(retries);
    if (n > 2 ** 31 - 1 || n < -(2 ** 31)) throw new SyntaxProblem(`strconv.ParseInt: parsing ${goQuote(retries)}: value out of range`);
    if (n < 0) throw new SyntaxProblem(`--retries cannot be negative (${n})`);
    check.retries = n;
  }
  return check;
}

function parseOnbuild(node: DockerfileNode, file: string, escape: string): OnbuildInstruction {
  if (node.args.length === 0) throw errAtLeastOne('ONBUILD');
  new FlagSet(node.flags).parse();
  const trigger = node.args[0]!.trim().toUpperCase();
  if (trigger === 'ONBUILD') throw new SyntaxProblem('Chaining ONBUILD via `ONBUILD ONBUILD` isn\'t allowed');
  if (trigger === 'MAINTAINER' || trigger === 'FROM') throw new SyntaxProblem(`${trigger} isn't allowed as an ONBUILD trigger`);
  let expression = node.original.replace(/^[\t\n\f\r ]*ONBUILD[\t\n\f\r ]*/i, '');
  for (const h of node.heredocs) expression += `\n${h.content}${h.name}`;
  const onbuild: OnbuildInstruction = { kind: 'ONBUILD', ...base(node, file), expression };
  if (node.sub !== undefined) {
    try {
      const sub: DockerfileNode = { ...node.sub, heredocs: node.heredocs };
      const parsed = parseNode(sub, file, escape);
      if (parsed.kind !== 'FROM') onbuild.trigger = parsed;
    } catch (e) {
      if (!(e instanceof SyntaxProblem)) throw e;
      onbuild.triggerError = e.message;
    }
  }
  return onbuild;
}

function exactlyOne(node: DockerfileNode, cmd: string): string {
  if (node.args.length !== 1) throw errExactlyOne(cmd);
  return node.args[0]!;
}

/** One node -> its typed instruction; throws SyntaxProblem with buildkit's words. */
function parseNode(node: DockerfileNode, file: string, escape: string): Instruction | FromInstruction {
  const b = () => base(node, file);
  const noFlags = () => new FlagSet(node.flags).parse();
  switch (node.keyword) {
    case 'from':
      return parseFrom(node, file);
    case 'run':
      return parseRun(node, file, escape);
    case 'cmd':
      noFlags();
      return { kind: 'CMD', ...b(), command: commandLine(node), prependShell: !node.json };
    case 'entrypoint': {
      noFlags();
      const command = commandLine(node);
      return { kind: 'ENTRYPOINT', ...b(), command: command.length === 0 ? null : command, prependShell: !node.json };
    }
    case 'copy':
      return parseCopyLike(node, file, 'COPY');
    case 'add':
      return parseCopyLike(node, file, 'ADD');
    case 'env':
      noFlags();
      return { kind: 'ENV', ...b(), pairs: keyValues(node, 'ENV') };
    case 'label':
      noFlags();
      return { kind: 'LABEL', ...b(), pairs: keyValues(node, 'LABEL') };
    case 'arg': {
      if (node.args.length === 0) throw errAtLeastOne('ARG');
      noFlags();
      const args = node.args.map((arg): ArgDeclaration => {
        const eq = arg.indexOf('=');
        if (eq === -1) return { key: arg };
        if (eq === 0) throw new SyntaxProblem('ARG names can not be blank');
        return { key: arg.slice(0, eq), value: arg.slice(eq + 1) };
      });
      return { kind: 'ARG', ...b(), args };
    }
    case 'volume': {
      if (node.args.length === 0) throw errAtLeastOne('VOLUME');
      noFlags();
      const paths = node.args.map((v) => v.trim());
      if (paths.includes('')) throw new SyntaxProblem('VOLUME specified can not be an empty string');
      return { kind: 'VOLUME', ...b(), paths };
    }
    case 'expose':
      if (node.args.length === 0) throw errAtLeastOne('EXPOSE');
      noFlags();
      return { kind: 'EXPOSE', ...b(), ports: [...node.args].sort() };
    case 'workdir': {
      const path = exactlyOne(node, 'WORKDIR');
      noFlags();
      return { kind: 'WORKDIR', ...b(), path };
    }
    case 'user': {
      const user = exactlyOne(node, 'USER');
      noFlags();
      return { kind: 'USER', ...b(), user };
    }
    case 'maintainer': {
      const maintainer = exactlyOne(node, 'MAINTAINER');
      noFlags();
      return { kind: 'MAINTAINER', ...b(), maintainer };
    }
    case 'healthcheck':
      return parseHealthcheck(node, file);
    case 'onbuild':
      return parseOnbuild(node, file, escape);
    case 'shell': {
      noFlags();
      const shell = commandLine(node);
      if (shell.length === 0) throw errAtLeastOne('SHELL');
      if (!node.json) throw errNotJSON('SHELL');
      return { kind: 'SHELL', ...b(), shell };
    }
    case 'stopsignal':
      // buildkit parses no flags for STOPSIGNAL: any are ignored.
      return { kind: 'STOPSIGNAL', ...b(), signal: exactlyOne(node, 'STOPSIGNAL') };
    default:
      throw new SyntaxProblem(`unknown instruction: ${node.instruction}`);
  }
}

/** One node -> its typed instruction, errors located and worded as `docker build` words them. */
export function parseInstruction(node: DockerfileNode, file = 'Dockerfile', escapeToken = '\\'): Instruction | FromInstruction {
  try {
    return parseNode(node, file, escapeToken);
  } catch (e) {
    if (!(e instanceof SyntaxProblem)) throw e;
    const reason = e instanceof DispatchProblem ? e.message : `dockerfile parse error on line ${node.startLine}: ${e.message}`;
    throw new DockerfileError(reason, locationOf(node, file));
  }
}

/** Group an AST's instructions into stages; ARGs before the first FROM are the meta ARGs. */
export function parseInstructions(ast: DockerfileAST): Dockerfile {
  const stages: Stage[] = [];
  const metaArgs: ArgInstruction[] = [];
  for (const node of ast.nodes) {
    const inst = parseInstruction(node, ast.file, ast.escapeToken);
    if (inst.kind === 'FROM') {
      const stage: Stage = { index: stages.length, from: inst, instructions: [] };
      if (inst.stageName !== undefined) stage.name = inst.stageName;
      stages.push(stage);
      continue;
    }
    const current = stages[stages.length - 1];
    if (current === undefined) {
      if (inst.kind === 'ARG') {
        metaArgs.push(inst);
        continue;
      }
      throw new DockerfileError('no build stage in current context', locationOf(node, ast.file), 'a Dockerfile starts with FROM (only ARG may come before it)');
    }
    current.instructions.push(inst);
  }
  if (stages.length === 0) {
    const last = ast.nodes[ast.nodes.length - 1]!;
    throw new DockerfileError('dockerfile contains no stages to build', locationOf(last, ast.file), 'add a FROM instruction');
  }
  return { file: ast.file, escapeToken: ast.escapeToken, directives: ast.directives, metaArgs, stages, warnings: ast.warnings };
}

/** Text -> stages: parseDockerfile then parseInstructions. */
export function loadDockerfile(text: string, options: ParseOptions = {}): Dockerfile {
  return parseInstructions(parseDockerfile(text, options));
}
