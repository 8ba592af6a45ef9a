// "did you mean": the command name nearest to a mistyped one (cobra suggests within an
// edit distance of 2, and names the typo is a prefix of).
import type { CommandSpec } from './spec.js';

function distance(a: string, b: string): number {
  const d = Array.from({ length: a.length + 1 }, (_, i) => [i, ...Array<number>(b.length).fill(0)]);
  for (let j = 1; j <= b.length; j++) d[0]![j] = j;
  for (let i = 1; i <= a.length; i++) {
    for (let j = 1; j <= b.length; j++) {
      d[i]![j] = Math.min(d[i - 1]![j]! + 1, d[i]![j - 1]! + 1, d[i - 1]![j - 1]! + (a[i - 1] === b[j - 1] ? 0 : 1));
    }
  }
  return d[a.length]![b.length]!;
}

export function suggest(words: string[], commands: CommandSpec[]): string | undefined {
  const typed = words.join(' ');
  let best: { name: string; d: number } | undefined;
  for (const spec of commands.filter((c) => !c.hidden)) {
    for (const p of [spec.path, ...(spec.aliases ?? [])]) {
      if (p.length !== words.length) continue;
      const name = p.join(' ');
      const d = name.startsWith(typed) ? 1 : distance(typed, name);
      if (d <= 2 && (!best || d < best.d)) best = { name, d };
    }
  }
  return best?.name;
}
