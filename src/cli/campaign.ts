/**
 * A campaign: one workload over a range of seeds, spread over worker processes.
 *
 * The coordinator hands out seeds in small chunks, {@link CHUNKS_AHEAD} per worker at a time (the
 * next one waits in the worker, so it never idles waiting for the coordinator), so a slow seed never
 * leaves the other cores idle and memory stays bounded whatever the seed count. Workers send results
 * in batches (`worker.ts`): the coordinator's process wakes a few times per chunk, not once per seed,
 * and takes that much less CPU from the workers. With `workers: 0` the seeds run in the calling
 * process (tests, replay-sized runs; no seed timeout there).
 *
 * Every seed is accounted for: a worker that exits, crashes, runs out of memory or is killed fails
 * the seed it was running (`ERR_WORKER_EXIT`, with the exit code or signal), a seed that runs past
 * the real-time limit fails with `ERR_SEED_TIMEOUT` and its worker is killed; either way the seeds it
 * finished without reporting them (its seed marker says which, `seed-marker.ts`) and the ones it never
 * started go back in the queue, and a fresh worker takes over. A seed whose finished result is lost
 * again and again fails with `ERR_RESULT_LOST`, and a worker that never finishes loading the
 * workload ends the campaign, so no death or stall is retried without a bound. Only messages with
 * the worker's token count (`worker-process.ts`). The verdict comes from a
 * {@link SeedLedger}, so a seed without a result is named as missing and fails the campaign.
 */
import type { ChildProcess } from 'node:child_process';
import { randomBytes } from 'node:crypto';
import { availableParallelism } from 'node:os';
import { SeedMarkerFile } from './seed-marker.js';
import { UsageError } from './usage-error.js';
import type { LoadedWorkload } from './load-workload.js';
import { runSeed, type SeedResult } from './run-seed.js';
import { SeedLedger, MISSING_NAMED_MAX } from './seed-ledger.js';
import { rangePlan, type SeedPlan } from './seed-plan.js';
import type { LatencyPresetName } from './sim-api.js';
import { readWorkerMessage, startWorkerProcess, type SeedExtras, type ToWorker, type WorkerSetup } from './worker-process.js';
import type { FaultPresetName, SimProfile } from './workload.js';

export type { FromWorker, SeedExtras, ToWorker, WorkerSetup } from './worker-process.js';

/** Largest chunk of seeds handed to a worker at once. */
export const CHUNK_SEEDS_MAX = 32;
/** Chunks a worker holds: the one it runs and the next, so it never waits for the campaign between chunks. */
export const CHUNKS_AHEAD = 2;
/**
 * Longest a finished result waits in its worker before it is sent (a chunk's end and a failure
 * send at once). Bounds how stale the progress display is, and adds to the seed timeout's slack.
 */
export const RESULT_FLUSH_INTERVAL_MS = 100;
/** Failures kept in a campaign result: the lowest seeds (the count is always exact). */
export const FAILURES_KEPT_MAX = 1000;
/** Real time a seed may run before it fails with `ERR_SEED_TIMEOUT` (`--seed-timeout`). */
export const SEED_TIMEOUT_MS_DEFAULT = 60_000;
/** Workers that may die or stall between seeds (holding no seed) before the campaign gives up. */
export const IDLE_WORKER_DEATHS_MAX = 16;
/**
 * Times one seed's result may be lost (its worker finished the seed, then died or stopped
 * reporting before the result arrived) before the seed fails with `ERR_RESULT_LOST`. A lost result
 * is normally recovered by running the seed again (it is deterministic); a seed that loses its own
 * result every time (it writes to the worker's IPC channel, say) would otherwise be run for ever.
 */
export const RESULT_LOSSES_MAX = 2;
/**
 * Real time a worker may take to start and load the workload before the campaign gives up on it
 * (or the seed timeout, when longer): a module that never finishes loading in a worker would
 * otherwise hang the campaign, since the seed timeout only starts with a seed.
 */
export const WORKER_LOAD_TIMEOUT_MS = 60_000;

export interface CampaignSpec {
  readonly workload: LoadedWorkload;
  /** The range `seedFrom..seedFrom+seedCount-1`, unless {@link CampaignSpec.plan} says otherwise. */
  readonly seedFrom: number;
  readonly seedCount: number;
  /** The seeds to run (default: the range above); a stream plan makes a continuous campaign. */
  readonly plan?: SeedPlan;
  /** Continuous mode: hand out no more seeds after this much real time. */
  readonly durationMs?: number;
  /** Continuous mode: hand out no more seeds once this many have failed. */
  readonly failuresMax?: number;
  /** Worker processes; 0 runs on the calling thread. */
  readonly workers: number;
  readonly profile: SimProfile;
  readonly faults: FaultPresetName;
  readonly latency: LatencyPresetName;
  readonly options: Readonly<Record<string, string>>;
  /** Interception on for every seed (`--intercept`). */
  readonly intercept?: boolean;
  /** Run every seed twice and compare hashes (`--check-determinism`). */
  readonly checkDeterminism?: boolean;
  /** Stop handing out seeds after the first failure (seeds already running finish). */
  readonly failFast?: boolean;
  /** Seed options beyond the campaign's (a replay's trace, a shrink's vetoes). */
  readonly seedExtras?: SeedExtras;
  /** Real time one seed may take on a worker (default {@link SEED_TIMEOUT_MS_DEFAULT}). */
  readonly seedTimeoutMs?: number;
  /** Real time a worker may take to load the workload (default: {@link WORKER_LOAD_TIMEOUT_MS}, or the seed timeout when longer). */
  readonly loadTimeoutMs?: number;
  /** Aborting stops the campaign (workers are killed); its reason (e.g. `'SIGINT'`) is reported. */
  readonly signal?: AbortSignal;
  /**
   * Called after every seed, in completion order. If it throws (an `--out` file that cannot be
   * written), the campaign stops and rejects with that error: no verdict without its record.
   */
  readonly onResult?: (result: SeedResult, progress: CampaignProgress) => void;
}

export interface CampaignProgress {
  readonly done: number;
  readonly failed: number;
  readonly total: number;
  /** Every seed below this one has a result: failures below it can be reported in seed order. */
  readonly doneBelow: number;
}

export interface CampaignResult {
  /** Seeds asked for (a continuous campaign: the seeds it ran). */
  readonly seedCount: number;
  /** Seeds with a result (checked: each seed of the range counted once). */
  readonly seedsRun: number;
  readonly passed: number;
  readonly failed: number;
  /** Seeds that passed but stopped checking early (`ctx.excuse`), e.g. on an injected media fault. */
  readonly excused: number;
  /** The lowest failing seeds, sorted (at most {@link FAILURES_KEPT_MAX}). */
  readonly failures: readonly SeedResult[];
  /** Seeds of the range without a result. Zero unless stopped early or interrupted, or a runner bug. */
  readonly missingCount: number;
  /** The first missing seeds (at most {@link MISSING_NAMED_MAX}). */
  readonly missing: readonly number[];
  /** Every seed of a range below this one has a result: where an interrupted range resumes (`--from`). */
  readonly resumeFrom?: number;
  readonly wallMs: number;
  readonly seedsPerSecond: number;
  /** True when `failFast` stopped the campaign before every seed was handed out. */
  readonly stoppedEarly: boolean;
  /** A continuous campaign's reason to stop: its duration ran out, or enough seeds failed. */
  readonly stoppedBy?: 'duration' | 'failures';
  /** The abort reason when the campaign was interrupted (e.g. `'SIGINT'`). */
  readonly interrupted?: string;
  /**
   * CPU time of the worker processes (start-up included) as they last reported it, each with its
   * last batch of results; 0 when the seeds ran in the calling process.
   */
  readonly workerCpuMs: number;
}

/** The options a seed runs with: the user's, plus `variant` from a `name:variant` specifier. */
export function seedOptions(workload: LoadedWorkload, options: Readonly<Record<string, string>>): Record<string, string> {
  return { ...options, ...(workload.variant === undefined ? {} : { variant: workload.variant }) };
}

/** A failing seed the runner made up for a worker that died or timed out. */
function runnerFailure(seed: number, wallMs: number, code: string, message: string): SeedResult {
  return { seed, ok: false, hash: '', simTimeMs: 0, wallMs, error: { code, message } };
}

class Tally {
  failed = 0;
  workerCpuMicros = 0;
  excused = 0;
  /** The lowest failing seeds, sorted; bounded by FAILURES_KEPT_MAX. */
  readonly failures: SeedResult[] = [];
  readonly ledger: SeedLedger;
  constructor(private readonly spec: CampaignSpec, private readonly plan: SeedPlan) {
    this.ledger = new SeedLedger(plan.count);
  }
  /** Records the result of the seed at `index` of the plan. */
  add(result: SeedResult, index: number): void {
    // A result the ledger refuses (a duplicate, or not the seed at that index) is not counted twice.
    if (this.plan.seedAt(index) !== result.seed || !this.ledger.mark(index)) return;
    if (result.ok && result.excused !== undefined) this.excused += 1;
    if (!result.ok) {
      this.failed += 1;
      this.keep(result);
    }
    const doneBelow = this.plan.rangeFrom === undefined ? -1 : this.plan.rangeFrom + this.ledger.doneBelow;
    this.spec.onResult?.(result, { done: this.ledger.done, failed: this.failed, total: this.plan.count, doneBelow });
  }
  private keep(result: SeedResult): void {
    const list = this.failures;
    if (list.length >= FAILURES_KEPT_MAX && result.seed > list[list.length - 1]!.seed) return;
    let at = list.length;
    while (at > 0 && list[at - 1]!.seed > result.seed) at -= 1;
    list.splice(at, 0, result);
    if (list.length > FAILURES_KEPT_MAX) list.pop();
  }
}

/** Why seeds stopped being handed out before the plan's end. */
type StopReason = 'fail-fast' | 'duration' | 'failures' | undefined;

/** Runs the campaign. Rejects (with a UsageError) only when a worker cannot start or load the workload. */
export async function runCampaign(spec: CampaignSpec): Promise<CampaignResult> {
  const started = performance.now();
  const plan = spec.plan ?? rangePlan(spec.seedFrom, spec.seedCount);
  const tally = new Tally(spec, plan);
  const stop = spec.workers === 0 ? await runInline(spec, plan, tally) : await runWorkers(spec, plan, tally);
  const wallMs = performance.now() - started;
  const ledger = tally.ledger;
  const interrupted = spec.signal?.aborted === true ? String(spec.signal.reason ?? 'aborted') : undefined;
  const stream = plan.rangeFrom === undefined;
  // A stream has no end: what it ran is what it asked for (a seed it handed out still has a result or a failure).
  const missingCount = stream ? 0 : ledger.missingCount;
  return {
    seedCount: stream ? ledger.done : plan.count,
    seedsRun: ledger.done,
    passed: ledger.done - tally.failed,
    failed: tally.failed,
    excused: tally.excused,
    failures: tally.failures,
    missingCount,
    missing: stream ? [] : ledger.missing(MISSING_NAMED_MAX).map((index) => plan.seedAt(index)),
    ...(plan.rangeFrom === undefined ? {} : { resumeFrom: plan.rangeFrom + ledger.doneBelow }),
    wallMs,
    seedsPerSecond: wallMs > 0 ? (ledger.done * 1000) / wallMs : 0,
    stoppedEarly: stop === 'fail-fast' && missingCount > 0,
    ...(stop === 'duration' || stop === 'failures' ? { stoppedBy: stop } : {}),
    ...(interrupted === undefined ? {} : { interrupted }),
    workerCpuMs: tally.workerCpuMicros / 1000,
  };
}

/** The stop rule of a campaign, checked as results arrive and seeds are handed out. */
function stopRule(spec: CampaignSpec, started: number, tally: Tally): () => StopReason {
  return () => {
    if (spec.failFast === true && tally.failed > 0) return 'fail-fast';
    if (spec.failuresMax !== undefined && tally.failed >= spec.failuresMax) return 'failures';
    if (spec.durationMs !== undefined && performance.now() - started >= spec.durationMs) return 'duration';
    return undefined;
  };
}

/** Runs the seeds in this process; resolves with why it stopped early, if it did. */
async function runInline(spec: CampaignSpec, plan: SeedPlan, tally: Tally): Promise<StopReason> {
  const options = seedOptions(spec.workload, spec.options);
  const shouldStop = stopRule(spec, performance.now(), tally);
  for (let i = 0; i < plan.count; i++) {
    if (spec.signal?.aborted === true) return undefined;
    const stop = shouldStop();
    if (stop !== undefined) return stop;
    const result = await runSeed(spec.workload.workload, {
      seed: plan.seedAt(i), profile: spec.profile, faults: spec.faults, latency: spec.latency, options,
      intercept: spec.intercept === true, checkDeterminism: spec.checkDeterminism === true, ...spec.seedExtras,
    });
    tally.add(result, i);
    // Let timers (the progress display) and signals run between seeds.
    if (i % 8 === 7) await new Promise<void>((resolve) => setImmediate(resolve));
  }
  return shouldStop();
}

/** One worker process and the seeds it holds. */
interface Slot {
  readonly child: ChildProcess;
  /** The token its messages carry (see {@link WorkerSetup.token}). */
  readonly token: string;
  /** Its slot in the seed-marker file, when it has one. */
  readonly markerOffsetBytes: number | undefined;
  ready: boolean;
  /** It writes its seed marker and sends results in batches (else one by one, each before the next seed). */
  batching: boolean;
  /** Indices (in the plan) handed to it and not yet reported, in the order it runs them. */
  readonly pending: number[];
  /** The sizes of the chunks those came in, the first one possibly partly reported. */
  readonly chunks: number[];
  /** Results received from it. */
  got: number;
  /** When it last showed progress: a batch of results, or seeds handed to it while it had none. */
  progressMs: number;
  /** Its CPU time as of its last batch. */
  cpuMicros: number;
  /** Set when we end the worker ourselves: its exit is not a failure. */
  retiring: boolean;
  /** Set when we killed it for running past the seed timeout (or, before it was ready, the load timeout). */
  timedOut: boolean;
  /** Set once we sent it SIGKILL (for a timeout, an interrupt or a fatal error). */
  killed: boolean;
}

function exitDescription(code: number | null, signal: NodeJS.Signals | null): string {
  return signal !== null ? `was killed by signal ${signal}` : `exited with code ${code ?? '?'}`;
}

/** What a dead worker's seed marker says about the seeds it held. */
interface DeathPoint {
  /** How many of its pending seeds (the first ones) it finished without reporting them. */
  readonly unreported: number;
  /** The position among its pending seeds of the seed it died in, if it died inside one. */
  readonly inside: number | undefined;
}

/** Where among its pending seeds a worker died (see {@link DeathPoint}). */
function deathPoint(slot: Slot, markers: SeedMarkerFile | undefined): DeathPoint {
  const pending = slot.pending.length;
  const counts = slot.batching && markers !== undefined && slot.markerOffsetBytes !== undefined ? markers.read(slot.markerOffsetBytes) : undefined;
  if (counts !== undefined) {
    const rerun = counts.finished - slot.got;
    const inside = counts.started - counts.finished;
    if (rerun >= 0 && rerun <= pending && (inside === 0 || inside === 1)) {
      return { unreported: rerun, inside: inside === 1 && rerun < pending ? rerun : undefined };
    }
  }
  // No (usable) marker: each result was sent before the next seed started, so the first pending
  // seed is the one it was running (or about to run).
  return { unreported: 0, inside: pending > 0 ? 0 : undefined };
}

/** Runs the seeds on worker processes; resolves with why it stopped early, if it did. */
function runWorkers(spec: CampaignSpec, plan: SeedPlan, tally: Tally): Promise<StopReason> {
  const markers = SeedMarkerFile.open();
  const setup: Omit<WorkerSetup, 'token'> = {
    moduleUrl: spec.workload.moduleUrl,
    specifier: spec.workload.specifier,
    variant: spec.workload.variant,
    profile: spec.profile,
    faults: spec.faults,
    latency: spec.latency,
    options: seedOptions(spec.workload, spec.options),
    intercept: spec.intercept === true,
    checkDeterminism: spec.checkDeterminism === true,
    ...(spec.seedExtras === undefined ? {} : { extras: spec.seedExtras }),
    flushIntervalMs: RESULT_FLUSH_INTERVAL_MS,
  };
  const timeoutMs = spec.seedTimeoutMs ?? SEED_TIMEOUT_MS_DEFAULT;
  const loadTimeoutMs = spec.loadTimeoutMs ?? Math.max(timeoutMs, WORKER_LOAD_TIMEOUT_MS);
  const count = Math.max(1, Math.min(spec.workers, plan.count));
  // With a core to spare, V8's background compilation in the workers costs no one anything.
  const coresBusy = count >= availableParallelism();
  let next = 0;
  const end = plan.count;
  /** Indices handed out whose worker died before reporting them: run first (bounded by the seeds out). */
  const requeued: number[] = [];
  /**
   * Requeued indices whose result was lost (finished, never received), with how often. They run
   * one per chunk, so each result is sent before the next seed starts and the seed that loses its
   * own result is the first one without a result. Entries go when a result arrives, so both stay
   * bounded by the seeds out.
   */
  const losses = new Map<number, number>();
  const suspects = new Set<number>();
  let stopping = false;
  let stopReason: StopReason;
  let idleDeaths = 0;
  const shouldStop = stopRule(spec, performance.now(), tally);

  return new Promise<StopReason>((resolve, reject) => {
    const slots = new Set<Slot>();
    let settled = false;
    let failure: Error | undefined;
    const workLeft = (): boolean => requeued.length > 0 || next < end;

    const finishIfDone = (): void => {
      if (settled || slots.size > 0) return;
      settled = true;
      clearInterval(watchdog);
      markers?.close();
      spec.signal?.removeEventListener('abort', onAbort);
      if (failure !== undefined) reject(failure);
      else resolve(stopReason);
    };
    const retire = (slot: Slot, how: 'stop' | 'kill'): void => {
      if (slot.retiring && how === 'stop') return;
      slot.retiring = true;
      if (how === 'kill' || !slot.child.connected) {
        slot.killed = true;
        slot.child.kill('SIGKILL');
      }
      else slot.child.send({ type: 'stop' } satisfies ToWorker);
    };
    const stopAll = (how: 'stop' | 'kill'): void => {
      stopping = true;
      for (const slot of slots) retire(slot, how);
    };
    const fatal = (err: Error): void => {
      failure ??= err;
      stopAll('kill');
    };
    const take = (): number[] => {
      if (requeued.length > 0 && suspects.has(requeued[0]!)) return requeued.splice(0, 1);
      const remaining = requeued.length + (end - next);
      const size = Math.max(1, Math.min(CHUNK_SEEDS_MAX, Math.floor(remaining / (count * 4))));
      const seeds = requeued.splice(0, size);
      while (seeds.length < size && next < end) seeds.push(next++);
      return seeds;
    };
    /** Stops handing out seeds when the stop rule says so (fail-fast, failures, duration). */
    const checkStop = (): void => {
      if (stopping) return;
      const reason = shouldStop();
      if (reason === undefined) return;
      stopReason = reason;
      stopAll('stop');
    };
    /** Keeps {@link CHUNKS_AHEAD} chunks on the worker; ends it when there is nothing left for it. */
    const topUp = (slot: Slot): void => {
      checkStop();
      if (slot.retiring) return;
      while (!stopping && slot.chunks.length < CHUNKS_AHEAD && workLeft()) {
        const indices = take();
        if (slot.pending.length === 0) slot.progressMs = performance.now();
        slot.pending.push(...indices);
        slot.chunks.push(indices.length);
        slot.child.send({ type: 'run', seeds: indices.map((index) => plan.seedAt(index)) } satisfies ToWorker);
      }
      if (slot.pending.length === 0) retire(slot, 'stop');
    };
    const onResults = (slot: Slot, results: readonly SeedResult[]): void => {
      if (results.length > slot.pending.length) {
        fatal(new Error(`internal error: a worker sent ${results.length} results for the ${slot.pending.length} seeds it held`));
        return;
      }
      slot.progressMs = performance.now();
      // Without a marker, a result for the seed the watchdog was killing it for means the kill
      // now ends a worker between seeds: no seed to blame.
      if (!slot.batching) slot.timedOut = false;
      for (const result of results) {
        // Results come in the order the seeds were handed out.
        const index = slot.pending.shift();
        slot.got += 1;
        if (slot.chunks.length > 0) {
          slot.chunks[0]! -= 1;
          if (slot.chunks[0] === 0) slot.chunks.shift();
        }
        if (index !== undefined) {
          losses.delete(index);
          suspects.delete(index);
          tally.add(result, index);
        }
      }
      topUp(slot);
    };
    const onDeath = (slot: Slot, code: number | null, signal: NodeJS.Signals | null): void => {
      slots.delete(slot);
      tally.workerCpuMicros += slot.cpuMicros;
      const pending = slot.pending;
      const { unreported, inside: inFlight } = deathPoint(slot, markers);
      const blamed = !slot.retiring || slot.timedOut;
      if (blamed) {
        if (!slot.ready) {
          fatal(new UsageError(slot.timedOut
            ? `a worker process did not finish loading the workload '${spec.workload.specifier}' within ${loadTimeoutMs / 1000}s of real time (does its module wait for something when imported in a worker?)`
            : `a worker process ${exitDescription(code, signal)} while loading the workload '${spec.workload.specifier}' (does its module exit or crash when imported?)`));
        } else if (inFlight !== undefined) {
          const index = pending[inFlight]!;
          losses.delete(index);
          suspects.delete(index);
          const wallMs = performance.now() - slot.progressMs;
          const seed = plan.seedAt(index);
          // A one-seed run (a replay) has no campaign to go on with.
          const onward = plan.count > 1;
          tally.add(slot.timedOut
            ? runnerFailure(seed, wallMs, 'ERR_SEED_TIMEOUT', `the seed ran longer than ${timeoutMs / 1000}s of real time (--seed-timeout): a loop that never yields, or a workload that waits on real time; its worker was killed${onward ? ' and replaced' : ''}`)
            : runnerFailure(seed, wallMs, 'ERR_WORKER_EXIT', `the worker process running this seed ${exitDescription(code, signal)} (the workload called process.exit, crashed, ran out of memory or was killed)${onward ? '; the campaign went on with a fresh worker' : ''}`), index);
          checkStop();
        } else if (unreported === 0 && ++idleDeaths > IDLE_WORKER_DEATHS_MAX) {
          // Dying or stalling (killed on the timeout with no seed inside) between seeds, again and again.
          fatal(new Error(`worker processes keep exiting or stalling between seeds (${exitDescription(code, signal)}, ${idleDeaths} times)`));
        }
      }
      // Seeds it finished without reporting run again (deterministic: same result), one per chunk;
      // with those, the seeds it never started go back to the queue. When no seed was to blame for
      // the death, the first seed without a result may be what broke the worker: a seed whose
      // result keeps getting lost that way fails instead of running for ever.
      const died = blamed && inFlight !== undefined;
      for (let i = 0; i < pending.length; i++) {
        const index = pending[i]!;
        if (died && i === inFlight) continue;
        if (i < unreported) {
          suspects.add(index);
          if (i === 0 && !died) {
            const lost = (losses.get(index) ?? 0) + 1;
            losses.set(index, lost);
            if (lost >= RESULT_LOSSES_MAX) {
              losses.delete(index);
              suspects.delete(index);
              tally.add(runnerFailure(plan.seedAt(index), 0, 'ERR_RESULT_LOST', `the seed finished but its result never reached the campaign, ${lost} times: its worker process ${exitDescription(code, signal)} or stopped reporting before sending it (does the workload write to the worker's IPC channel, descriptor 3?)`), index);
              checkStop();
              continue;
            }
          }
        }
        requeued.push(index);
      }
      if (!stopping && workLeft()) spawn();
      finishIfDone();
    };
    const spawn = (): void => {
      let child: ChildProcess;
      const markerOffsetBytes = markers?.allocate();
      const token = randomBytes(16).toString('hex');
      try {
        child = startWorkerProcess({ ...setup, token, ...(markerOffsetBytes === undefined ? {} : { markerOffsetBytes }) }, markers?.fd, coresBusy);
      } catch (err) {
        fatal(err instanceof Error ? err : new Error(String(err)));
        return;
      }
      const slot: Slot = {
        child, token, markerOffsetBytes, ready: false, batching: false, pending: [], chunks: [], got: 0,
        progressMs: performance.now(), cpuMicros: 0, retiring: false, timedOut: false, killed: false,
      };
      slots.add(slot);
      child.on('message', (raw: unknown) => {
        const read = readWorkerMessage(raw, token);
        // Sent by the workload or a library in the worker's process, not by the worker: it reports nothing.
        if (read.kind === 'foreign') return;
        if (read.kind === 'malformed') {
          fatal(new Error(`internal error: a worker sent ${read.why}`));
          return;
        }
        const message = read.message;
        try {
          switch (message.type) {
            case 'ready':
              slot.ready = true;
              slot.batching = message.batching && markerOffsetBytes !== undefined;
              topUp(slot);
              break;
            case 'results':
              slot.cpuMicros = message.cpuMicros;
              onResults(slot, message.results);
              break;
            case 'fatal':
              // The command loaded the workload itself first, so this is the module behaving differently in a worker.
              fatal(new UsageError(`a worker process could not load the workload: ${message.message}`));
              break;
          }
        } catch (err) {
          // An `onResult` that threw (an `--out` file that cannot be written): stop, and report that error.
          fatal(err instanceof Error ? err : new Error(String(err)));
        }
      });
      // A failed send (the worker died meanwhile) surfaces as 'close'; nothing to do here.
      child.on('error', () => undefined);
      // 'close' comes after every message the worker sent has been delivered.
      child.on('close', (code, signal) => {
        try {
          onDeath(slot, code, signal);
        } catch (err) {
          // The failure `onDeath` records reached an `onResult` that threw: stop, as for a result.
          fatal(err instanceof Error ? err : new Error(String(err)));
          finishIfDone();
        }
      });
    };

    // A batching worker may hold a finished result up to the flush interval: the seed it runs
    // now started at most that long after its last batch.
    const limitMs = (slot: Slot): number => timeoutMs + (slot.batching ? RESULT_FLUSH_INTERVAL_MS : 0);
    const watchdog = setInterval(() => {
      checkStop();
      const now = performance.now();
      for (const slot of slots) {
        if (slot.killed) continue;
        // A worker asked to stop is still watched: it stops only after the seed it runs.
        const late = slot.ready ? slot.pending.length > 0 && now - slot.progressMs > limitMs(slot) : now - slot.progressMs > loadTimeoutMs;
        if (late) {
          slot.timedOut = true;
          retire(slot, 'kill');
        }
      }
    }, Math.max(50, Math.min(1000, timeoutMs / 4, spec.durationMs ?? Infinity)));
    watchdog.unref();
    const onAbort = (): void => stopAll('kill');
    spec.signal?.addEventListener('abort', onAbort);
    if (spec.signal?.aborted === true) stopping = true;
    else for (let i = 0; i < count; i++) spawn();
    finishIfDone();
  });
}
