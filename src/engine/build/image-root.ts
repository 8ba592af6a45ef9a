// An image's root filesystem for the builder to read or write: a container created (not
// started, no network) of the image, its root mounted for FN, removed after unless kept.
import { randomBytes } from 'node:crypto';
import { withRootfs } from '../../container/rootfs-access.js';
import { createContainerRecord } from '../containers/create.js';
import { findContainer } from '../containers/lookup.js';
import { removeContainerByRef } from '../containers/remove.js';
import type { EngineContext } from '../context.js';

export function buildContainerName(): string {
  return `hx-build-${randomBytes(6).toString('hex')}`;
}

/** FN with the root of a new container of IMAGE (an ID); the container is removed after. */
export async function withImageRoot<T>(ctx: EngineContext, image: string, fn: (root: string) => Promise<T> | T): Promise<T> {
  const name = buildContainerName();
  await createContainerRecord(ctx, { image, command: ['true'], entrypoint: '', name, options: {}, network: { network: 'none' } });
  try {
    return await withRootfs(ctx, findContainer(ctx.store, name), (v) => fn(v.root));
  } finally {
    await removeContainerByRef(ctx, name, { force: true, volumes: true }).catch(() => undefined);
  }
}

/** FN with the root of the existing container NAME (a RUN's, after it exited). */
export async function withContainerRoot<T>(ctx: EngineContext, name: string, fn: (root: string) => Promise<T> | T): Promise<T> {
  return await withRootfs(ctx, findContainer(ctx.store, name), (v) => fn(v.root));
}
