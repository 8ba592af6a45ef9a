// Go's text/template as docker's CLI uses it (docker/cli templates.Parse: an anonymous
// template "" with docker's functions json, split, join, title, lower, upper, pad, truncate).
//
//   const t = parseTemplate('{{.Repository}}:{{.Tag}}');       // throws TemplateError
//   t.execute({ Repository: 'alpine', Tag: '3.20' });           // 'alpine:3.20'
//
// The language: actions, fields and map keys, variables, pipelines, parentheses, literals,
// comments, {{- -}} trimming, if/else if/else, range (slices, maps in key order, ints,
// else), with/else with, break, continue, define/template/block; Go's built-in functions.
// Data: see values.ts (plain objects are structs, Maps are maps, MISSING is "no value").
// Not here: complex numbers, channels and iterator functions for range, %#v Go syntax.
import { HxError } from '../../errors.js';
import { execute, ExecError, type MissingKey } from './template/exec.js';
import { BUILTINS, DOCKER_FUNCS, HEADER_FUNCS, toGoFunc, type FuncMap, type GoFunc } from './template/funcs.js';
import { parseTemplates, ParseError, type Tree } from './template/parse.js';

export { GO_TYPE, MISSING, GoFloat, goFloat, goMap, goStruct, mapsFromJson } from './values.js';
export { FuncError, type FuncMap, type GoFunc, type Param } from './template/funcs.js';
export type { MissingKey } from './template/exec.js';

/** Where docker points users for --format syntax. */
const FORMAT_DOCS = 'see https://docs.docker.com/go/formatting/ for the template syntax';

/**
 * A template that failed to parse or to execute. `message` is what docker's CLI prints
 * ("template parsing error: " and Go's text, for both phases); `goMessage` is Go's text
 * alone. exitCode: 64 for a parse error, as `docker inspect -f '{{'` exits; 1 for an
 * execution error (and for a parse error in a list command: see withExitCode).
 */
export class TemplateError extends HxError {
  constructor(
    readonly phase: 'parse' | 'exec',
    readonly goMessage: string,
    exitCode: number = phase === 'parse' ? 64 : 1,
    /** For an exec error: what the template wrote before it. */
    readonly partialOutput = '',
  ) {
    super(`template parsing error: ${goMessage}`, { kind: 'invalid-argument', hint: FORMAT_DOCS, exitCode });
    this.name = 'TemplateError';
  }

  /** The same error with another exit code (docker's list commands exit 1 on a parse error). */
  withExitCode(exitCode: number): TemplateError {
    return new TemplateError(this.phase, this.goMessage, exitCode, this.partialOutput);
  }
}

export interface TemplateOptions {
  /** The template's name; "" as docker's templates.Parse, which is what error messages show. */
  name?: string;
  /** Functions beyond the built-ins (and docker's, unless docker is false). */
  funcs?: FuncMap;
  /** Include docker's functions (default true); false gives plain Go text/template. */
  docker?: boolean;
}

export interface ExecuteOptions {
  /** Go's missingkey option: default/invalid (<no value>), zero, error. */
  missingKey?: MissingKey;
  /** Functions replacing same-named ones for this execution (Go's Funcs after Parse). */
  funcs?: FuncMap;
}

export class Template {
  private constructor(
    readonly name: string,
    readonly text: string,
    private readonly trees: ReadonlyMap<string, Tree>,
    private readonly funcs: ReadonlyMap<string, GoFunc>,
  ) {}

  static parse(text: string, options: TemplateOptions = {}): Template {
    const funcs = new Map<string, GoFunc>(Object.entries(BUILTINS));
    if (options.docker ?? true) for (const [k, f] of Object.entries(DOCKER_FUNCS)) funcs.set(k, f);
    for (const [k, f] of Object.entries(options.funcs ?? {})) funcs.set(k, toGoFunc(f));
    const name = options.name ?? '';
    try {
      return new Template(name, text, parseTemplates(name, text, (n) => funcs.has(n)), funcs);
    } catch (e) {
      if (e instanceof ParseError) throw new TemplateError('parse', e.message);
      throw e;
    }
  }

  /** The names of the templates this text defines, its own first. */
  definedTemplates(): string[] {
    return [...this.trees.keys()];
  }

  /** Run the template (or the defined template NAME) on DATA; throws TemplateError. */
  execute(data: unknown, options: ExecuteOptions & { template?: string } = {}): string {
    let funcs = this.funcs;
    if (options.funcs) {
      const m = new Map(this.funcs);
      for (const [k, f] of Object.entries(options.funcs)) m.set(k, toGoFunc(f));
      funcs = m;
    }
    try {
      return execute({ trees: this.trees, parseName: this.name, funcs, missingKey: options.missingKey ?? 'default' }, options.template ?? this.name, data);
    } catch (e) {
      if (e instanceof ExecError) throw new TemplateError('exec', e.message, 1, e.partialOutput);
      throw e;
    }
  }
}

/** Parse TEXT as docker's CLI does; throws TemplateError. */
export function parseTemplate(text: string, options: TemplateOptions = {}): Template {
  return Template.parse(text, options);
}

/** Parse and run in one go. */
export function renderTemplate(text: string, data: unknown, options: TemplateOptions & ExecuteOptions = {}): string {
  return Template.parse(text, options).execute(data, options);
}

/** docker's table header functions, for rendering a header row from a template. */
export const HEADER_FUNCTIONS: FuncMap = HEADER_FUNCS;
