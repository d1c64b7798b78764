/**
 * Shapes shared by the runner (`run.ts`) and the measuring child (`worker.ts`). A measurement is
 * described by a {@link MeasureRequest}, sent to a fresh child process as JSON, and answered with
 * one {@link MeasureResult} line on its stdout.
 */

/** Workload identifiers, in report order. */
export const WORKLOAD_IDS = [
  'randread', 'randread-direct', 'randwrite', 'seqread', 'seqwrite',
  'sync-append', 'group-commit', 'metadata', 'sim',
] as const;
export type WorkloadId = (typeof WORKLOAD_IDS)[number];

/** Everything a child needs to run one measurement of one competitor. */
export interface MeasureRequest {
  readonly workload: WorkloadId;
  /** Competitor id (see `competitors.ts`). */
  readonly competitor: string;
  /** Directory the competitor works in (it may create files there). */
  readonly dirPath: string;
  /** Name of the data file inside `dirPath` (prepared by the runner for read workloads). */
  readonly fileName: string;
  readonly fileSizeBytes: number;
  readonly blockBytes: number;
  /** Operations kept in flight (closed loop: each finished one starts the next). */
  readonly queueDepth: number;
  readonly direct: boolean;
  readonly warmupMs: number;
  readonly durationMs: number;
  readonly seed: number;
}

/** What a child prints (one JSON line). */
export type MeasureResult =
  | {
    readonly ok: true;
    /** Operations completed per second of measured wall time. */
    readonly opsPerSec: number;
    /** Payload bytes moved per second (0 for metadata work). */
    readonly bytesPerSec: number;
    readonly ops: number;
    readonly elapsedMs: number;
    /** Operations that failed (only expected under injected faults). */
    readonly errors: number;
    /** Workload-specific extra figures (memory, durable appends...). */
    readonly extra: Readonly<Record<string, number>>;
  }
  | { readonly ok: false; readonly unavailable: string };

/** Marks the line on a failed child's stderr that carries `{ code, message }` as JSON. */
export const WORKER_ERROR_PREFIX = 'worker error: ';
/** The line a child prints when the runner stops it as hung: what it was doing (see `worker-progress.ts`). */
export const WORKER_HUNG_PREFIX = 'worker hung: ';

/** A measurement that failed in its child process; `code` is the child's error code, if it had one. */
export class WorkerFailure extends Error {
  override readonly name = 'WorkerFailure';
  constructor(message: string, readonly code: string | undefined) {
    super(message);
  }
}
