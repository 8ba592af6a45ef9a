// The media types the registry client needs beyond src/image/media.ts: schema 1
// (refused) and the Accept header.
import { DOCKER_LIST, DOCKER_MANIFEST, OCI_INDEX, OCI_MANIFEST } from '../media.js';

export * from '../media.js';
export const DOCKER_SCHEMA1 = 'application/vnd.docker.distribution.manifest.v1+json';
export const DOCKER_SCHEMA1_SIGNED = 'application/vnd.docker.distribution.manifest.v1+prettyjws';

/** What a pull asks for, best first (distribution-spec: send every type you support). */
export const MANIFEST_ACCEPT = [OCI_INDEX, DOCKER_LIST, OCI_MANIFEST, DOCKER_MANIFEST].join(', ');

export { MANIFEST_TYPES as IMAGE_MANIFEST_TYPES } from '../media.js';
export const SCHEMA1_TYPES: ReadonlySet<string> = new Set([DOCKER_SCHEMA1, DOCKER_SCHEMA1_SIGNED, 'application/json']);
