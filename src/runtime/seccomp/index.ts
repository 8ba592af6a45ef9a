// Seccomp for containers: docker's default profile or a docker-format JSON profile, compiled for
// the container's capabilities to a classic BPF program (struct sock_filter[]) that the spawn
// helper installs with prctl(PR_SET_SECCOMP) / seccomp(2) right before execve.
import { serializeFilter } from './bpf.js';
import { compileProfile } from './compile.js';
import { defaultProfile } from './default-profile.js';
import { SeccompProfileError } from './errors.js';
import { loadProfile, type SeccompProfile } from './profile.js';
import { hostArch } from './tables.js';

export { SeccompProfileError } from './errors.js';
export { loadProfile, parseProfile, type SeccompProfile, type SeccompSyscallRule, type SeccompArg } from './profile.js';
export { defaultProfile } from './default-profile.js';
export { compileProfile, type CompileOptions, type CompiledFilter } from './compile.js';
export { serializeFilter, type BpfInstruction } from './bpf.js';

export interface SeccompOptions {
  profile: 'default' | 'unconfined' | { path: string };
  /** The container's effective capabilities, e.g. ['CAP_CHOWN', ...]. */
  capabilities: string[];
  /** Defaults to the host's. */
  arch?: 'x86_64' | 'aarch64';
}

/** The filter to install, as struct sock_filter[] bytes; null for `unconfined`. */
export function compileSeccomp(opts: SeccompOptions): Buffer | null {
  if (opts.profile === 'unconfined') return null;
  const profile: SeccompProfile = opts.profile === 'default' ? defaultProfile() : loadProfile(opts.profile.path);
  const arch = opts.arch ?? hostArch();
  if (!arch) {
    throw new SeccompProfileError(`seccomp filters are not supported on ${process.arch}`, 'run with --security-opt seccomp=unconfined');
  }
  return serializeFilter(compileProfile(profile, { capabilities: opts.capabilities, arch }).program);
}
