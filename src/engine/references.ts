// Image references as docker reads them, for the front doors (the CLI prints them back
// the way docker does: `alpine` is docker.io/library/alpine:latest, shown as alpine).
export { familiarName, parseNormalized, parseReference, repositoryName } from '../image/reference.js';
export { displayName } from '../image/resolve.js';
