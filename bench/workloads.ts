/** What each workload measures, with its sizes in the full and quick profiles. */
import type { WorkloadId } from './types.js';

const KiB = 1024;
const MiB = 1024 * KiB;

/** Which prepared file a workload uses. */
export type DataFile = 'read' | 'write' | 'own';

export interface WorkloadSpec {
  readonly id: WorkloadId;
  readonly title: string;
  /** One paragraph for the report: exactly what is done. */
  readonly description: string;
  readonly blockBytes: number;
  readonly queueDepths: { readonly full: readonly number[]; readonly quick: readonly number[] };
  readonly fileSizeBytes: { readonly full: number; readonly quick: number };
  readonly direct: boolean;
  readonly dataFile: DataFile;
  /** Headline figure: operations per second, or payload MB/s for streaming. */
  readonly metric: 'ops' | 'bytes';
  /** What one counted operation is, for the table header. */
  readonly opName: string;
}

export const WORKLOADS: readonly WorkloadSpec[] = [
  {
    id: 'randread', title: '4 KiB random reads, cached file',
    description: 'Uniform 4 KiB-aligned random reads over a file that is in the page cache; queue-depth sweep. Measures the per-operation cost of each API, not the disk.',
    blockBytes: 4 * KiB, queueDepths: { full: [1, 8, 64, 256], quick: [1, 64] },
    fileSizeBytes: { full: 256 * MiB, quick: 16 * MiB }, direct: false, dataFile: 'read', metric: 'ops', opName: 'reads',
  },
  {
    id: 'randread-direct', title: '4 KiB random reads, O_DIRECT',
    description: 'The same reads with O_DIRECT (no page cache): every read reaches the device.',
    blockBytes: 4 * KiB, queueDepths: { full: [64], quick: [64] },
    fileSizeBytes: { full: 256 * MiB, quick: 16 * MiB }, direct: true, dataFile: 'read', metric: 'ops', opName: 'reads',
  },
  {
    id: 'randwrite', title: '4 KiB random writes',
    description: 'Uniform 4 KiB-aligned random overwrites of a preallocated file, not synced (page cache).',
    blockBytes: 4 * KiB, queueDepths: { full: [64], quick: [64] },
    fileSizeBytes: { full: 256 * MiB, quick: 16 * MiB }, direct: false, dataFile: 'write', metric: 'ops', opName: 'writes',
  },
  {
    id: 'seqread', title: 'Sequential 1 MiB reads',
    description: 'The cached file streamed in 1 MiB reads, 4 in flight, wrapping at its end.',
    blockBytes: 1 * MiB, queueDepths: { full: [4], quick: [4] },
    fileSizeBytes: { full: 256 * MiB, quick: 16 * MiB }, direct: false, dataFile: 'read', metric: 'bytes', opName: 'reads',
  },
  {
    id: 'seqwrite', title: 'Sequential 1 MiB writes',
    description: 'A preallocated file overwritten in 1 MiB writes, 4 in flight, wrapping at its end; not synced.',
    blockBytes: 1 * MiB, queueDepths: { full: [4], quick: [4] },
    fileSizeBytes: { full: 256 * MiB, quick: 16 * MiB }, direct: false, dataFile: 'write', metric: 'bytes', opName: 'writes',
  },
  {
    id: 'sync-append', title: 'Synced 4 KiB appends, one at a time',
    description: 'A log that writes 4 KiB at its end and fdatasyncs (Storage: `blob.sync()`) before the next append. Starts empty; wraps to 0 past the file size.',
    blockBytes: 4 * KiB, queueDepths: { full: [1], quick: [1] },
    fileSizeBytes: { full: 256 * MiB, quick: 16 * MiB }, direct: false, dataFile: 'own', metric: 'ops', opName: 'appends',
  },
  {
    id: 'group-commit', title: 'Synced 4 KiB appends, group commit',
    description: '64 writers each append 4 KiB and wait for a sync that started after their write; writers arriving during a sync share the next one. An append counts once durable.',
    blockBytes: 4 * KiB, queueDepths: { full: [64], quick: [64] },
    fileSizeBytes: { full: 256 * MiB, quick: 16 * MiB }, direct: false, dataFile: 'own', metric: 'ops', opName: 'durable appends',
  },
  {
    id: 'metadata', title: 'Small-file metadata churn',
    description: 'Each cycle: open(create) a new file, write 4 KiB, close, stat, rename, unlink; 16 cycles at once on distinct names. One operation = one cycle of six calls.',
    blockBytes: 4 * KiB, queueDepths: { full: [16], quick: [16] },
    fileSizeBytes: { full: 0, quick: 0 }, direct: false, dataFile: 'own', metric: 'ops', opName: 'cycles',
  },
  {
    id: 'sim', title: 'In-memory disks: simulator vs memfs',
    description: '4 KiB random reads and writes (half each) on one prefilled file, 64 in flight, entirely in memory. Also reports memory held per byte stored.',
    blockBytes: 4 * KiB, queueDepths: { full: [64], quick: [64] },
    fileSizeBytes: { full: 64 * MiB, quick: 8 * MiB }, direct: false, dataFile: 'own', metric: 'ops', opName: 'ops',
  },
];

export function workloadSpec(id: WorkloadId): WorkloadSpec {
  const spec = WORKLOADS.find((w) => w.id === id);
  if (spec === undefined) throw new Error(`unknown workload ${id}`);
  return spec;
}

/** Run counts and timings of a profile. */
export interface Profile {
  readonly name: 'full' | 'quick';
  readonly runs: number;
  readonly warmupMs: number;
  readonly durationMs: number;
}

export const PROFILES: Readonly<Record<'full' | 'quick', Profile>> = {
  full: { name: 'full', runs: 5, warmupMs: 250, durationMs: 1200 },
  quick: { name: 'quick', runs: 1, warmupMs: 30, durationMs: 150 },
};
