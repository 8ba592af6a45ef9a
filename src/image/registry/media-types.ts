// The media types the registry client needs beyond src/image/media.ts: nondistributable
// layers, schema 1 (refused), the Accept header, and a layer type's compression.
import { DOCKER_LAYER_GZIP, DOCKER_LIST, DOCKER_MANIFEST, OCI_INDEX, OCI_LAYER, OCI_LAYER_GZIP, OCI_LAYER_ZSTD, OCI_MANIFEST } from '../media.js';

export * from '../media.js';
export const OCI_LAYER_ND = 'application/vnd.oci.image.layer.nondistributable.v1.tar';
export const OCI_LAYER_ND_GZIP = 'application/vnd.oci.image.layer.nondistributable.v1.tar+gzip';
export const OCI_LAYER_ND_ZSTD = 'application/vnd.oci.image.layer.nondistributable.v1.tar+zstd';
export const DOCKER_LAYER = 'application/vnd.docker.image.rootfs.diff.tar';
export const DOCKER_LAYER_FOREIGN_GZIP = 'application/vnd.docker.image.rootfs.foreign.diff.tar.gzip';
export const DOCKER_SCHEMA1 = 'application/vnd.docker.distribution.manifest.v1+json';
export const DOCKER_SCHEMA1_SIGNED = 'application/vnd.docker.distribution.manifest.v1+prettyjws';

/** What a pull asks for, best first (distribution-spec: send every type you support). */
export const MANIFEST_ACCEPT = [OCI_INDEX, DOCKER_LIST, OCI_MANIFEST, DOCKER_MANIFEST].join(', ');

export { MANIFEST_TYPES as IMAGE_MANIFEST_TYPES } from '../media.js';
export const SCHEMA1_TYPES: ReadonlySet<string> = new Set([DOCKER_SCHEMA1, DOCKER_SCHEMA1_SIGNED, 'application/json']);

export type LayerCompression = 'gzip' | 'zstd' | 'none';

/** How a layer blob is compressed, from its media type; undefined for a type that is not a layer. */
export function layerCompression(mediaType: string): LayerCompression | undefined {
  switch (mediaType) {
    case OCI_LAYER:
    case OCI_LAYER_ND:
    case DOCKER_LAYER:
      return 'none';
    case OCI_LAYER_GZIP:
    case OCI_LAYER_ND_GZIP:
    case DOCKER_LAYER_GZIP:
    case DOCKER_LAYER_FOREIGN_GZIP:
      return 'gzip';
    case OCI_LAYER_ZSTD:
    case OCI_LAYER_ND_ZSTD:
      return 'zstd';
    default:
      return undefined;
  }
}
