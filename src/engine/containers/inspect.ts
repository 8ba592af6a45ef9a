// `hx inspect CONTAINER`: docker's JSON document of a container (moby's
// ContainerJSON): Id, Created, Path, Args, State, Image, Name, RestartCount, Driver,
// HostConfig, GraphDriver, Mounts, Config, NetworkSettings, with docker's zero values.
import { existsSync } from 'node:fs';
import { join } from 'node:path';
import { activeForwards, activeHelper } from '../../container/network.js';
import { endpointSettings, endpointsOfRequest } from '../networks/documents.js';
import { dirsFor } from '../../container/rootfs.js';
import { portsDocument } from '../../net/ports.js';
import { currentState, isRunning } from '../../container/state.js';
import { volumeTarget } from '../../container/volumes.js';
import type { VolumeMountRequest } from '../../runtime/mounts.js';
import type { ContainerRecord } from '../../store/store.js';
import type { EngineContext } from '../context.js';
import { containerSpecOf } from './spec.js';
import { containerSize } from './list.js';
import { findContainer } from './lookup.js';
import { linksDocument } from './links.js';

const ZERO_TIME = '0001-01-01T00:00:00Z';

/** docker's ResolvConfPath, HostnamePath, HostsPath: the generated files, once a start wrote them. */
function etcPaths(dir: string): Record<string, string> {
  const at = (name: string): string => (existsSync(join(dir, name)) ? join(dir, name) : '');
  return { ResolvConfPath: at('resolv.conf'), HostnamePath: at('hostname'), HostsPath: at('hosts') };
}

/** moby's setBindModeIfNull: a named local volume from -v shows Mode "z" when none was given. */
export function inspectMode(m: VolumeMountRequest): string {
  return m.mode === '' && m.origin === 'bind-flag' && !m.anonymous ? 'z' : m.mode;
}

function mountsOf(rec: ContainerRecord, ctx: EngineContext): Record<string, unknown>[] {
  const spec = containerSpecOf(rec.spec, rec.id);
  const out: Record<string, unknown>[] = [];
  // records of older hx: the image's VOLUMEs lived in the container's dir (container/volumes.ts imageVolumes)
  const mounted = new Set((spec.options.mounts ?? []).map((m) => m.target));
  spec.imageVolumes.forEach((key, i) => {
    if (mounted.has(volumeTarget(key))) return;
    const name = `${rec.id.slice(0, 12)}-${i}`;
    out.push({ Type: 'volume', Name: name, Source: join(ctx.store.containerDir(rec.id), 'volumes', String(i)), Destination: key, Driver: 'local', Mode: '', RW: true, Propagation: '' });
  });
  for (const m of spec.options.mounts ?? []) {
    if (m.type === 'bind') out.push({ Type: 'bind', Source: m.source, Destination: m.target, Mode: m.readonly ? 'ro' : '', RW: !m.readonly, Propagation: m.propagation ?? 'rprivate' });
    else if (m.type === 'volume') {
      out.push({ Type: 'volume', Name: m.name, Source: ctx.store.volumes.dataPath(m.name), Destination: m.target, Driver: 'local', Mode: inspectMode(m), RW: !m.readonly, Propagation: '' });
    }
  }
  return out;
}

function graphDriver(ctx: EngineContext, rec: ContainerRecord): Record<string, unknown> {
  if (rec.driver === 'vfs') return { Name: 'vfs', Data: null };
  let lower = '';
  try {
    lower = dirsFor(ctx.store, ctx.mode, rec).lowerDirs.join(':');
  } catch {
    /* layers gone */
  }
  return { Name: rec.driver, Data: { LowerDir: lower, MergedDir: rec.rootfs, UpperDir: rec.upper ?? '', WorkDir: rec.work ?? '' } };
}

export function inspectContainer(ctx: EngineContext, ref: string, opts: { size?: boolean } = {}): Record<string, unknown> {
  const store = ctx.store;
  const rec = findContainer(store, ref);
  const st = currentState(store, rec);
  const spec = containerSpecOf(rec.spec, rec.id);
  const args = spec.options.args ?? [];
  const network = spec.options.network ?? 'none';
  const state: Record<string, unknown> = {
    Status: st.status,
    Running: isRunning(st),
    Paused: st.status === 'paused',
    Restarting: st.status === 'restarting',
    OOMKilled: st.oomKilled,
    Dead: st.status === 'dead',
    Pid: isRunning(st) ? st.pid : 0,
    ExitCode: st.exitCode,
    Error: st.error,
    StartedAt: st.startedAt || ZERO_TIME,
    FinishedAt: st.finishedAt || ZERO_TIME,
  };
  if (st.health) state.Health = st.health;
  const helper = isRunning(st) ? activeHelper(store.containerDir(rec.id)) : undefined;
  const doc: Record<string, unknown> = {
    Id: rec.id,
    Created: rec.created,
    Path: args[0] ?? '',
    Args: args.slice(1),
    State: state,
    Image: rec.image,
    ...etcPaths(store.containerDir(rec.id)),
    LogPath: spec.log.driver === 'none' ? '' : join(store.containerDir(rec.id), 'ctr.log'),
    Name: `/${rec.name}`,
    RestartCount: st.restartCount,
    Driver: rec.driver,
    Platform: 'linux',
    MountLabel: '',
    ProcessLabel: '',
    AppArmorProfile: '',
    ExecIDs: null,
    HostConfig: { ...(rec.hostConfig ?? {}), Links: linksDocument(store, rec) },
    GraphDriver: graphDriver(ctx, rec),
    Mounts: mountsOf(rec, ctx),
    Config: rec.config ?? {},
    NetworkSettings: {
      Bridge: '',
      SandboxID: '',
      SandboxKey: isRunning(st) && network !== 'host' ? `/proc/${st.pid}/ns/net` : '',
      Ports: portsDocument(Object.keys((rec.config?.ExposedPorts as Record<string, unknown> | null | undefined) ?? {}), isRunning(st) ? activeForwards(store.containerDir(rec.id)) : []),
      HairpinMode: false,
      LinkLocalIPv6Address: '',
      LinkLocalIPv6PrefixLen: 0,
      Networks: endpointsOfRequest(spec.network) ? endpointSettings(rec, endpointsOfRequest(spec.network)!) : { [network]: { IPAMConfig: null, Links: null, Aliases: null, MacAddress: '', NetworkID: '', EndpointID: '', Gateway: helper?.addresses.gateway ?? '', IPAddress: helper?.addresses.container ?? '', IPPrefixLen: helper?.addresses.prefixLength ?? 0, IPv6Gateway: '', GlobalIPv6Address: '', GlobalIPv6PrefixLen: 0, DriverOpts: null, DNSNames: null } },
    },
  };
  if (opts.size) {
    const size = containerSize(store, rec);
    doc.SizeRw = size.rw;
    doc.SizeRootFs = size.rootFs;
  }
  return doc;
}
