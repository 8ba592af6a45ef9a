// Platforms as OCI indexes name them (GOOS/GOARCH values plus an optional variant), the
// host's own, and the matching rule for choosing a manifest out of an index.
import { UsageError } from '../errors.js';

export interface Platform {
  os: string;
  architecture: string;
  variant?: string | undefined;
}

const NODE_TO_GOARCH: Record<string, string> = {
  x64: 'amd64',
  arm64: 'arm64',
  arm: 'arm',
  ia32: '386',
  ppc64: 'ppc64le',
  s390x: 's390x',
  riscv64: 'riscv64',
  loong64: 'loong64',
  mips: 'mips',
  mipsel: 'mipsle',
};

/** The platform this process runs on, in OCI terms. */
export function hostPlatform(): Platform {
  const architecture = NODE_TO_GOARCH[process.arch] ?? process.arch;
  if (architecture === 'arm') {
    const vars = process.config.variables as unknown as Record<string, unknown>;
    const version = vars.arm_version;
    return { os: 'linux', architecture, variant: `v${typeof version === 'string' || typeof version === 'number' ? version : '7'}` };
  }
  if (architecture === 'arm64') return { os: 'linux', architecture, variant: 'v8' };
  return { os: 'linux', architecture };
}

/** `linux/arm64/v8`, `linux/amd64`, `arm64` (os linux implied). */
export function parsePlatform(text: string): Platform {
  const parts = text.trim().toLowerCase().split('/');
  if (parts.some((p) => p === '') || parts.length > 3) {
    throw new UsageError(`invalid platform "${text}"`, 'use OS/ARCH[/VARIANT], e.g. linux/amd64 or linux/arm/v7');
  }
  let [os, architecture, variant] = parts.length === 1 ? ['linux', parts[0], undefined] : parts;
  // Aliases docker accepts.
  if (architecture === 'x86_64' || architecture === 'x86-64') architecture = 'amd64';
  if (architecture === 'aarch64') architecture = 'arm64';
  if (architecture === 'armhf') [architecture, variant] = ['arm', variant ?? 'v7'];
  if (architecture === 'armel') [architecture, variant] = ['arm', variant ?? 'v6'];
  return { os: os!, architecture: architecture!, variant };
}

export function formatPlatform(p: Platform): string {
  return `${p.os}/${p.architecture}${p.variant ? `/${p.variant}` : ''}`;
}

/** The variant a platform means when it names none (containerd's normalization). */
function normalVariant(p: Platform): string | undefined {
  if (p.variant) return p.variant;
  if (p.architecture === 'arm64') return 'v8';
  if (p.architecture === 'arm') return 'v7';
  return undefined;
}

/**
 * Does an index entry's platform serve the wanted one? os and architecture must be equal;
 * a wanted variant must be equal too (arm64 without a variant is v8); a wanted platform
 * without variant accepts any variant.
 */
export function platformMatches(entry: Platform, wanted: Platform): boolean {
  if (entry.os !== wanted.os || entry.architecture !== wanted.architecture) return false;
  if (!wanted.variant) return true;
  return normalVariant(entry) === normalVariant(wanted);
}

/** An image config's platform; a missing os or architecture is the host's, as docker reads it. */
export function imagePlatform(c: { os?: string | undefined; architecture?: string | undefined; variant?: string | null | undefined }): Platform {
  const host = hostPlatform();
  return { os: c.os || host.os, architecture: c.architecture || host.architecture, variant: c.variant ?? undefined };
}
