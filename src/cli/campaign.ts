/**
 * A campaign: one workload over a range of seeds, spread over worker threads.
 *
 * The main thread hands out seeds in small chunks (a worker asks for the next chunk when it is
 * done), so a slow seed never leaves the other cores idle, and at most one chunk per worker is
 * outstanding: memory stays bounded whatever the seed count. With `workers: 0` the seeds run on
 * the calling thread (tests, replay-sized runs).
 */
import { createRequire } from 'node:module';
import { dirname, join } from 'node:path';
import { pathToFileURL } from 'node:url';
import { Worker } from 'node:worker_threads';
import { siblingModuleUrl, type LoadedWorkload } from './load-workload.js';
import { runSeed, type SeedResult } from './run-seed.js';
import type { LatencyPresetName } from './sim-api.js';
import type { FaultPresetName, SimProfile } from './workload.js';

/** Largest chunk of seeds handed to a worker at once. */
export const CHUNK_SEEDS_MAX = 16;
/** Failures kept in a campaign result (the count is always exact). */
export const FAILURES_KEPT_MAX = 1000;

export interface CampaignSpec {
  readonly workload: LoadedWorkload;
  readonly seedFrom: number;
  readonly seedCount: number;
  /** Worker threads; 0 runs on the calling thread. */
  readonly workers: number;
  readonly profile: SimProfile;
  readonly faults: FaultPresetName;
  readonly latency: LatencyPresetName;
  readonly options: Readonly<Record<string, string>>;
  /** Interception on for every seed (`--intercept`). */
  readonly intercept?: boolean;
  /** Run every seed twice and compare hashes (`--check-determinism`). */
  readonly checkDeterminism?: boolean;
  /** Stop handing out seeds after the first failure. */
  readonly failFast?: boolean;
  /** Called after every seed, in completion order. */
  readonly onResult?: (result: SeedResult, progress: CampaignProgress) => void;
}

export interface CampaignProgress {
  readonly done: number;
  readonly failed: number;
  readonly total: number;
}

export interface CampaignResult {
  readonly seedsRun: number;
  readonly passed: number;
  readonly failed: number;
  /** Seeds that passed but stopped checking early (`ctx.excuse`), e.g. on an injected media fault. */
  readonly excused: number;
  /** The failures, sorted by seed (at most {@link FAILURES_KEPT_MAX}). */
  readonly failures: readonly SeedResult[];
  readonly wallMs: number;
  readonly seedsPerSecond: number;
  /** True when `failFast` stopped the campaign early. */
  readonly stoppedEarly: boolean;
}

/** Messages between the main thread and a worker. */
export type ToWorker = { readonly type: 'run'; readonly from: number; readonly count: number } | { readonly type: 'stop' };
export type FromWorker =
  | { readonly type: 'ready' }
  | { readonly type: 'result'; readonly result: SeedResult }
  | { readonly type: 'idle' }
  | { readonly type: 'fatal'; readonly message: string };

/** What a worker needs to load the workload. Plain data (workerData). */
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
}

/** The options a seed runs with: the user's, plus `variant` from a `name:variant` specifier. */
export function seedOptions(workload: LoadedWorkload, options: Readonly<Record<string, string>>): Record<string, string> {
  return { ...options, ...(workload.variant === undefined ? {} : { variant: workload.variant }) };
}

class Tally {
  done = 0;
  failed = 0;
  excused = 0;
  readonly failures: SeedResult[] = [];
  constructor(private readonly spec: CampaignSpec) {}
  add(result: SeedResult): void {
    this.done += 1;
    if (result.ok && result.excused !== undefined) this.excused += 1;
    if (!result.ok) {
      this.failed += 1;
      if (this.failures.length < FAILURES_KEPT_MAX) this.failures.push(result);
    }
    this.spec.onResult?.(result, { done: this.done, failed: this.failed, total: this.spec.seedCount });
  }
}

/** Runs the campaign. Rejects only when a worker cannot start or load the workload. */
export async function runCampaign(spec: CampaignSpec): Promise<CampaignResult> {
  const started = performance.now();
  const tally = new Tally(spec);
  const stoppedEarly = spec.workers === 0 ? await runInline(spec, tally) : await runWorkers(spec, tally);
  const wallMs = performance.now() - started;
  tally.failures.sort((a, b) => a.seed - b.seed);
  return {
    seedsRun: tally.done,
    passed: tally.done - tally.failed,
    failed: tally.failed,
    excused: tally.excused,
    failures: tally.failures,
    wallMs,
    seedsPerSecond: wallMs > 0 ? (tally.done * 1000) / wallMs : 0,
    stoppedEarly,
  };
}

async function runInline(spec: CampaignSpec, tally: Tally): Promise<boolean> {
  const options = seedOptions(spec.workload, spec.options);
  for (let i = 0; i < spec.seedCount; i++) {
    const result = await runSeed(spec.workload.workload, {
      seed: spec.seedFrom + i, profile: spec.profile, faults: spec.faults, latency: spec.latency, options,
      intercept: spec.intercept === true, checkDeterminism: spec.checkDeterminism === true,
    });
    tally.add(result);
    if (!result.ok && spec.failFast === true) return i + 1 < spec.seedCount;
    // Let timers (the progress display) run between seeds.
    if (i % 8 === 7) await new Promise<void>((resolve) => setImmediate(resolve));
  }
  return false;
}

/**
 * Starts one campaign worker. Compiled, the worker is plain JavaScript. From source (tsx, as in
 * `npx mocha --import=tsx`), Node 20 does not apply the parent's loader to a worker's entry, so a
 * tiny bootstrap registers tsx in the worker first, then imports the TypeScript entry.
 */
function startWorker(workerUrl: URL, setup: WorkerSetup): Worker {
  if (!workerUrl.pathname.endsWith('.ts')) return new Worker(workerUrl, { workerData: setup });
  // The ESM entry of tsx's API, found from the package root (its CommonJS twin cannot register hooks here).
  const tsxRoot = dirname(createRequire(import.meta.url).resolve('tsx/package.json'));
  const tsxApi = pathToFileURL(join(tsxRoot, 'dist', 'esm', 'api', 'index.mjs')).href;
  const bootstrap = `import(${JSON.stringify(tsxApi)}).then((m) => { m.register(); return import(${JSON.stringify(workerUrl.href)}); });`;
  return new Worker(bootstrap, { eval: true, workerData: setup });
}

function runWorkers(spec: CampaignSpec, tally: Tally): Promise<boolean> {
  const setup: WorkerSetup = {
    moduleUrl: spec.workload.moduleUrl,
    specifier: spec.workload.specifier,
    variant: spec.workload.variant,
    profile: spec.profile,
    faults: spec.faults,
    latency: spec.latency,
    options: seedOptions(spec.workload, spec.options),
    intercept: spec.intercept === true,
    checkDeterminism: spec.checkDeterminism === true,
  };
  const workerUrl = new URL(siblingModuleUrl('./worker'));
  const count = Math.max(1, Math.min(spec.workers, spec.seedCount));
  let next = spec.seedFrom;
  const end = spec.seedFrom + spec.seedCount;
  let stopping = false;
  let stoppedEarly = false;
  let live = count;

  return new Promise<boolean>((resolve, reject) => {
    const workers: Worker[] = [];
    let settled = false;
    const finish = (err?: Error): void => {
      if (settled) return;
      settled = true;
      for (const worker of workers) void worker.terminate();
      if (err !== undefined) reject(err);
      else resolve(stoppedEarly);
    };
    const assign = (worker: Worker): void => {
      if (stopping || next >= end) {
        worker.postMessage({ type: 'stop' } satisfies ToWorker);
        return;
      }
      const remaining = end - next;
      const chunk = Math.max(1, Math.min(CHUNK_SEEDS_MAX, Math.floor(remaining / (count * 4))));
      worker.postMessage({ type: 'run', from: next, count: chunk } satisfies ToWorker);
      next += chunk;
    };
    for (let i = 0; i < count; i++) {
      const worker = startWorker(workerUrl, setup);
      workers.push(worker);
      worker.on('message', (message: FromWorker) => {
        switch (message.type) {
          case 'ready':
          case 'idle':
            assign(worker);
            break;
          case 'result':
            tally.add(message.result);
            if (!message.result.ok && spec.failFast === true && !stopping) {
              stopping = true;
              stoppedEarly = next < end;
            }
            break;
          case 'fatal':
            finish(new Error(message.message));
            break;
        }
      });
      worker.on('error', (err) => finish(err));
      worker.on('exit', () => {
        live -= 1;
        if (live === 0) finish();
      });
    }
  });
}
