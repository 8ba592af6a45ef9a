// The stages a build needs, each started as soon as the stages it reads from are built, so
// independent stages build at the same time. A failed stage fails the build only after every
// stage already running has ended (none is left half-made in the background).
import { HxError } from '../../errors.js';

/** Run RUN(i) for each stage of ORDER once the stages DEPS(i) names are done; the results by stage. */
export async function runStages<T>(order: readonly number[], deps: (index: number) => number[], run: (index: number) => Promise<T>): Promise<Map<number, T>> {
  const wanted = new Set(order);
  const started = new Map<number, Promise<T>>();
  let failed = false;
  const start = (index: number): Promise<T> => {
    let p = started.get(index);
    if (p) return p;
    const before = deps(index).filter((d) => wanted.has(d) && d !== index);
    if (before.some((d) => d > index)) throw new HxError(`stage ${index} depends on a later stage`, { kind: 'internal' });
    p = Promise.all(before.map(start)).then(() => {
      if (failed) throw new HxError('build cancelled: another stage failed', { kind: 'internal' });
      return run(index);
    });
    p.catch(() => (failed = true));
    started.set(index, p);
    return p;
  };
  const all = order.map((i) => start(i));
  const settled = await Promise.allSettled(all);
  // the first stage's own error, not a "cancelled" one it caused
  const errors = settled.flatMap((s) => (s.status === 'rejected' ? [s.reason as unknown] : []));
  const own = errors.find((e) => !(e instanceof HxError && e.message.startsWith('build cancelled')));
  if (errors.length) throw own ?? errors[0];
  const out = new Map<number, T>();
  order.forEach((i, n) => out.set(i, (settled[n] as PromiseFulfilledResult<T>).value));
  return out;
}
