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
import { siblingModuleUrl } from './load-workload.js';
import { isTypeScriptPath, typeScriptImportUrl } from './typescript-loader.js';

/**
 * V8's parallel GC helper threads compete with the other workers for the cores: two workers ran
 * at ~1.45x one with them and ~1.8x without (measured). `FAULTLINE_GC_THREADS=default` keeps them.
 */
const SINGLE_THREADED_GC = '--single-threaded-gc';

/** What a worker needs to load the workload. Plain data (the first message it receives). */
export interface WorkerSetup {
  readonly moduleUrl: string;
  readonly specifier: string;
  readonly variant: string | undefined;
  readonly profile: SimProfile;
  readonly faults: FaultPresetName;
  readonly latency: LatencyPresetName;
  readonly options: Readonly<Record<string, string>>;
  /** Interception on for every seed (`--intercept`). */
  readonly intercept: boolean;
  /** Run every seed twice and compare hashes (`--check-determinism`). */
  readonly checkDeterminism: boolean;
}

/** Messages from the campaign to a worker. */
export type ToWorker =
  | { readonly type: 'setup'; readonly setup: WorkerSetup }
  | { readonly type: 'run'; readonly seeds: readonly number[] }
  | { readonly type: 'stop' };

/** Messages from a worker to the campaign. */
export type FromWorker =
  | { readonly type: 'ready' }
  | { readonly type: 'result'; readonly result: import('./run-seed.js').SeedResult }
  | { readonly type: 'idle' }
  | { readonly type: 'fatal'; readonly message: string };

/** Node flags a worker process starts with. */
export function workerExecArgv(workerEntry: string, workloadUrl: string): string[] {
  const argv = process.execArgv.filter((flag) => flag !== SINGLE_THREADED_GC);
  if (process.env['FAULTLINE_GC_THREADS'] !== 'default') argv.push(SINGLE_THREADED_GC);
  // A TypeScript workload, or faultline itself run from source: the worker needs the loader too.
  if (isTypeScriptPath(workerEntry) || isTypeScriptPath(workloadUrl)) argv.push('--import', typeScriptImportUrl());
  return argv;
}

/**
 * Starts a worker process. Its stdout goes to our stderr: a workload's `console.log` must never
 * mix into `--json` output. It ignores SIGINT (a terminal's Ctrl-C reaches the whole process
 * group): the campaign decides what an interrupt means and ends its workers itself.
 */
export function startWorkerProcess(setup: WorkerSetup): ChildProcess {
  const entry = fileURLToPath(siblingModuleUrl('./worker'));
  const child = fork(entry, [], { execArgv: workerExecArgv(entry, setup.moduleUrl), stdio: ['ignore', 2, 2, 'ipc'], serialization: 'advanced' });
  child.send({ type: 'setup', setup } satisfies ToWorker);
  return child;
}
