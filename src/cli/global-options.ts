// Global options before the command, as podman takes them: `hx --storage-driver vfs run ...`.
// They become the environment the engine already reads (HX_STORAGE_DRIVER). Shared by the
// CLI and the run bundle, since the launcher starts either with the options still in argv.
const DRIVERS = ['overlay', 'fuse-overlayfs', 'vfs'];

/** Removes the leading global options from ARGV (in place); exits 125 on a bad value. */
export function takeGlobalOptions(argv: string[]): void {
  while (argv[0]?.startsWith('--storage-driver')) {
    const flag = argv.shift()!;
    const value = flag.includes('=') ? flag.slice(flag.indexOf('=') + 1) : argv.shift();
    if (!value || !DRIVERS.includes(value)) {
      process.stderr.write(`hx: --storage-driver needs one of: ${DRIVERS.join(', ')} (got ${value ?? 'nothing'})\n`);
      process.exit(125);
    }
    process.env.HX_STORAGE_DRIVER = value;
  }
}
