// The events the engine's verbs record (store/events.ts), with the attributes moby's daemon
// gives each kind: a container's image, name and labels (daemon/events.go LogContainerEvent
// WithAttributes), an image's name, a volume's driver, a network's name and type.
import type { ContainerRecord } from '../store/containers.js';
import type { Store } from '../store/store.js';

/** moby's container actor: its labels, then image and name (which win over labels of the same key). */
export function containerActor(rec: Pick<ContainerRecord, 'id' | 'name' | 'imageRef' | 'image' | 'config'>, extra: Record<string, string> = {}): { ID: string; Attributes: Record<string, string> } {
  const labels = (rec.config?.Labels ?? {}) as Record<string, string>;
  return { ID: rec.id, Attributes: { ...labels, ...extra, image: rec.imageRef || rec.image, name: rec.name } };
}

export function containerEvent(store: Store, rec: Pick<ContainerRecord, 'id' | 'name' | 'imageRef' | 'image' | 'config'>, action: string, extra: Record<string, string> = {}): void {
  store.events.append({ Type: 'container', Action: action, Actor: containerActor(rec, extra) });
}

/** An image event: ID is the reference the action was about (moby: the tag for tag/untag/pull/push, the ID for delete). */
export function imageEvent(store: Store, action: string, id: string, name: string): void {
  store.events.append({ Type: 'image', Action: action, Actor: { ID: id, Attributes: { name } } });
}

export function volumeEvent(store: Store, action: string, name: string, extra: Record<string, string> = {}): void {
  store.events.append({ Type: 'volume', Action: action, Actor: { ID: name, Attributes: { driver: 'local', ...extra } } });
}

export function networkEvent(store: Store, action: string, id: string, name: string, extra: Record<string, string> = {}): void {
  store.events.append({ Type: 'network', Action: action, Actor: { ID: id, Attributes: { name, type: 'bridge', ...extra } } });
}
