// `hx rename CONTAINER NEW_NAME`: under the store lock, the new name is taken (O_EXCL,
// so two renames or a create cannot get it both) before the old one is let go.
import { reserveName } from '../../container/rootfs.js';
import { HxError } from '../../errors.js';
import type { EngineContext } from '../context.js';
import { containerEvent } from '../events.js';
import { validateName } from '../docker-syntax/names.js';
import { findContainer } from './lookup.js';

export async function renameContainer(ctx: EngineContext, ref: string, newName: string): Promise<void> {
  const store = ctx.store;
  const name = validateName(newName);
  await store.locked(() => {
    const rec = findContainer(store, ref);
    if (rec.name === name) {
      throw new HxError('Renaming a container with the same name as its current name', { kind: 'invalid-argument', hint: 'give a different name' });
    }
    reserveName(store, name, rec.id);
    store.putContainer({ ...rec, name });
    store.containers.releaseName(rec.name, rec.id);
    containerEvent(store, { ...rec, name }, 'rename', { oldName: `/${rec.name}` });
  });
}
