import { execReplace } from '../sys/libhxns.js';
import { SysError } from '../sys/errors.js';
import { storageRoot, runtimeDir } from '../runtime/paths.js';
import { HxError } from '../errors.js';

/** Replace this process with COMMAND (default: the user's shell); the caller is already in place. */
export function runInNamespace(command: string[]): never {
  const argv = command.length > 0 ? command : [process.env.SHELL || '/bin/sh'];
  const env: NodeJS.ProcessEnv = { ...process.env, HX_STORAGE_ROOT: storageRoot(), HX_RUNTIME_DIR: runtimeDir() };
  delete env.HX_REEXEC;
  try {
    execReplace(argv[0]!, argv, env);
  } catch (e) {
    if (e instanceof SysError && e.code === 'ENOENT') {
      throw new HxError(`${argv[0]}: executable file not found in $PATH`, { exitCode: 127 });
    }
    if (e instanceof SysError && e.code === 'EACCES') {
      throw new HxError(`${argv[0]}: permission denied`, { exitCode: 126 });
    }
    throw e;
  }
}
