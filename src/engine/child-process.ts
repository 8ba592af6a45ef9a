// The lazy node:child_process of host/ for the CLI (which reaches lower floors through engine/ only).
export { childProcess } from '../host/child-process.js';
