// Where hx's own built parts are, for the front doors (the launcher, to run hx again).
export { launcherPath } from '../sys/install.js';
