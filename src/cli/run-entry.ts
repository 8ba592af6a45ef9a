// Entry of build/run.cjs, the bundle the launcher starts for `hx run`: only the run path
// (flags, namespace, spawn; the image store is loaded when an image is run). V8 compiles
// a bundle before running it, and the whole CLI's costs ~3x as long as this one.
import { takeGlobalOptions } from './global-options.js';
import { runMain } from './run-main.js';

// argv: node, run.cjs, [global options], "run", ...flags
const argv = process.argv.slice(2);
takeGlobalOptions(argv);
runMain(argv.slice(1)).then(
  (code) => {
    process.exitCode = code;
  },
  (error: unknown) => {
    process.stderr.write(`hx: ${error instanceof Error ? error.message : String(error)}\n`);
    process.exitCode = 125;
  },
);
