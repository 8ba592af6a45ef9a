// What pull and push report while they work. The engine passes these to its caller; the
// CLI renders them (per-layer lines on a TTY, plain lines otherwise).
export type PullLayerStatus =
  | 'exists' // the layer is in the store already
  | 'waiting' // queued for download
  | 'downloading'
  | 'downloaded' // verified and in the blob store
  | 'extracting'
  | 'complete';

export type PushLayerStatus = 'preparing' | 'waiting' | 'compressing' | 'pushing' | 'pushed' | 'exists' | 'mounted';

export type RegistryEvent =
  | { type: 'resolved'; reference: string; digest: string; platform: string; source: string }
  | { type: 'layers'; layers: { digest: string; size: number }[] }
  | { type: 'layer'; index: number; digest: string; status: PullLayerStatus; current?: number; total?: number }
  | { type: 'push-layer'; digest: string; status: PushLayerStatus; current?: number; total?: number; from?: string }
  | { type: 'retry'; what: string; reason: string; delayMs: number; attempt: number }
  | { type: 'warning'; message: string }
  | { type: 'pulled'; id: string; digest: string; reference: string; upToDate: boolean }
  | { type: 'pushed'; reference: string; tag: string; digest: string; size: number };

export type RegistryEventSink = (e: RegistryEvent) => void;
