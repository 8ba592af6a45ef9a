// What a command is, as data: its name and aliases, its docker-style usage line, its
// flags and arguments, and whether it runs inside the rootless namespace. The parser,
// `--help`, `hx help`, shell completion and the launcher's list of host-view commands
// (generated at build time by scripts/build.mjs) all read the same table (table.ts).
import type { CommandContext } from './context.js';

export type FlagType = 'bool' | 'string' | 'list' | 'int';

export interface FlagSpec {
  /** Long name without dashes: "filter". */
  name: string;
  /** One-letter shorthand: "f". */
  short?: string;
  type: FlagType;
  /** The value's name in help ("string", "list", "filter", "bytes"...): docker's words. */
  typeName?: string;
  description: string;
  /** Shown as (default ...) in help. */
  defaultText?: string;
  /** What completes its value: image names, container names, files. */
  complete?: Completion;
  hidden?: boolean;
}

export type Completion = 'images' | 'containers' | 'volumes' | 'files' | 'dirs' | 'none' | { values: string[] };

/** Where a command must run: in the rootless namespace (images, containers) or as the
 * user sees the host (info, login: file owners and sysctls as they are outside). */
export type NamespacePolicy = 'join' | 'host';

export interface ArgsSpec {
  min: number;
  /** undefined: no limit. */
  max?: number;
  /** What completes each positional (the last repeats). */
  complete?: Completion[];
}

export type ParsedFlags = Record<string, boolean | string | string[] | number | undefined>;

export interface Invocation {
  flags: ParsedFlags;
  args: string[];
  /** The words that named the command ("image ls"). */
  path: string[];
  /** The command table, for the commands about commands (help, completion). */
  catalog?: { commands: CommandSpec[]; groups: GroupSpec[] };
}

export type CommandRun = (ctx: CommandContext, inv: Invocation) => Promise<number | void>;

export interface CommandSpec {
  /** Its canonical name: ["image", "ls"]; the first word of a path may be a group. */
  path: string[];
  /** Other names docker gives it: [["images"], ["image", "list"]]. */
  aliases?: string[][];
  /** One line for listings. */
  summary: string;
  /** After the command name in "Usage:": "[OPTIONS] [REPOSITORY[:TAG]]". */
  usage: string;
  args: ArgsSpec;
  flags: FlagSpec[];
  namespace: NamespacePolicy;
  /** Options stop at the first argument (run, exec, unshare: what follows is the container's). */
  stopAtFirstArg?: boolean;
  /** docker's exit code for a failed command: 1, but 125 for run/create (the container's own code otherwise). */
  errorExitCode?: number;
  /** Where it is listed in `hx --help`. */
  section?: 'common' | 'commands';
  hidden?: boolean;
  /** The implementation, loaded on use only. */
  load(): Promise<CommandRun>;
}

/** A command without its implementation: what parsing and help need. */
export type CommandShape = Omit<CommandSpec, 'load'>;

/** A management group (`hx image`, `hx container`): its subcommands are specs with this first word. */
export interface GroupSpec {
  name: string;
  summary: string;
}
