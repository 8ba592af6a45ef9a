// --network's value as hx runs it: none, host, pasta[:OPTIONS], slirp4netns[:OPTIONS]
// (podman's syntax: options after the colon, comma-separated), and the rootless default
// (pasta when installed, else slirp4netns, else none with a warning naming the package).
import { HxError } from '../errors.js';
import type { NetworkMode } from './types.js';

export interface ParsedNetwork {
  mode: NetworkMode;
  helperOptions: string[];
  /** A one-line warning for the user (the default fell back to none). */
  warning?: string;
  /** container:CTR: CTR as given (the engine resolves it). */
  container?: string;
}

export interface HelperAvailability {
  pasta: boolean;
  slirp4netns: boolean;
}

/** The network of a container asked for with VALUE (undefined: the default). */
export function parseNetworkMode(value: string | undefined, rootless: boolean, found: HelperAvailability): ParsedNetwork {
  if (value === undefined || value === '' || value === 'default' || value === 'bridge') {
    // docker's default is the bridge; rootless hx has a helper per container instead
    // rootful: the engine puts the container on its default bridge network
    if (!rootless) return { mode: 'bridge', helperOptions: [] };
    if (found.pasta) return { mode: 'pasta', helperOptions: [] };
    if (found.slirp4netns) return { mode: 'slirp4netns', helperOptions: [] };
    return { mode: 'none', helperOptions: [], warning: 'neither pasta nor slirp4netns is installed: the container has no network (install the passt package, or slirp4netns)' };
  }
  const colon = value.indexOf(':');
  const name = colon < 0 ? value : value.slice(0, colon);
  const rest = colon < 0 ? '' : value.slice(colon + 1);
  if (name === 'none' || name === 'host') {
    if (colon >= 0) throw new HxError(`network ${name} takes no options: ${value}`, { kind: 'invalid-argument', hint: `use --network ${name}` });
    return { mode: name, helperOptions: [] };
  }
  if (name === 'pasta' || name === 'slirp4netns') {
    if (!rootless) throw new HxError(`--network ${name} is for rootless containers`, { kind: 'invalid-argument', hint: 'run as root with --network host or none, or run hx as your own user' });
    if (!found[name]) {
      throw new HxError(`--network ${name}: ${name} is not installed`, { kind: 'host-setup', hint: name === 'pasta' ? 'sudo apt-get install passt' : 'sudo apt-get install slirp4netns' });
    }
    return { mode: name, helperOptions: rest === '' ? [] : rest.split(',') };
  }
  if (name === 'container') {
    if (rest === '') throw new HxError(`invalid network mode: ${value}`, { kind: 'invalid-argument', hint: 'write --network container:NAME (or ID) of a running container' });
    return { mode: 'container', helperOptions: [], container: rest };
  }
  // docker: "network nosuch not found" (user-defined networks do not exist in hx yet)
  throw new HxError(`network ${value} not found`, { kind: 'not-found', hint: 'use --network pasta, slirp4netns, host or none' });
}
