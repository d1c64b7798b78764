/** The collected figures of one bench run, as the runner fills them and the report reads them. */
import type { ExtraOutcome } from './extras.js';
import type { MachineInfo } from './machine.js';
import type { Profile, WorkloadSpec } from './workloads.js';

/** All runs of one competitor at one queue depth. */
export interface Cell {
  readonly competitor: string;
  readonly queueDepth: number;
  readonly opsPerSec: number[];
  readonly bytesPerSec: number[];
  readonly errors: number[];
  /** Workload-specific figures of each run. */
  readonly extras: Record<string, number>[];
  /** Set when the competitor cannot run here (first run says why; no further runs). */
  unavailable?: string;
  /** Set when a run failed unexpectedly (the cell is then reported as failed). */
  failure?: string;
  /** Runs that found the competitor unavailable after earlier runs had measured it (a backend being rebuilt...). */
  skippedRuns?: string[];
}

export interface WorkloadResult {
  readonly spec: WorkloadSpec;
  readonly queueDepths: readonly number[];
  readonly fileSizeBytes: number;
  readonly cells: Cell[];
  /** 1-minute load average when the workload finished: other work on the machine shows here. */
  loadAverage1m?: number;
}

export interface BenchResults {
  readonly machine: MachineInfo;
  readonly profile: Profile;
  readonly startedAt: string;
  finishedAt: string;
  readonly workloads: WorkloadResult[];
  /** Output of the other areas' benchmark scripts (paths already scrubbed). */
  readonly extras: { readonly name: string; readonly title: string; readonly outcome: ExtraOutcome }[];
}

/** The headline series of a cell: ops/s, or bytes/s for streaming workloads. */
export function headline(result: WorkloadResult, cell: Cell): number[] {
  return result.spec.metric === 'bytes' ? cell.bytesPerSec : cell.opsPerSec;
}

/** True when a cell has usable figures. */
export function measured(cell: Cell): boolean {
  return cell.unavailable === undefined && cell.failure === undefined && cell.opsPerSec.length > 0;
}
