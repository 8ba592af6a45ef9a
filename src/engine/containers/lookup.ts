// Which container a user means: moby's daemon.GetContainer order: a full ID, then a
// name (with or without docker's leading "/"), then a unique ID prefix.
import { HxError } from '../../errors.js';
import type { ContainerRecord, Store } from '../../store/store.js';

export function noSuchContainer(ref: string): HxError {
  return new HxError(`No such container: ${ref}`, { kind: 'not-found', hint: 'hx ps -a lists the containers' });
}

export function findContainer(store: Store, ref: string): ContainerRecord {
  const rec = lookupContainer(store, ref);
  if (!rec) throw noSuchContainer(ref);
  return rec;
}

export function lookupContainer(store: Store, ref: string): ContainerRecord | undefined {
  if (ref === '') return undefined;
  const exact = store.getContainer(ref);
  if (exact) return exact;
  const name = ref.startsWith('/') ? ref.slice(1) : ref;
  if (/^[a-zA-Z0-9][a-zA-Z0-9_.-]*$/.test(name)) {
    const holder = store.containers.nameOwner(name);
    const byName = holder ? store.getContainer(holder) : undefined;
    if (byName && byName.name === name) return byName;
  }
  if (!/^[a-f0-9]+$/.test(ref)) return undefined;
  const matches = store.containers.ids().filter((id) => id.startsWith(ref));
  if (matches.length > 1) {
    throw new HxError(`multiple IDs found with provided prefix: ${ref}`, { kind: 'invalid-argument', hint: 'give more characters of the ID, or the name' });
  }
  return matches[0] ? store.getContainer(matches[0]) : undefined;
}

export function labelsOf(rec: ContainerRecord): Record<string, string> {
  const labels = rec.config?.Labels;
  return labels && typeof labels === 'object' ? (labels as Record<string, string>) : {};
}
