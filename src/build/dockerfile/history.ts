// The `created_by` text an image's history records for each instruction, as the two
// builders users compare hx with write it:
//
//  - docker build (buildkit, dockerfile2llb convert.go commitToHistory and the dispatch
//    functions): "RUN /bin/sh -c make # buildkit", "COPY app /app # buildkit",
//    `CMD ["/bin/sh" "-c" "serve"]`, "ENV A=1", "WORKDIR /app", ... from the instruction
//    after variable substitution; "# buildkit" marks the steps that made a layer. FROM
//    and ONBUILD write no entry.
//  - podman build (buildah, imagebuildah/stage_executor.go getCreatedBy): "/bin/sh -c "
//    plus the RUN line as written, "/bin/sh -c #(nop) " plus any other line as written,
//    "/bin/sh -c #(nop) COPY file:<digest> in /dest " for COPY and ADD.
import { formatGoDuration, goCleanPath, goList, goQuotedList, goTrimSpace } from './go-format.js';
import { parseHeredocWord, type DockerfileNode } from './parser.js';
import type { Instruction, RunInstruction } from './instructions.js';
import type { BuildArgs } from './scope.js';

export const DEFAULT_SHELL: readonly string[] = ['/bin/sh', '-c'];

export interface BuildkitHistoryContext {
  /** The SHELL in force (default ["/bin/sh", "-c"]). */
  shell?: readonly string[];
  /** RUN: the stage's ARGs with their values (StageScope.runArgs()). */
  runArgs?: readonly (readonly [string, string])[];
  /** WORKDIR: the working directory before it (default "/"). */
  workdir?: string;
}

/** WORKDIR's new directory: an absolute path, or one relative to the current one. */
export function resolveWorkdir(current: string, path: string): string {
  return goCleanPath(path.startsWith('/') ? path : `/${current}/${path}`);
}

/** The argv buildkit runs for a RUN (dispatchRun): heredocs folded in, then the shell prepended. */
export function buildkitRunArgs(inst: RunInstruction, shell: readonly string[] = DEFAULT_SHELL): string[] {
  let args = [...inst.command];
  if (inst.files.length > 0 && args.length === 1 && inst.prependShell) {
    const first = inst.files[0]!;
    if (parseHeredocWord(args[0]!) !== undefined) {
      const data = first.chomp ? first.data.replace(/^\t+/gm, '') : first.data;
      // A lone heredoc with a shebang is written to a file and run; otherwise its body is the script.
      args = data.startsWith('#!') ? [`/dev/pipes/${first.name}`] : [data];
    } else {
      args = [args[0]! + inst.files.map((f) => `\n${f.data}${f.name}`).join('')];
    }
  }
  return inst.prependShell ? [...shell, args.join(' ')] : args;
}

/** runCommandString: "|N K=V ..." before the argv when the stage has ARGs. */
function runCommandString(args: readonly string[], runArgs: readonly (readonly [string, string])[]): string {
  const env = runArgs.map(([k, v]) => `${k}=${v}`);
  const prefix = env.length > 0 ? [`|${env.length}`, ...env] : [];
  return [...prefix, ...args].join(' ');
}

function withShell(command: readonly string[] | null, prependShell: boolean, shell: readonly string[]): string[] {
  const args = command ?? [];
  return prependShell ? [...shell, args.join(' ')] : [...args];
}

/**
 * buildkit's created_by for an instruction whose variables are already substituted
 * (StageScope.dispatch's result); undefined for the instructions it records nothing for.
 */
export function buildkitCreatedBy(inst: Instruction, ctx: BuildkitHistoryContext = {}): string | undefined {
  const shell = ctx.shell ?? DEFAULT_SHELL;
  switch (inst.kind) {
    case 'RUN':
      return `RUN ${runCommandString(buildkitRunArgs(inst, shell), ctx.runArgs ?? [])} # buildkit`;
    case 'COPY':
    case 'ADD': {
      const parts: string[] = [inst.kind];
      if (inst.kind === 'COPY' && inst.parents) parts.push('--parents');
      if (inst.chown !== undefined) parts.push(`--chown=${inst.chown}`);
      if (inst.chmod !== undefined) parts.push(`--chmod=${inst.chmod}`);
      parts.push(...inst.sources, ...inst.inline.map((f) => `<<${f.name}`), inst.destination);
      return `${parts.join(' ')} # buildkit`;
    }
    case 'ENV':
    case 'LABEL':
      return [inst.kind, ...inst.pairs.map((p) => `${p.key}=${p.value}`)].join(' ');
    case 'ARG':
      return `ARG ${inst.args.map((a) => (a.value === undefined ? a.key : `${a.key}=${a.value}`)).join(' ')}`;
    case 'WORKDIR':
      return `WORKDIR ${resolveWorkdir(ctx.workdir ?? '/', inst.path)}`;
    case 'USER':
      return `USER ${inst.user}`;
    case 'MAINTAINER':
      return `MAINTAINER ${inst.maintainer}`;
    case 'STOPSIGNAL':
      return `STOPSIGNAL ${inst.signal}`;
    case 'CMD':
      return `CMD ${goQuotedList(withShell(inst.command, inst.prependShell, shell))}`;
    case 'ENTRYPOINT':
      return `ENTRYPOINT ${goQuotedList(withShell(inst.command, inst.prependShell, shell))}`;
    case 'VOLUME':
      return `VOLUME ${goList(inst.paths)}`;
    case 'SHELL':
      return `SHELL ${goList(inst.shell)}`;
    case 'EXPOSE':
      return `EXPOSE ${goList(inst.ports)}`;
    case 'HEALTHCHECK': {
      // fmt's %+v of dockerspec.HealthcheckConfig, durations by time.Duration.String.
      const d = (ns: number) => formatGoDuration(BigInt(ns));
      return `HEALTHCHECK {Test:${goList(inst.test)} Interval:${d(inst.interval)} Timeout:${d(inst.timeout)} StartPeriod:${d(inst.startPeriod)} StartInterval:${d(inst.startInterval)} Retries:${inst.retries}}`;
    }
    case 'ONBUILD':
      return undefined;
  }
}

/** The proxy variables buildah (like buildkit) keeps out of history unless the Containerfile declares them. */
const PROXY_ARGS: ReadonlySet<string> = new Set(['HTTP_PROXY', 'http_proxy', 'HTTPS_PROXY', 'https_proxy', 'FTP_PROXY', 'ftp_proxy', 'NO_PROXY', 'no_proxy', 'ALL_PROXY', 'all_proxy']);

export interface BuildahHistoryContext {
  /** The --build-arg values the user gave. */
  buildArgs?: BuildArgs;
  /** The build args the stage allows: its ARG names so far, plus buildah's built-ins (the proxies). */
  allowedArgs?: ReadonlySet<string>;
  /** The words after "ARG" on the ARG lines run so far ("A", "B=1"): buildah matches proxies against them. */
  argWords?: readonly string[];
  /** The image config's Env at this step: a variable set there is recorded with that value. */
  configEnv?: Readonly<Record<string, string>>;
  /** COPY/ADD: buildah's summary of what was added ("file:<hex>", "dir:<hex>", "multi:<hex>"). */
  contentSummary?: string;
  /** COPY/ADD --link. */
  link?: boolean;
  /** RUN: digests of bind-mounted sources, each appended after a ":". */
  mountChecksums?: readonly string[];
  /** The labels/annotations note buildah appends on the last step (usually empty). */
  metadata?: string;
}

/** getBuildArgsResolvedForRun: "K=V" for each allowed build arg, sorted; an ENV value wins. */
function buildahRunArgs(ctx: BuildahHistoryContext): string {
  const allowed = ctx.allowedArgs ?? new Set<string>();
  const env = ctx.configEnv ?? {};
  const out: string[] = [];
  for (const [key, value] of Object.entries(ctx.buildArgs ?? {})) {
    if (!allowed.has(key)) continue;
    if (Object.prototype.hasOwnProperty.call(env, key)) {
      out.push(`${key}=${env[key]}`);
      continue;
    }
    if (PROXY_ARGS.has(key) && !(ctx.argWords ?? []).includes(key)) continue;
    out.push(`${key}=${value}`);
  }
  return out.sort().join(' ');
}

/** buildah's created_by for an AST node (it works from the line as written); undefined for FROM. */
export function buildahCreatedBy(node: DockerfileNode, ctx: BuildahHistoryContext = {}): string | undefined {
  const metadata = ctx.metadata ?? '';
  switch (node.keyword) {
    case 'from':
      return undefined;
    case 'arg': {
      const allowed = ctx.allowedArgs ?? new Set<string>();
      const keys = Object.keys(ctx.buildArgs ?? {}).filter((k) => allowed.has(k)).sort();
      return `/bin/sh -c #(nop) ARG ${keys.join(' ')}${metadata}`;
    }
    case 'run': {
      const args = buildahRunArgs(ctx);
      // buildah counts the words of the joined "K=V" list, so a value with a space counts twice.
      const prefix = args === '' ? '' : `|${args.split(' ').length} ${args} `;
      const heredocs = node.heredocs.map((h) => `\n${goTrimSpace(h.content)}`).join('');
      const sums = (ctx.mountChecksums ?? []).map((c) => `:${c}`).join('');
      return `${prefix}/bin/sh -c ${node.original.slice(4)}${heredocs}${sums}${metadata}`;
    }
    case 'add':
    case 'copy': {
      const destination = node.args[node.args.length - 1] ?? '';
      return `/bin/sh -c #(nop) ${node.keyword.toUpperCase()}${ctx.link === true ? ' --link' : ''} ${ctx.contentSummary ?? ''} in ${destination} ${metadata}`;
    }
    default:
      return `/bin/sh -c #(nop) ${node.original}${metadata}`;
  }
}
