// The global options' values (parsed by global-options.ts), a type of its own so that the
// command context and the parser do not import each other.
export interface GlobalOptions {
  storageDriver?: 'overlay' | 'fuse-overlayfs' | 'vfs';
  root?: string;
  runroot?: string;
  debug: boolean;
  logLevel: string;
  version: boolean;
  help: boolean;
}
