import { Command, Option } from 'clipanion';
import { HxCommand } from '../base.js';
import type { HostInfo } from '../../engine/info.js';

function ranges(list: { start: number; count: number }[]): string {
  return list.length ? list.map((r) => `${r.start}+${r.count}`).join(', ') : 'none';
}

function tool(t: { path?: string; version?: string }): string {
  return t.path ? `${t.path}${t.version ? ` (${t.version})` : ''}` : 'not installed';
}

export function renderInfo(i: HostInfo): string {
  const mapper = (c: HostInfo['idMapping']['newuidmap']): string =>
    c.path ? `${c.path}${c.setuid ? ' (setuid)' : c.fileCaps ? ' (file caps)' : ' (NOT setuid)'}` : 'not installed';
  const lines = [
    `mode:            ${i.mode} (uid ${i.user.uid}${i.user.name ? ` ${i.user.name}` : ''})`,
    `kernel:          ${i.kernel}`,
    `user namespaces: ${i.userNamespaces.works ? 'work' : `DO NOT work (errno ${i.userNamespaces.errno ?? '?'})`}` +
      (i.userNamespaces.maxUserNamespaces !== undefined ? `, max ${i.userNamespaces.maxUserNamespaces}` : ''),
    `subuid / subgid: ${ranges(i.idMapping.subuid)} / ${ranges(i.idMapping.subgid)}${i.idMapping.singleId ? ' (single-id mode)' : ''}`,
    `newuidmap:       ${mapper(i.idMapping.newuidmap)}`,
    `newgidmap:       ${mapper(i.idMapping.newgidmap)}`,
    `holder:          ${i.holder.state}${i.holder.pid ? ` (pid ${i.holder.pid}${i.holder.mapsCurrent === false ? ', STALE id maps' : ''})` : ''}${i.holder.reason ? ` (${i.holder.reason})` : ''}`,
    `storage root:    ${i.storage.root} (${i.storage.filesystem.type}, ${(i.storage.filesystem.freeBytes / 2 ** 30).toFixed(1)} GiB free)`,
    `storage driver:  ${i.storage.driver}: ${i.storage.driverReason}`,
    `fuse-overlayfs:  ${tool(i.fuseOverlayfs)}; /dev/fuse ${i.fuseOverlayfs.devFuse.exists ? (i.fuseOverlayfs.devFuse.usable ? 'usable' : `mode ${i.fuseOverlayfs.devFuse.mode}, not usable`) : 'missing'}`,
    `cgroups:         ${i.cgroups.version}; delegated controllers: ${i.cgroups.delegated.join(' ') || 'none'}`,
    `pasta:           ${tool(i.network.pasta)}`,
    `slirp4netns:     ${tool(i.network.slirp4netns)}`,
    `/dev/net/tun:    ${i.network.devNetTun.exists ? (i.network.devNetTun.usable ? 'usable' : `mode ${i.network.devNetTun.mode}, not usable`) : 'missing'}`,
    `runtime dir:     ${i.runtimeDir.path}${i.runtimeDir.fallbackReason ? ` (fallback: ${i.runtimeDir.fallbackReason})` : ''}`,
  ];
  if (i.problems.length) {
    lines.push('', `problems (${i.problems.length}):`);
    for (const p of i.problems) lines.push(`  - ${p.problem}`, `    fix: ${p.fix}`);
  } else {
    lines.push('', 'no problems found');
  }
  return lines.join('\n') + '\n';
}

export class InfoCommand extends HxCommand {
  static override paths = [['info'], ['system', 'info']];
  static override usage = Command.Usage({
    category: 'System',
    description: 'Check this host for rootless containers and say how to fix what is missing',
  });
  format = Option.String('--format', { description: 'json for machine-readable output' });

  async run(): Promise<void> {
    const { hostInfo } = await import('../../engine/info.js');
    const info = hostInfo();
    this.context.stdout.write(this.format === 'json' ? JSON.stringify(info, null, 2) + '\n' : renderInfo(info));
  }
}
