// docker's syntax for a container's process and mount settings, as the front doors parse
// it (the CLI's run flags now, the Docker API's HostConfig.Binds later): one parser each,
// below the engine in runtime/, reached through here.
export { expandEnvFlag, mergeEnv } from '../runtime/env.js';
export { parseMountFlag, parseTmpfsFlag, parseVolumeFlag } from '../runtime/mounts.js';
export { parseUlimit } from '../runtime/rlimits.js';
export type { RunOptions } from './containers/run.js';
