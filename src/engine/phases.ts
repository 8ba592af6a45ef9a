// Phase marks for `hx bench run`: when HX_PHASE_LOG names a file, each mark appends
// "NAME EPOCH_MS" to it (the first line is the process's own start, performance.timeOrigin),
// so a bench outside the process can split one `hx run` into launcher, Node start, store
// lookup, mount, spawn, exec and teardown. Without HX_PHASE_LOG a mark costs one check.
import { appendFileSync } from 'node:fs';

const file = process.env.HX_PHASE_LOG;
let first = true;

export function markPhase(name: string): void {
  if (!file) return;
  const now = performance.timeOrigin + performance.now();
  const origin = first ? `origin ${performance.timeOrigin}\n` : '';
  first = false;
  try {
    appendFileSync(file, `${origin}${name} ${now}\n`);
  } catch {
    /* a bench that went away: timing is best effort */
  }
}
