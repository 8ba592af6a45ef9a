// What filesystem a path lives on, and whether it can hold an hx store.
import { existsSync, statfsSync } from 'node:fs';
import { dirname } from 'node:path';

const MAGIC: Record<number, string> = {
  0xef53: 'ext4',
  0x58465342: 'xfs',
  0x9123683e: 'btrfs',
  0x01021994: 'tmpfs',
  0x794c7630: 'overlayfs',
  0x6969: 'nfs',
  0xff534d42: 'cifs',
  0xfe534d42: 'smb2',
  0x65735546: 'fuse',
  0x2fc12fc1: 'zfs',
  0xf15f: 'ecryptfs',
  0x73717368: 'squashfs',
  0x4244: 'hfs',
  0x5346544e: 'ntfs',
  0x4d44: 'vfat',
};

/** Filesystems that cannot hold a rootless store (no xattrs, no ownership, or id squashing). */
const UNSUITABLE: Record<string, string> = {
  nfs: 'NFS squashes ownership and lacks the xattrs overlay needs',
  cifs: 'SMB/CIFS cannot store file ownership or whiteouts',
  smb2: 'SMB cannot store file ownership or whiteouts',
  vfat: 'FAT has no ownership, symlinks or xattrs',
  ntfs: 'NTFS cannot store Linux ownership and whiteouts reliably',
  ecryptfs: 'eCryptfs cannot be an overlay upper layer',
  squashfs: 'squashfs is read-only',
};

export interface FilesystemInfo {
  path: string;
  type: string;
  freeBytes: number;
  unsuitable?: string;
}

/** statfs of PATH or of its nearest existing parent. */
export function filesystemOf(path: string): FilesystemInfo {
  let p = path;
  while (!existsSync(p) && dirname(p) !== p) p = dirname(p);
  const st = statfsSync(p);
  const type = MAGIC[st.type] ?? `0x${st.type.toString(16)}`;
  const info: FilesystemInfo = { path: p, type, freeBytes: st.bavail * st.bsize };
  const why = UNSUITABLE[type];
  if (why) info.unsuitable = why;
  return info;
}
