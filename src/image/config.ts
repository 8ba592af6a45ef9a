// The image config (OCI image-spec config.md; docker's is the same JSON with a few extra
// fields): what `hx run` starts and what `hx image inspect` and `hx history` show.
export interface ContainerConfig {
  User?: string;
  ExposedPorts?: Record<string, object>;
  Env?: string[] | null;
  Entrypoint?: string[] | null;
  Cmd?: string[] | null;
  Volumes?: Record<string, object> | null;
  WorkingDir?: string;
  Labels?: Record<string, string> | null;
  StopSignal?: string;
  Healthcheck?: object;
  OnBuild?: string[] | null;
  Shell?: string[];
  [key: string]: unknown;
}

export interface HistoryEntry {
  created?: string;
  created_by?: string;
  author?: string;
  comment?: string;
  empty_layer?: boolean;
}

export interface ImageConfig {
  created?: string;
  author?: string;
  architecture: string;
  os: string;
  variant?: string;
  config?: ContainerConfig;
  rootfs: { type: string; diff_ids: string[] };
  history?: HistoryEntry[];
  [key: string]: unknown;
}

/** Parse and check the parts hx relies on; throws a plain Error saying what is wrong. */
export function parseImageConfig(bytes: Buffer | string): ImageConfig {
  let c: ImageConfig;
  try {
    c = JSON.parse(bytes.toString()) as ImageConfig;
  } catch (e) {
    throw new Error(`image config is not JSON (${(e as Error).message})`);
  }
  if (!c || typeof c !== 'object') throw new Error('image config is not a JSON object');
  if (!c.rootfs || c.rootfs.type !== 'layers' || !Array.isArray(c.rootfs.diff_ids)) {
    throw new Error('image config has no rootfs.diff_ids');
  }
  for (const d of c.rootfs.diff_ids) {
    if (typeof d !== 'string' || !/^sha256:[a-f0-9]{64}$/.test(d)) throw new Error(`image config names an invalid diff_id ${String(d)}`);
  }
  return c;
}
