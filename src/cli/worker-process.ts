/**
 * Starting one campaign worker: a child process running `worker.ts`, talking over Node's IPC
 * channel. Processes rather than threads, because a workload can take its whole process down
 * (`process.exit`, a native crash, running out of memory, a signal): only then does the campaign
 * survive it, fail the one seed responsible with the exit code or signal, and go on with a fresh
 * worker. Separate processes also have their own heaps and GC, which is what scaling needs.
 */
import { fork, type ChildProcess } from 'node:child_process';
import { fileURLToPath } from 'node:url';
import type { FaultPresetName, SimProfile } from './workload.js';
import type { LatencyPresetName } from './sim-api.js';
import type { SeedResult, SeedSpec } from './run-seed.js';
import { siblingModuleUrl } from './load-workload.js';
import { isTypeScriptPath, typeScriptImportUrl } from './typescript-loader.js';

/**
 * V8's background threads only pay off on an idle core. Its parallel GC helper threads compete
 * with the other workers for the cores: two workers ran at ~1.45x one with them and ~1.8x without
 * (measured), so workers always run without them. Its background compilation (TurboFan) took ~20%
 * on top of a worker's own thread's CPU, and compiling on the worker's thread instead
 * (`--single-threaded`) took ~10% less CPU in all: when the workers take every core that is what
 * they do; with a core to spare, compiling there is free. `FAULTLINE_GC_THREADS=default` keeps
 * V8's defaults (every background thread).
 */
const SINGLE_THREADED_GC = '--single-threaded-gc';
const SINGLE_THREADED = '--single-threaded';

/** The seed options beyond the campaign's own that a run may ask for (a replay's trace, a shrink's vetoes). */
export type SeedExtras = Pick<SeedSpec, 'keepTrace' | 'traceEvents' | 'traceCapacity' | 'faultsOff' | 'vetoes' | 'trackFaults'>;

/** What a worker needs to load the workload and run its seeds. Plain data (the first message it receives). */
export interface WorkerSetup {
  readonly moduleUrl: string;
  readonly specifier: string;
  readonly variant: string | undefined;
  readonly profile: SimProfile;
  readonly faults: FaultPresetName;
  readonly latency: LatencyPresetName;
  readonly options: Readonly<Record<string, string>>;
  readonly intercept: boolean;
  readonly checkDeterminism: boolean;
  readonly extras?: SeedExtras;
  /**
   * The worker's seed marker (its byte offset in the descriptor {@link WORKER_MARKER_FD}), which
   * lets it send results in batches; without one it sends each result before the next seed starts.
   */
  readonly markerOffsetBytes?: number;
  /** Longest time a finished result waits in the worker before it is sent (batches end sooner at a chunk's end). */
  readonly flushIntervalMs: number;
  /**
   * A random token the worker puts in every message it sends. The workload runs in the worker's
   * process and can reach its IPC channel (`process.send`, as some libraries call when they find
   * themselves forked): a message without the token is not the worker's and cannot report a seed.
   */
  readonly token: string;
}

/** Messages from the campaign to a worker. */
export type ToWorker =
  | { readonly type: 'setup'; readonly setup: WorkerSetup }
  /** More seeds: queued behind the ones the worker has (the campaign keeps at most a few chunks out). */
  | { readonly type: 'run'; readonly seeds: readonly number[] }
  | { readonly type: 'stop' };

/** Messages from a worker to the campaign, each with the token of its {@link WorkerSetup}. */
export type FromWorker = { readonly token: string } & (
  /** Loaded; `batching` says whether it writes its seed marker and so sends results in batches. */
  | { readonly type: 'ready'; readonly batching: boolean }
  /** Results in the order the seeds were handed out; `cpuMicros` is the worker's CPU time so far. */
  | { readonly type: 'results'; readonly results: readonly SeedResult[]; readonly cpuMicros: number }
  | { readonly type: 'fatal'; readonly message: string });

/** What {@link readWorkerMessage} makes of a message that arrived on a worker's channel. */
export type WorkerMessage =
  | { readonly kind: 'message'; readonly message: FromWorker }
  /** Not the worker's (no token, or another one): something else in its process sent it. */
  | { readonly kind: 'foreign' }
  /** The worker's token on a message of the wrong shape: a bug in the worker, never a verdict. */
  | { readonly kind: 'malformed'; readonly why: string };

function isObject(value: unknown): value is Record<string, unknown> {
  return typeof value === 'object' && value !== null;
}

/** Whether `value` has the shape the campaign reads of a seed result (it must never throw on one). */
function isSeedResult(value: unknown): value is SeedResult {
  if (!isObject(value) || !Number.isSafeInteger(value['seed']) || typeof value['ok'] !== 'boolean' || typeof value['hash'] !== 'string') return false;
  if (typeof value['wallMs'] !== 'number' || typeof value['simTimeMs'] !== 'number') return false;
  const error = value['error'];
  if (value['ok'] === false) return isObject(error) && typeof error['code'] === 'string' && typeof error['message'] === 'string';
  return error === undefined;
}

/**
 * Checks a message from a worker before the campaign acts on it. Messages travel on a channel the
 * workload can write to, so the campaign reads nothing it has not checked: a message without the
 * worker's token is foreign (ignored), and one with the token but the wrong shape is malformed.
 */
export function readWorkerMessage(value: unknown, token: string): WorkerMessage {
  if (!isObject(value) || value['token'] !== token) return { kind: 'foreign' };
  switch (value['type']) {
    case 'ready':
      return typeof value['batching'] === 'boolean' ? { kind: 'message', message: value as FromWorker } : { kind: 'malformed', why: 'a ready message without batching' };
    case 'results': {
      const results = value['results'];
      if (typeof value['cpuMicros'] !== 'number' || !Array.isArray(results)) return { kind: 'malformed', why: 'a results message without its results or CPU time' };
      if (!results.every(isSeedResult)) return { kind: 'malformed', why: 'a result that is not a seed result' };
      return { kind: 'message', message: value as FromWorker };
    }
    case 'fatal':
      return typeof value['message'] === 'string' ? { kind: 'message', message: value as FromWorker } : { kind: 'malformed', why: 'a fatal message without its text' };
    default:
      return { kind: 'malformed', why: 'an unknown message type' };
  }
}

/** The descriptor a worker finds its seed-marker file on. */
export const WORKER_MARKER_FD = 4;

/**
 * V8 sizes the old generation after each full GC from what survived: a seed keeps little alive
 * (~9 MB), so a worker ran a full mark-compact every few seeds (one per ~30 ms, about a fifth of
 * its CPU). Starting the old generation at 64 MB lets garbage from many seeds go in one collection:
 * CPU per seed -13% (measured, `bench/campaign`). V8 clamps it to a smaller `--max-old-space-size`,
 * and a worker given its own `--initial-old-space-size` keeps it.
 */
export const OLD_SPACE_INITIAL_MB = 64;
const INITIAL_OLD_SPACE = '--initial-old-space-size';

/**
 * Node flags a worker process starts with; `coresBusy` when the campaign's workers take every
 * core (see {@link SINGLE_THREADED}).
 */
export function workerExecArgv(workerEntry: string, workloadUrl: string, coresBusy = false): string[] {
  const argv = process.execArgv.filter((flag) => flag !== SINGLE_THREADED_GC && flag !== SINGLE_THREADED);
  if (process.env['FAULTLINE_GC_THREADS'] !== 'default') argv.push(coresBusy ? SINGLE_THREADED : SINGLE_THREADED_GC);
  const given = [...argv, ...(process.env['NODE_OPTIONS'] ?? '').split(/\s+/)].some((flag) => flag.replace(/_/g, '-').startsWith(INITIAL_OLD_SPACE));
  if (!given) argv.push(`${INITIAL_OLD_SPACE}=${OLD_SPACE_INITIAL_MB}`);
  // A TypeScript workload, or faultline itself run from source: the worker needs the loader too.
  if (isTypeScriptPath(workerEntry) || isTypeScriptPath(workloadUrl)) argv.push('--import', typeScriptImportUrl());
  return argv;
}

/**
 * Starts a worker process. Its stdout goes to our stderr: a workload's `console.log` must never
 * mix into `--json` output. `markerFd` (the campaign's seed-marker file, see `seed-marker.ts`) is
 * passed as descriptor {@link WORKER_MARKER_FD}; `coresBusy` says the campaign's workers take every
 * core. It ignores SIGINT (a terminal's Ctrl-C reaches the whole process
 * group): the campaign decides what an interrupt means and ends its workers itself.
 */
export function startWorkerProcess(setup: WorkerSetup, markerFd: number | undefined, coresBusy: boolean): ChildProcess {
  const entry = fileURLToPath(siblingModuleUrl('./worker'));
  const stdio: Array<'ignore' | 'ipc' | number> = ['ignore', 2, 2, 'ipc'];
  if (markerFd !== undefined) stdio[WORKER_MARKER_FD] = markerFd;
  const child = fork(entry, [], { execArgv: workerExecArgv(entry, setup.moduleUrl, coresBusy), stdio, serialization: 'advanced' });
  child.send({ type: 'setup', setup } satisfies ToWorker);
  return child;
}
