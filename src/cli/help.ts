// Help in docker's layout: "Usage:", the summary, "Aliases:", "Options:" with pflag's
// columns (wrapped at the terminal's width, 80 in pipes), and the top-level and group
// listings. Plain text only: no colour codes anywhere, on a terminal or not.
import { GLOBAL_FLAGS } from './global-options.js';
import { flagsOf, usageLine } from './parser.js';
import type { CommandShape, CommandSpec, FlagSpec, GroupSpec } from './spec.js';

function wrap(text: string, width: number): string[] {
  const lines: string[] = [];
  for (const para of text.split('\n')) {
    let line = '';
    for (const word of para.split(' ')) {
      if (line && line.length + 1 + word.length > width) {
        lines.push(line);
        line = word;
      } else line = line ? `${line} ${word}` : word;
    }
    lines.push(line);
  }
  return lines;
}

function flagLeft(f: FlagSpec): string {
  const names = f.short ? `-${f.short}, --${f.name}` : `    --${f.name}`;
  return f.type === 'bool' ? names : `${names} ${f.typeName ?? (f.type === 'list' ? 'list' : f.type === 'int' ? 'int' : 'string')}`;
}

/** pflag's option table. */
export function flagTable(flags: FlagSpec[], columns: number): string {
  const shown = flags.filter((f) => !f.hidden);
  const left = shown.map(flagLeft);
  const width = Math.max(0, ...left.map((l) => l.length));
  const textWidth = Math.max(30, columns - width - 5);
  return shown
    .map((f, i) => {
      const desc = f.defaultText ? `${f.description} (default ${f.defaultText})` : f.description;
      const [first, ...more] = wrap(desc, textWidth);
      return [`  ${left[i]!.padEnd(width)}   ${first}`, ...more.map((m) => `  ${' '.repeat(width)}   ${m}`)].join('\n');
    })
    .join('\n');
}

export function commandHelp(spec: CommandShape, path: string[], columns = 80): string {
  const parts = [`Usage:  ${usageLine(spec, path)}`, '', spec.summary];
  const names = [spec.path, ...(spec.aliases ?? [])].map((p) => `hx ${p.join(' ')}`);
  if (names.length > 1) parts.push('', 'Aliases:', `  ${names.join(', ')}`);
  parts.push('', 'Options:', flagTable(flagsOf(spec), columns));
  return parts.join('\n') + '\n';
}

function listing(rows: [string, string][]): string {
  const width = Math.max(10, ...rows.map(([n]) => n.length));
  return rows.map(([n, s]) => `  ${n.padEnd(width)}  ${s}`).join('\n');
}

export function groupHelp(group: GroupSpec, specs: CommandSpec[]): string {
  const subs = specs.filter((s) => s.path.length > 1 && s.path[0] === group.name && !s.hidden).map((s) => [s.path.slice(1).join(' '), s.summary] as [string, string]);
  subs.sort((a, b) => (a[0] < b[0] ? -1 : 1));
  return [`Usage:  hx ${group.name} COMMAND`, '', group.summary, '', 'Commands:', listing(subs), '', `Run 'hx ${group.name} COMMAND --help' for more information on a command.`].join('\n') + '\n';
}

export function topHelp(specs: CommandSpec[], groups: GroupSpec[], columns = 80): string {
  const top = (s: CommandSpec): [string, string][] => {
    const names = [s.path, ...(s.aliases ?? [])].filter((p) => p.length === 1 && !p[0]!.startsWith('-'));
    return names.slice(0, 1).map((p) => [p[0]!, s.summary]);
  };
  const common = specs.filter((s) => s.section === 'common' && !s.hidden).flatMap(top);
  const rest = specs.filter((s) => s.section !== 'common' && !s.hidden).flatMap(top).sort((a, b) => (a[0] < b[0] ? -1 : 1));
  return [
    'Usage:  hx [OPTIONS] COMMAND',
    '',
    'A daemonless, rootless-first container engine',
    '',
    'Common Commands:',
    listing(common),
    '',
    'Management Commands:',
    listing(groups.map((g) => [g.name, g.summary] as [string, string])),
    '',
    'Commands:',
    listing(rest),
    '',
    'Global Options:',
    flagTable(GLOBAL_FLAGS, columns),
    '',
    "Run 'hx COMMAND --help' for more information on a command.",
  ].join('\n') + '\n';
}
