// The executor of Go's text/template (exec.go) over the value model of values.ts. It
// follows Go's evaluation step by step, including where it records the current node, so
// exec errors read as Go's: `template: :1:2: executing "" at <.Foo>: can't evaluate field
// Foo in type T`.
import { sprint } from '../gofmt.js';
import { goQuote } from '../strconv.js';
import { GoFloat, MISSING, isTrue, kindOf, lookupMember, mapZero, sortedKeys, typeName, utf8Length } from '../values.js';
import { BUILTINS, paramTypeName, type GoFunc, type Param } from './funcs.js';
import { nodeString, type AnyNode, type ArgNode, type BranchNode, type ChainNode, type CommandNode, type FieldNode, type IdentifierNode, type Node, type NumberNode, type PipeNode, type TemplateNode, type Tree, type VariableNode } from './parse.js';

/** What a missing map key gives: Go's missingkey option. */
export type MissingKey = 'default' | 'invalid' | 'zero' | 'error';

/** An execution error, with Go's text. */
export class ExecError extends Error {
  override name = 'ExecError';
  /** What the template wrote before the error (Go leaves it in the writer). */
  partialOutput = '';
}

export interface ExecContext {
  trees: ReadonlyMap<string, Tree>;
  /** The name of the template the text was parsed as (ParseName, "" for docker). */
  parseName: string;
  funcs: ReadonlyMap<string, GoFunc>;
  missingKey: MissingKey;
}

/** No value from a previous pipeline stage (Go's missingVal). */
const NO_FINAL: unique symbol = Symbol('no final');
type Final = unknown;

const MAX_EXEC_DEPTH = 1000; // Go allows 100000; a JS stack does not

class BreakSignal {}
class ContinueSignal {}

interface Variable {
  name: string;
  value: unknown;
}

export function execute(ctx: ExecContext, name: string, data: unknown): string {
  const tree = ctx.trees.get(name);
  const s = new State(ctx, name, [], 0);
  const dot = data === undefined || data === null ? MISSING : data;
  s.vars = [{ name: '$', value: dot }];
  try {
    if (!tree) return s.errorf(`${goQuote(name)} is an incomplete or empty template`);
    s.walk(dot, tree.root);
  } catch (e) {
    if (e instanceof ExecError) e.partialOutput = s.out.join('');
    throw e;
  }
  return s.out.join('');
}

class State {
  node: AnyNode | undefined;
  vars: Variable[] = [];

  constructor(
    private readonly ctx: ExecContext,
    private readonly name: string,
    readonly out: string[],
    private readonly depth: number,
  ) {}

  // ---- errors ----

  private at(node: AnyNode): void {
    this.node = node;
  }

  errorf(message: string): never {
    if (!this.node) throw new ExecError(`template: ${this.name}: ${message}`);
    const tree = this.ctx.trees.get(this.name);
    const text = (tree?.text ?? '').slice(0, this.node.pos);
    const nl = text.lastIndexOf('\n');
    const line = 1 + (text.match(/\n/g)?.length ?? 0);
    const col = nl < 0 ? utf8Length(text) : utf8Length(text.slice(nl + 1));
    throw new ExecError(`template: ${this.ctx.parseName}:${line}:${col}: executing ${goQuote(this.name)} at <${nodeString(this.node)}>: ${message}`);
  }

  // ---- variables ----

  private mark(): number {
    return this.vars.length;
  }

  private pop(mark: number): void {
    this.vars.length = mark;
  }

  private setVar(name: string, value: unknown): void {
    for (let i = this.vars.length - 1; i >= 0; i--) {
      if (this.vars[i]!.name === name) {
        this.vars[i]!.value = value;
        return;
      }
    }
    this.errorf(`undefined variable: ${name}`);
  }

  private setTopVar(n: number, value: unknown): void {
    this.vars[this.vars.length - n]!.value = value;
  }

  private varValue(name: string): unknown {
    for (let i = this.vars.length - 1; i >= 0; i--) if (this.vars[i]!.name === name) return this.vars[i]!.value;
    return this.errorf(`undefined variable: ${name}`);
  }

  // ---- walking the tree ----

  walk(dot: unknown, node: Node): void {
    this.at(node);
    switch (node.type) {
      case 'action': {
        const val = this.evalPipeline(dot, node.pipe);
        if (node.pipe.decl.length === 0) this.printValue(node, val);
        return;
      }
      case 'break':
        throw new BreakSignal();
      case 'continue':
        throw new ContinueSignal();
      case 'if':
      case 'with':
        return this.walkIfOrWith(node, dot);
      case 'list':
        for (const n of node.nodes) this.walk(dot, n);
        return;
      case 'range':
        return this.walkRange(dot, node);
      case 'template':
        return this.walkTemplate(dot, node);
      case 'text':
        this.out.push(node.text);
        return;
    }
  }

  private walkIfOrWith(node: BranchNode, dot: unknown): void {
    const mark = this.mark();
    try {
      const val = this.evalPipeline(dot, node.pipe);
      if (isTrue(val)) this.walk(node.type === 'with' ? val : dot, node.list);
      else if (node.elseList) this.walk(dot, node.elseList);
    } finally {
      this.pop(mark);
    }
  }

  private walkRange(dot: unknown, r: BranchNode): void {
    this.at(r);
    const outer = this.mark();
    try {
      const val = this.evalPipeline(dot, r.pipe);
      const mark = this.mark();
      const decl = r.pipe.decl;
      const oneIteration = (index: unknown, elem: unknown): void => {
        if (decl.length > 0) {
          if (r.pipe.isAssign) this.setVar(decl[0]!.ident[0]!, decl.length > 1 ? index : elem);
          else this.setTopVar(1, elem);
        }
        if (decl.length > 1) {
          if (r.pipe.isAssign) this.setVar(decl[1]!.ident[0]!, elem);
          else this.setTopVar(2, index);
        }
        try {
          this.walk(elem, r.list);
        } catch (e) {
          if (!(e instanceof ContinueSignal)) throw e;
        } finally {
          this.pop(mark);
        }
      };
      let ran = false;
      switch (kindOf(val)) {
        case 'int': {
          if (decl.length > 1) this.errorf(`can't use ${sprint([val])} to iterate over more than one variable`);
          const n = Number(val);
          for (let i = 0; i < n; i++) {
            ran = true;
            oneIteration(MISSING, i);
          }
          break;
        }
        case 'slice': {
          const items = val as ArrayLike<unknown>;
          for (let i = 0; i < items.length; i++) {
            ran = true;
            oneIteration(i, items[i] ?? null);
          }
          break;
        }
        case 'map': {
          const m = val as Map<unknown, unknown>;
          for (const k of sortedKeys(m)) {
            ran = true;
            oneIteration(k, m.get(k) ?? null);
          }
          break;
        }
        case 'invalid':
        case 'nil':
          break; // nil acts as an empty map
        default:
          this.errorf(`range can't iterate over ${sprint([val])}`);
      }
      if (!ran && r.elseList) this.walk(dot, r.elseList);
    } catch (e) {
      if (!(e instanceof BreakSignal)) throw e;
    } finally {
      this.pop(outer);
    }
  }

  private walkTemplate(dot: unknown, t: TemplateNode): void {
    this.at(t);
    if (!this.ctx.trees.has(t.name)) this.errorf(`template ${goQuote(t.name)} not defined`);
    if (this.depth === MAX_EXEC_DEPTH) this.errorf(`exceeded maximum template depth (${MAX_EXEC_DEPTH})`);
    const value = this.evalPipeline(dot, t.pipe);
    const s = new State(this.ctx, t.name, this.out, this.depth + 1);
    s.vars = [{ name: '$', value }];
    s.walk(value, this.ctx.trees.get(t.name)!.root);
  }

  // ---- evaluation ----

  private evalPipeline(dot: unknown, pipe: PipeNode | undefined): unknown {
    if (!pipe) return MISSING;
    this.at(pipe);
    let value: unknown = NO_FINAL;
    for (const cmd of pipe.cmds) {
      value = this.evalCommand(dot, cmd, value);
      // a nil interface{} digs down to no value
      if (value === null || value === undefined) value = MISSING;
    }
    for (const v of pipe.decl) {
      if (pipe.isAssign) this.setVar(v.ident[0]!, value);
      else this.vars.push({ name: v.ident[0]!, value });
    }
    return value;
  }

  private notAFunction(args: readonly ArgNode[], final: Final): void {
    if (args.length > 1 || final !== NO_FINAL) this.errorf(`can't give argument to non-function ${nodeString(args[0]!)}`);
  }

  private evalCommand(dot: unknown, cmd: CommandNode, final: Final): unknown {
    const first = cmd.args[0]!;
    switch (first.type) {
      case 'field':
        return this.evalFieldNode(dot, first, cmd.args, final);
      case 'chain':
        return this.evalChainNode(dot, first, cmd.args, final);
      case 'identifier':
        return this.evalFunction(dot, first, cmd, cmd.args, final);
      case 'pipe':
        this.notAFunction(cmd.args, final);
        return this.evalPipeline(dot, first);
      case 'variable':
        return this.evalVariableNode(dot, first, cmd.args, final);
    }
    this.at(first);
    this.notAFunction(cmd.args, final);
    switch (first.type) {
      case 'bool':
        return first.value;
      case 'dot':
        return dot;
      case 'nil':
        return this.errorf('nil is not a command');
      case 'number':
        return this.idealConstant(first);
      case 'string':
        return first.text;
    }
  }

  private idealConstant(c: NumberNode): unknown {
    this.at(c);
    const hexInt = /^[+-]?0[xX]/.test(c.text) && !/[pP]/.test(c.text);
    if (c.isFloat && !hexInt && c.text[0] !== "'" && /[.eEpP]/.test(c.text)) return new GoFloat(c.float);
    if (c.isInt) return Number.isSafeInteger(Number(c.int)) ? Number(c.int) : c.int;
    if (c.isUint) return this.errorf(`${c.text} overflows int`);
    return MISSING;
  }

  private evalFieldNode(dot: unknown, field: FieldNode, args: readonly ArgNode[] | null, final: Final): unknown {
    this.at(field);
    return this.evalFieldChain(dot, dot, field, field.ident, args, final);
  }

  private evalChainNode(dot: unknown, chain: ChainNode, args: readonly ArgNode[] | null, final: Final): unknown {
    this.at(chain);
    if (chain.node.type === 'nil') this.errorf(`indirection through explicit nil in ${nodeString(chain)}`);
    const pipe = this.evalArg(dot, null, chain.node);
    return this.evalFieldChain(dot, pipe, chain, chain.field, args, final);
  }

  private evalVariableNode(dot: unknown, v: VariableNode, args: readonly ArgNode[] | null, final: Final): unknown {
    this.at(v);
    const value = this.varValue(v.ident[0]!);
    if (v.ident.length === 1) {
      this.notAFunction(args ?? [v], final);
      return value;
    }
    return this.evalFieldChain(dot, value, v, v.ident.slice(1), args, final);
  }

  private evalFieldChain(dot: unknown, receiver: unknown, node: AnyNode, ident: readonly string[], args: readonly ArgNode[] | null, final: Final): unknown {
    for (let i = 0; i < ident.length - 1; i++) receiver = this.evalField(dot, ident[i]!, node, null, NO_FINAL, receiver);
    return this.evalField(dot, ident[ident.length - 1]!, node, args, final, receiver);
  }

  private evalFunction(dot: unknown, node: IdentifierNode, cmd: AnyNode, args: readonly ArgNode[] | null, final: Final): unknown {
    this.at(node);
    const fn = this.ctx.funcs.get(node.ident);
    if (!fn) this.errorf(`${goQuote(node.ident)} is not a defined function`);
    return this.evalCall(dot, fn, fn === BUILTINS[node.ident], cmd, node.ident, args, final);
  }

  private evalField(dot: unknown, fieldName: string, node: AnyNode, args: readonly ArgNode[] | null, final: Final, receiver: unknown): unknown {
    if (receiver === MISSING) {
      if (this.ctx.missingKey === 'error') this.errorf(`nil data; no entry for key ${goQuote(fieldName)}`);
      return MISSING;
    }
    if (receiver === null || receiver === undefined) this.errorf(`nil pointer evaluating interface {}.${fieldName}`);
    const hasArgs = (args !== null && args.length > 1) || final !== NO_FINAL;
    const kind = kindOf(receiver);
    if (kind === 'struct') {
      const m = lookupMember(receiver as object, fieldName);
      if (m.found && /^\p{Lu}/u.test(fieldName)) {
        if (m.method) {
          const method: GoFunc = { params: [], variadic: 'any', fn: (...a) => (m.value as (...x: unknown[]) => unknown).apply(receiver, a) };
          return this.evalCall(dot, method, false, node, fieldName, args, final);
        }
        if (hasArgs) this.errorf(`${fieldName} has arguments but cannot be invoked as function`);
        return m.value === undefined ? null : m.value;
      }
      if (m.found && !m.method) this.errorf(`${fieldName} is an unexported field of struct type ${typeName(receiver)}`);
    } else if (kind === 'map') {
      const map = receiver as Map<unknown, unknown>;
      if (hasArgs) this.errorf(`${fieldName} is not a method but has arguments`);
      if (map.has(fieldName)) return map.get(fieldName) ?? null;
      switch (this.ctx.missingKey) {
        case 'zero':
          return mapZero(map);
        case 'error':
          return this.errorf(`map has no entry for key ${goQuote(fieldName)}`);
        default:
          return MISSING;
      }
    }
    return this.errorf(`can't evaluate field ${fieldName} in type ${typeName(receiver)}`);
  }

  private evalCall(dot: unknown, fn: GoFunc, isBuiltin: boolean, node: AnyNode, name: string, allArgs: readonly ArgNode[] | null, final: Final): unknown {
    const args = allArgs ? allArgs.slice(1) : [];
    const numIn = args.length + (final !== NO_FINAL ? 1 : 0);
    const numFixed = fn.params.length;
    if (fn.variadic !== undefined) {
      if (numIn < numFixed) this.errorf(`wrong number of args for ${name}: want at least ${numFixed} got ${args.length}`);
    } else if (numIn !== numFixed) this.errorf(`wrong number of args for ${name}: want ${numFixed} got ${numIn}`);

    if (isBuiltin && (name === 'and' || name === 'or')) {
      // and and or stop at the first argument that decides
      let v: unknown = MISSING;
      for (const arg of args) {
        v = this.evalArg(dot, 'value', arg);
        if (isTrue(v) === (name === 'or')) return v;
      }
      if (final !== NO_FINAL) v = this.validateType(final, 'value');
      return v;
    }

    const argv: unknown[] = [];
    let i = 0;
    for (; i < numFixed && i < args.length; i++) argv.push(this.evalArg(dot, fn.params[i]!, args[i]!));
    if (fn.variadic !== undefined) for (; i < args.length; i++) argv.push(this.evalArg(dot, fn.variadic, args[i]!));
    if (final !== NO_FINAL) {
      const t = fn.variadic !== undefined && numIn - 1 >= numFixed ? fn.variadic : fn.params[numIn - 1]!;
      argv.push(this.validateType(final, t));
    }
    if (isBuiltin && name === 'call') argv.unshift(nodeString(args[0] ?? node));
    try {
      return fn.fn(...argv);
    } catch (e) {
      if (e instanceof ExecError) throw e;
      this.at(node);
      return this.errorf(`error calling ${name}: ${e instanceof Error ? e.message : String(e)}`);
    }
  }

  private canBeNil(typ: Param | null): boolean {
    return typ === null || typ === 'any' || typ === 'value' || typ === 'strings';
  }

  private zeroOf(typ: Param | null): unknown {
    if (typ === 'any') return null;
    if (typ === 'strings') return [];
    return MISSING;
  }

  private validateType(value: unknown, typ: Param | null): unknown {
    if (value === MISSING) {
      if (this.canBeNil(typ)) return this.zeroOf(typ);
      return this.errorf(`invalid value; expected ${paramTypeName(typ!)}`);
    }
    if (typ === null || typ === 'any' || typ === 'value') return value;
    const k = kindOf(value);
    const ok = {
      string: k === 'string',
      int: k === 'int',
      bool: k === 'bool',
      strings: k === 'slice' && Array.from(value as ArrayLike<unknown>).every((x) => typeof x === 'string'),
    }[typ];
    if (!ok) this.errorf(`wrong type for value; expected ${paramTypeName(typ)}; got ${typeName(value)}`);
    return typ === 'int' ? Number(value) : value;
  }

  private evalArg(dot: unknown, typ: Param | null, n: ArgNode): unknown {
    this.at(n);
    switch (n.type) {
      case 'dot':
        return this.validateType(dot, typ);
      case 'nil':
        if (this.canBeNil(typ)) return this.zeroOf(typ);
        return this.errorf(`cannot assign nil to ${paramTypeName(typ!)}`);
      case 'field':
        return this.validateType(this.evalFieldNode(dot, n, [n], NO_FINAL), typ);
      case 'variable':
        return this.validateType(this.evalVariableNode(dot, n, null, NO_FINAL), typ);
      case 'pipe':
        return this.validateType(this.evalPipeline(dot, n), typ);
      case 'identifier':
        return this.validateType(this.evalFunction(dot, n, n, null, NO_FINAL), typ);
      case 'chain':
        return this.validateType(this.evalChainNode(dot, n, null, NO_FINAL), typ);
    }
    switch (typ) {
      case 'bool':
        if (n.type === 'bool') return n.value;
        return this.errorf(`expected bool; found ${nodeString(n)}`);
      case 'int':
        if (n.type === 'number' && n.isInt) return Number(n.int);
        return this.errorf(`expected integer; found ${nodeString(n)}`);
      case 'string':
        if (n.type === 'string') return n.text;
        return this.errorf(`expected string; found ${nodeString(n)}`);
      case 'strings':
        return this.errorf(`can't handle ${nodeString(n)} for arg of type []string`);
      default:
        // interface{} and reflect.Value take any constant
        if (n.type === 'bool') return n.value;
        if (n.type === 'number') return this.idealConstant(n);
        return n.text;
    }
  }

  private printValue(node: AnyNode, v: unknown): void {
    this.at(node);
    if (v === MISSING) {
      this.out.push('<no value>');
      return;
    }
    if (kindOf(v) === 'func') this.errorf(`can't print ${nodeString(node)} of type ${typeName(v)}`);
    this.out.push(sprint([v]));
  }
}

