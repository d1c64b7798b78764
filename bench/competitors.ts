/**
 * The competitors and which workloads each takes part in. Every JavaScript competitor runs in its
 * own child process (`worker.ts`), so none inherits another's warm JIT, thread pool or heap, and
 * libuv reads `UV_USE_IO_URING` at its start. fio competitors run fio directly.
 */
import type { WorkloadId } from './types.js';

export interface Competitor {
  readonly id: string;
  readonly label: string;
  readonly kind: 'node' | 'fio';
  /** Extra environment of the child process. */
  readonly env?: Readonly<Record<string, string>>;
}

export const COMPETITORS: readonly Competitor[] = [
  { id: 'uring', label: 'faultline UringIo', kind: 'node' },
  { id: 'uring-linked', label: 'faultline UringIo writeDurable (write linked to fdatasync)', kind: 'node' },
  { id: 'fsio', label: 'faultline FsIo (node:fs)', kind: 'node' },
  { id: 'storage-uring', label: 'faultline Storage on UringIo', kind: 'node' },
  { id: 'storage-fsio', label: 'faultline Storage on FsIo', kind: 'node' },
  { id: 'node-promises', label: 'node fs.promises FileHandle', kind: 'node' },
  { id: 'node-callbacks', label: 'node fs callbacks', kind: 'node' },
  { id: 'node-promises-uvuring', label: 'node fs.promises, UV_USE_IO_URING=1', kind: 'node', env: { UV_USE_IO_URING: '1' } },
  { id: 'node-callbacks-uvuring', label: 'node fs callbacks, UV_USE_IO_URING=1', kind: 'node', env: { UV_USE_IO_URING: '1' } },
  { id: 'fio-io_uring', label: 'fio io_uring engine', kind: 'fio' },
  { id: 'fio-psync', label: 'fio psync engine', kind: 'fio' },
  { id: 'sim', label: 'faultline SimIo, faults off', kind: 'node' },
  { id: 'sim-faults', label: 'faultline SimIo, all faults at low rates', kind: 'node' },
  { id: 'memfs', label: 'memfs promises', kind: 'node' },
  { id: 'fsio-memfs', label: 'faultline FsIo on a memfs Volume', kind: 'node' },
];

const DISK_IO = ['uring', 'fsio', 'node-promises', 'node-callbacks', 'node-promises-uvuring', 'node-callbacks-uvuring', 'fio-io_uring', 'fio-psync'];

/** Competitor ids per workload, in display order; the first named in {@link REFERENCE} is the ratio base. */
export const LINEUP: Readonly<Record<WorkloadId, readonly string[]>> = {
  'randread': DISK_IO,
  'randread-direct': DISK_IO,
  'randwrite': DISK_IO,
  'seqread': DISK_IO,
  'seqwrite': DISK_IO,
  'sync-append': ['uring', 'uring-linked', 'fsio', 'storage-uring', 'storage-fsio', ...DISK_IO.slice(2)],
  'group-commit': ['storage-uring', 'storage-fsio', 'uring', 'fsio', 'node-promises', 'node-callbacks'],
  'metadata': ['uring', 'fsio', 'node-promises', 'node-callbacks', 'node-promises-uvuring', 'node-callbacks-uvuring'],
  'sim': ['sim', 'sim-faults', 'memfs', 'fsio-memfs'],
};

/** The reference every ratio in a workload's table is taken against. */
export const REFERENCE: Readonly<Record<WorkloadId, string>> = {
  'randread': 'node-promises',
  'randread-direct': 'node-promises',
  'randwrite': 'node-promises',
  'seqread': 'node-promises',
  'seqwrite': 'node-promises',
  'sync-append': 'node-promises',
  'group-commit': 'node-promises',
  'metadata': 'node-promises',
  'sim': 'memfs',
};

export function competitorById(id: string): Competitor {
  const found = COMPETITORS.find((c) => c.id === id);
  if (found === undefined) throw new Error(`unknown competitor ${id}`);
  return found;
}
