// Image references as docker spells and normalizes them (distribution/reference):
// `alpine` -> docker.io/library/alpine:latest, `host:5000/a/b:tag`, `name@sha256:...`,
// `name:tag@sha256:...`. Pure string work: nothing here touches the network.
import { UsageError } from '../errors.js';

export const DEFAULT_DOMAIN = 'docker.io';
/** Docker Hub's API lives on another host than its name (a quirk every client carries). */
export const DOCKER_HUB_API_HOST = 'registry-1.docker.io';
const LEGACY_DEFAULT_DOMAIN = 'index.docker.io';
const OFFICIAL_REPO_PREFIX = 'library/';
export const DEFAULT_TAG = 'latest';
const NAME_TOTAL_MAX = 255;

// distribution/reference's grammar, piece by piece.
const PATH_COMPONENT = '[a-z0-9]+(?:(?:\\.|_|__|-+)[a-z0-9]+)*';
const DOMAIN_COMPONENT = '(?:[a-zA-Z0-9]|[a-zA-Z0-9][a-zA-Z0-9-]*[a-zA-Z0-9])';
const IPV6 = '\\[(?:[a-fA-F0-9:]+)\\]';
const DOMAIN = `(?:${DOMAIN_COMPONENT}(?:\\.${DOMAIN_COMPONENT})*|${IPV6})(?::[0-9]+)?`;
const TAG = '[\\w][\\w.-]{0,127}';
const DIGEST = '[A-Za-z][A-Za-z0-9]*(?:[-_+.][A-Za-z][A-Za-z0-9]*)*:[0-9a-fA-F]{32,}';

const PATH_RE = new RegExp(`^${PATH_COMPONENT}(?:/${PATH_COMPONENT})*$`);
const DOMAIN_RE = new RegExp(`^${DOMAIN}$`);
const TAG_RE = new RegExp(`^${TAG}$`);
const DIGEST_RE = new RegExp(`^${DIGEST}$`);
const HEX64_RE = /^[a-f0-9]{64}$/;

/** A fully qualified reference: every field normalized, `tag` and `digest` as given. */
export interface ImageReference {
  /** Registry host[:port], e.g. docker.io, quay.io, localhost:5000, [::1]:5000. */
  readonly domain: string;
  /** Repository path inside the registry, e.g. library/alpine. */
  readonly path: string;
  readonly tag?: string | undefined;
  readonly digest?: string | undefined;
}

/** Check a digest string: `algorithm:encoded`, sha256/sha512 as the OCI spec fixes them. */
export function isValidDigest(digest: string): boolean {
  if (!DIGEST_RE.test(digest)) return false;
  const [alg, hex] = digest.split(':', 2) as [string, string];
  if (alg === 'sha256') return /^[a-f0-9]{64}$/.test(hex);
  if (alg === 'sha512') return /^[a-f0-9]{128}$/.test(hex);
  return true;
}

function badReference(input: string, why: string): UsageError {
  return new UsageError(`invalid reference format "${input}": ${why}`, 'references look like NAME[:TAG][@DIGEST], e.g. alpine:3.20 or localhost:5000/team/app@sha256:...');
}

/** Split off a registry domain the way docker does: the first component is a domain only if it looks like one. */
function splitDomain(name: string): { domain: string; path: string } {
  const slash = name.indexOf('/');
  let domain: string;
  let path: string;
  const first = slash === -1 ? '' : name.slice(0, slash);
  if (slash === -1 || (!/[.:]/.test(first) && first !== 'localhost' && first.toLowerCase() === first && !first.startsWith('['))) {
    domain = DEFAULT_DOMAIN;
    path = name;
  } else {
    domain = first;
    path = name.slice(slash + 1);
  }
  if (domain === LEGACY_DEFAULT_DOMAIN) domain = DEFAULT_DOMAIN;
  if (domain === DEFAULT_DOMAIN && !path.includes('/')) path = OFFICIAL_REPO_PREFIX + path;
  return { domain, path };
}

/**
 * Parse and normalize a reference the way `docker pull` does. No default tag is added here
 * (see withDefaultTag) so callers can tell `alpine` from `alpine:latest`.
 */
export function parseReference(input: string): ImageReference {
  if (input.length === 0) throw badReference(input, 'empty');
  if (HEX64_RE.test(input)) {
    throw badReference(input, 'a 64-character hexadecimal string is an image ID, not a repository name');
  }
  let rest = input;
  let digest: string | undefined;
  const at = rest.indexOf('@');
  if (at !== -1) {
    digest = rest.slice(at + 1);
    rest = rest.slice(0, at);
    if (!isValidDigest(digest)) throw badReference(input, `"${digest}" is not a valid digest`);
  }
  let tag: string | undefined;
  // A tag is after the last ':' that comes after the last '/' (a ':' before it is a port).
  const colon = rest.lastIndexOf(':');
  if (colon > rest.lastIndexOf('/')) {
    tag = rest.slice(colon + 1);
    rest = rest.slice(0, colon);
    if (!TAG_RE.test(tag)) throw badReference(input, `"${tag}" is not a valid tag`);
  }
  const { domain, path } = splitDomain(rest);
  if (!DOMAIN_RE.test(domain)) throw badReference(input, `"${domain}" is not a valid registry host`);
  if (path !== path.toLowerCase() && PATH_RE.test(path.toLowerCase())) {
    throw badReference(input, 'repository name must be lowercase');
  }
  if (!PATH_RE.test(path)) throw badReference(input, `"${path}" is not a valid repository name`);
  const fullName = `${domain}/${path}`;
  if (fullName.length > NAME_TOTAL_MAX) throw badReference(input, `repository name is longer than ${NAME_TOTAL_MAX} characters`);
  return { domain, path, tag, digest };
}

/** `alpine` -> `alpine:latest`; a reference with a digest keeps no implied tag. */
export function withDefaultTag(ref: ImageReference): ImageReference {
  if (ref.tag !== undefined || ref.digest !== undefined) return ref;
  return { ...ref, tag: DEFAULT_TAG };
}

/** Parse, then add `:latest` when neither a tag nor a digest was given. */
export function parseNormalized(input: string): ImageReference {
  return withDefaultTag(parseReference(input));
}

/** docker.io/library/alpine */
export function repositoryName(ref: Pick<ImageReference, 'domain' | 'path'>): string {
  return `${ref.domain}/${ref.path}`;
}

/** The full string: docker.io/library/alpine:latest, host/a@sha256:..., host/a:t@sha256:... */
export function formatReference(ref: ImageReference): string {
  return `${repositoryName(ref)}${ref.tag !== undefined ? `:${ref.tag}` : ''}${ref.digest !== undefined ? `@${ref.digest}` : ''}`;
}

/** The short form docker prints: alpine:latest, user/app:1, quay.io/x/y:2. */
export function familiarName(ref: ImageReference): string {
  let name = repositoryName(ref);
  if (ref.domain === DEFAULT_DOMAIN) {
    name = ref.path.startsWith(OFFICIAL_REPO_PREFIX) && ref.path.indexOf('/', OFFICIAL_REPO_PREFIX.length) === -1
      ? ref.path.slice(OFFICIAL_REPO_PREFIX.length)
      : ref.path;
  }
  return `${name}${ref.tag !== undefined ? `:${ref.tag}` : ''}${ref.digest !== undefined ? `@${ref.digest}` : ''}`;
}

/** `name:tag` for records (RepoTags); undefined when the reference has no tag. */
export function taggedName(ref: ImageReference): string | undefined {
  return ref.tag === undefined ? undefined : `${repositoryName(ref)}:${ref.tag}`;
}

/** `name@digest` for records (RepoDigests). */
export function digestedName(ref: Pick<ImageReference, 'domain' | 'path'>, digest: string): string {
  return `${repositoryName(ref)}@${digest}`;
}

/** The host the registry API answers on: docker.io's is registry-1.docker.io. */
export function apiHost(domain: string): string {
  return domain === DEFAULT_DOMAIN ? DOCKER_HUB_API_HOST : domain;
}

/** True when the host part names this machine's loopback (for config defaults and messages). */
export function isLoopbackHost(domain: string): boolean {
  const host = domain.startsWith('[') ? domain.slice(1, domain.indexOf(']')) : domain.replace(/:\d+$/, '');
  return host === 'localhost' || host === '::1' || /^127\.\d+\.\d+\.\d+$/.test(host);
}
