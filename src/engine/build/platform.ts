// The platform of a build: the host's, and only it (hx runs RUN natively, no emulation).
// buildkit's automatic ARGs come from it: TARGETPLATFORM/OS/ARCH/VARIANT and
// BUILDPLATFORM/OS/ARCH/VARIANT, visible in FROM lines and, after `ARG NAME`, in a stage.
// --platform on the CLI or on FROM must name the host's platform (containerd's
// normalisation: x86_64 = amd64, aarch64 = arm64, arm64/v8 = arm64).
import { HxError } from '../../errors.js';

export interface Platform {
  os: string;
  architecture: string;
  variant: string;
}

const ARCH: Record<string, string> = { x64: 'amd64', arm64: 'arm64', arm: 'arm', ia32: '386', ppc64: 'ppc64le', s390x: 's390x', riscv64: 'riscv64' };

export function hostPlatform(): Platform {
  const architecture = ARCH[process.arch] ?? process.arch;
  return { os: 'linux', architecture, variant: architecture === 'arm' ? 'v7' : '' };
}

export function formatPlatform(p: Platform): string {
  return [p.os, p.architecture, ...(p.variant ? [p.variant] : [])].join('/');
}

/** OS/ARCH[/VARIANT] normalised as containerd's platforms.Normalize; undefined when malformed. */
export function parsePlatform(text: string): Platform | undefined {
  const parts = text.trim().toLowerCase().split('/');
  if (parts.length < 2 || parts.length > 3 || parts.some((p) => p === '')) return undefined;
  let [os, arch, variant = ''] = parts as [string, string, string?];
  if (arch === 'x86_64' || arch === 'x86-64') arch = 'amd64';
  if (arch === 'aarch64') arch = 'arm64';
  if (arch === 'arm64' && variant === 'v8') variant = '';
  if (arch === 'amd64' && variant === 'v1') variant = '';
  if (arch === 'armhf') [arch, variant] = ['arm', 'v7'];
  if (arch === 'arm' && variant === '') variant = 'v7';
  return { os, architecture: arch, variant: variant ?? '' };
}

/** Refuse PLATFORM (from --platform or FROM --platform at WHERE) unless it is the host's. */
export function checkPlatform(platform: string, where: string): void {
  const host = hostPlatform();
  const p = parsePlatform(platform);
  if (!p) throw new HxError(`${where}: "${platform}": unknown operating system or architecture: invalid argument`, { kind: 'invalid-argument', hint: 'write the platform as OS/ARCH[/VARIANT], e.g. linux/amd64' });
  if (p.os !== host.os || p.architecture !== host.architecture || p.variant !== host.variant) {
    throw new HxError(`${where}: cannot build for platform ${formatPlatform(p)}: hx builds for the host's platform only (${formatPlatform(host)})`, {
      kind: 'invalid-argument',
      hint: `build on a ${formatPlatform(p)} machine, or drop --platform`,
    });
  }
}

/** buildkit's automatic platform ARGs (target = build = the host). */
export function platformArgs(): Record<string, string> {
  const p = hostPlatform();
  const args: Record<string, string> = {};
  for (const side of ['TARGET', 'BUILD']) {
    args[`${side}PLATFORM`] = formatPlatform(p);
    args[`${side}OS`] = p.os;
    args[`${side}ARCH`] = p.architecture;
    args[`${side}VARIANT`] = p.variant;
  }
  return args;
}

/** The proxy ARGs a RUN gets from --build-arg without an ARG line (kept out of history). */
export const PROXY_ARGS: readonly string[] = ['HTTP_PROXY', 'http_proxy', 'HTTPS_PROXY', 'https_proxy', 'FTP_PROXY', 'ftp_proxy', 'NO_PROXY', 'no_proxy', 'ALL_PROXY', 'all_proxy'];
