// Which command a command line names: the longest path or alias of the table that its
// first words spell (`image ls` wins over `image`).
import type { CommandSpec } from './spec.js';

export function resolveIn(commands: CommandSpec[], words: string[]): { spec: CommandSpec; path: string[]; rest: string[] } | undefined {
  let best: { spec: CommandSpec; path: string[] } | undefined;
  for (const spec of commands) {
    for (const p of [spec.path, ...(spec.aliases ?? [])]) {
      if (p.length > words.length || (best && best.path.length >= p.length)) continue;
      if (p.every((w, i) => words[i] === w)) best = { spec, path: p };
    }
  }
  return best ? { ...best, rest: words.slice(best.path.length) } : undefined;
}
