// moby's HostConfig resource fields (api/types/container.Resources, the part hx keeps):
// one declaration for the two floors that need it, docker's syntax (engine/docker-syntax,
// which fills it from flags) and the cgroup managers (runtime/cgroups, which apply it).
// Floor 0: types only. 0, '' and null mean "not set".
export interface ThrottleDevice {
  Path: string;
  /** Bytes or operations a second. */
  Rate: number;
}

export interface Resources {
  Memory: number;
  MemoryReservation: number;
  /** -1: unlimited swap. */
  MemorySwap: number;
  MemorySwappiness: number | null;
  KernelMemory: number;
  OomKillDisable: boolean;
  NanoCpus: number;
  CpuShares: number;
  CpuPeriod: number;
  CpuQuota: number;
  CpusetCpus: string;
  CpusetMems: string;
  /** -1 (update): back to unlimited. */
  PidsLimit: number | null;
  BlkioWeight: number;
  /** --device-read-bps and friends: a device node and a rate. */
  BlkioDeviceReadBps: ThrottleDevice[] | null;
  BlkioDeviceWriteBps: ThrottleDevice[] | null;
  BlkioDeviceReadIOps: ThrottleDevice[] | null;
  BlkioDeviceWriteIOps: ThrottleDevice[] | null;
}
