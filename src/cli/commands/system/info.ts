// `hx info`: what hx will do on this host, and a fix for every problem found.
import type { HostInfo } from '../../../engine/index.js';
import { renderInspect } from '../../format/formatter.js';
import type { CommandRun } from '../../spec.js';

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
    `firewall:        ${i.network.firewall.backend ? `${i.network.firewall.backend}, ${tool(i.network.firewall)}` : 'unknown'}`,
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

export const run: CommandRun = async (ctx, inv) => {
  const engine = await ctx.engine();
  const info = engine.system.info();
  const format = inv.flags.format as string | undefined;
  if (format === undefined) {
    ctx.stdout.write(renderInfo(info));
    return 0;
  }
  if (format === 'json') {
    ctx.stdout.write(JSON.stringify(info, null, 2) + '\n');
    return 0;
  }
  const { output, errors } = renderInspect([info], format, { raw: false });
  ctx.stdout.write(output);
  for (const e of errors) ctx.stderr.write(`${e.message}\n`);
  return errors.length ? 1 : 0;
};
