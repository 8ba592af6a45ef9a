// docker's option syntax as pure parsers, shared by the CLI and the coming Docker Engine
// API server (the role of podman's pkg/specgenutil). Every module here imports only
// src/errors.ts and its siblings: no I/O, no clock, no host facts (callers pass in the
// CPUs present, the reference time, the caller's environment). Each rule names the docker
// source it copies; messages are docker's, so scripts that match them keep working.
// The run fast path imports envfile.ts directly, to keep the rest out of its bundle.
export * from './names.js';
export * from './publish.js';
export * from './restart.js';
export * from './units.js';
export * from './cpuset.js';
export * from './duration.js';
export * from './timestamp.js';
export * from './signals.js';
export * from './logopts.js';
export * from './hosts.js';
export * from './envfile.js';
export { invalidFlagArgument } from './flag-error.js';
export { formatIP, parseIP, type IPBytes } from './ip.js';
export * from './resources.js';
