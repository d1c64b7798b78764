/**
 * Runs one seed of a workload: builds the simulation and the {@link WorkloadContext}, runs the
 * workload inside `sim.run`, and turns the outcome into a plain, serialisable {@link SeedResult}
 * (it crosses worker-thread boundaries and ends up in `--json` output).
 */
import { createSimulation, decidedFaults, faultRecords, formatTrace, injectedFaultRecord, injectedFaults, type FaultOccurrence, type SimulationHandle, type SimulationSpec } from './sim-api.js';
import type { Workload, WorkloadContext, WorkloadNode } from './workload.js';
import { describeDivergence, findDivergence, nondeterminismError } from '../determinism/divergence.js';

/** Lines of workload log kept per seed (the oldest are dropped). */
export const LOG_LINES_MAX = 200;
/** Longest log line kept, in characters (the rest is cut, and the cut says so). */
export const LOG_LINE_CHARS_MAX = 2000;
/**
 * Longest error message, stack or excuse kept with a seed's result, in characters. A result
 * crosses the IPC channel and the lowest thousand failures stay in the campaign's memory: a
 * workload that throws a 20 MB message must not make that 20 GB.
 */
export const ERROR_TEXT_CHARS_MAX = 16_000;

/** `text`, cut to `maxChars` with a note of how long it was. */
export function capText(text: string, maxChars: number): string {
  return text.length <= maxChars ? text : `${text.slice(0, maxChars)}... (${text.length} characters, cut)`;
}
/** Trace events shown with a failure. */
export const FAILURE_TRACE_EVENTS = 20;

/** What to run. Plain data: it crosses to worker processes. */
/** One seed's run: the simulation it builds (see {@link SimulationSpec}), plus what the runner does with it. */
export interface SeedSpec extends SimulationSpec {
  readonly options: Readonly<Record<string, string>>;
  /** Trace events to return with a failure (all kept ones with `Infinity`-like large values). */
  readonly traceEvents?: number;
  /** Return the trace and log even when the seed passes (replay). */
  readonly keepTrace?: boolean;
  /** Run the seed twice and fail it with `ERR_NONDETERMINISM` when the hashes differ. */
  readonly checkDeterminism?: boolean;
}

/** The error a failing seed ended with. */
export interface SeedError {
  readonly code: string;
  readonly message: string;
  readonly stack?: string;
  /** The error's `details` (a StorageError's), as plain JSON; absent when it had none. */
  readonly details?: Readonly<Record<string, unknown>>;
  /** Set when the simulator injected this error (or the error it was caused by). */
  readonly injected?: InjectedFault;
}

/** A fault the simulator injected, behind a seed's error. */
export interface InjectedFault {
  /** The fault kind, e.g. `fsyncError`. */
  readonly kind: string;
  /** Its trace record, when the trace still holds it. */
  readonly record?: string;
}

/** Causes followed when looking for an injected fault behind an error. */
const CAUSE_DEPTH_MAX = 4;

/** The injected fault kind and path behind `err` (itself or a `cause`), if any. */
function injectedBehind(err: unknown): { kind: string; path: string | undefined } | undefined {
  let current: unknown = err;
  for (let depth = 0; depth <= CAUSE_DEPTH_MAX && typeof current === 'object' && current !== null; depth++) {
    const details: unknown = (current as { details?: unknown }).details;
    if (typeof details === 'object' && details !== null) {
      const { injected, path } = details as { injected?: unknown; path?: unknown };
      if (typeof injected === 'string') return { kind: injected, path: typeof path === 'string' ? path : undefined };
    }
    current = (current as { cause?: unknown }).cause;
  }
  return undefined;
}

/** Longest `details` kept with a failure, in JSON characters (a huge one is cut, not kept). */
export const ERROR_DETAILS_CHARS_MAX = 16_000;

/** The error's `details` as plain JSON (they cross process boundaries), or undefined. */
function plainDetails(err: Error): Record<string, unknown> | undefined {
  const raw: unknown = (err as Error & { details?: unknown }).details;
  if (typeof raw !== 'object' || raw === null) return undefined;
  try {
    const json = JSON.stringify(raw);
    if (json === undefined || json === '{}') return undefined;
    if (json.length > ERROR_DETAILS_CHARS_MAX) return { truncated: true, lengthChars: json.length };
    return JSON.parse(json) as Record<string, unknown>;
  } catch {
    return undefined;
  }
}

/** The outcome of one seed. */
export interface SeedResult {
  readonly seed: number;
  readonly ok: boolean;
  /** `sim.hash()` at the end: identical on every run of the same seed. */
  readonly hash: string;
  /** Simulated milliseconds the run took. */
  readonly simTimeMs: number;
  /** Real milliseconds the run took. */
  readonly wallMs: number;
  readonly error?: SeedError;
  /** Set when the workload excused itself (`ctx.excuse`): why it stopped checking early. */
  readonly excused?: string;
  /** The last trace events (failures, or every run with `keepTrace`). */
  readonly trace?: string;
  /** The workload's log lines (failures, or with `keepTrace`). */
  readonly log?: readonly string[];
  /** With a determinism check that failed: where the two runs first differ, one line each. */
  readonly divergence?: readonly string[];
  /** With `trackFaults`: the faults injected, in order, and the trace's fault records. */
  readonly decidedFaults?: readonly FaultOccurrence[];
  readonly faultRecords?: readonly string[];
}

/** Trace records kept per run by a determinism check, so the first difference can be shown. */
export const DETERMINISM_TRACE_CAPACITY = 1 << 16;

/**
 * `read()`, or `fallback` when it throws. What a workload throws is its own value: a getter or a
 * Proxy trap on it may throw, and describing the failure must never fail (`runSeed` never rejects;
 * a rejection would leave a campaign worker stuck until the seed timeout, and the seed unexplained).
 */
function tryRead<T>(read: () => T, fallback: T): T {
  try {
    return read();
  } catch {
    return fallback;
  }
}

/** Said for a value whose text cannot be read (`String()` threw, or a getter did). */
const UNREADABLE = '(a value whose text cannot be read)';

/** `String(value)`, or {@link UNREADABLE} when that throws. */
function textOf(value: unknown): string {
  return tryRead(() => String(value), UNREADABLE);
}

function describeError(err: unknown): SeedError {
  if (tryRead(() => err instanceof Error, false)) {
    const error = err as Error & { code?: unknown };
    const raw = tryRead(() => error.code, undefined);
    const name = tryRead(() => error.name, undefined);
    const code = typeof raw === 'string' ? raw : typeof name === 'string' ? name : 'Error';
    const message = tryRead<unknown>(() => error.message, UNREADABLE);
    const stack = tryRead(() => error.stack, undefined);
    const details = tryRead(() => plainDetails(error), undefined);
    return {
      code: capText(code, ERROR_TEXT_CHARS_MAX),
      message: capText(typeof message === 'string' ? message : textOf(message), ERROR_TEXT_CHARS_MAX),
      ...(typeof stack === 'string' ? { stack: capText(stack, ERROR_TEXT_CHARS_MAX) } : {}),
      ...(details === undefined ? {} : { details }),
    };
  }
  return { code: 'ERR_THROWN', message: capText(textOf(err), ERROR_TEXT_CHARS_MAX) };
}

function formatPart(part: unknown): string {
  if (typeof part === 'string') return part;
  if (tryRead(() => part instanceof Error, false)) {
    const error = part as Error;
    return `${textOf(tryRead(() => error.name, undefined))}: ${textOf(tryRead(() => error.message, undefined))}`;
  }
  return tryRead(() => JSON.stringify(part) ?? String(part), undefined) ?? textOf(part);
}

/** Builds the context a workload's `run` receives. */
export function makeContext(sim: SimulationHandle, spec: SeedSpec, log: string[], onExcuse: (reason: string) => void = () => undefined): WorkloadContext {
  const nodes = new Map<string, WorkloadNode>();
  const addLine = (parts: readonly unknown[]): void => {
    if (log.length >= LOG_LINES_MAX) log.shift();
    log.push(capText(`[t=${sim.clock.now().toFixed(3)}ms] ${parts.map(formatPart).join(' ')}`, LOG_LINE_CHARS_MAX));
  };
  return {
    sim,
    seed: spec.seed,
    profile: spec.profile,
    faults: spec.faults,
    latency: spec.latency,
    options: Object.freeze({ ...spec.options }),
    node(name: string): WorkloadNode {
      let node = nodes.get(name);
      if (node === undefined) {
        const inner = sim.node(name);
        node = {
          name,
          get io() {
            return inner.io;
          },
          crash: () => inner.crash(),
          restart: () => inner.restart(),
          injectedFaults: () => injectedFaults(sim, name),
          within: (fn) => inner.within(fn),
        };
        nodes.set(name, node);
      }
      return node;
    },
    random: () => sim.random(),
    randomInt: (n: number) => Math.floor(sim.random() * n),
    excuse(reason: string): void {
      const text = capText(textOf(reason), ERROR_TEXT_CHARS_MAX);
      onExcuse(text);
      addLine([`excused: ${text}`]);
    },
    log(...parts: unknown[]): void {
      addLine(parts);
    },
  };
}

/**
 * Errors nobody handled, collected while seeds run: promise rejections nobody awaited and
 * exceptions thrown outside any promise (a `setImmediate` or timer callback). A workload that drops
 * a promise or throws from a callback would otherwise kill the whole campaign (or its worker)
 * instead of failing the one seed responsible. Seeds run one at a time per process, so a stray
 * error belongs to the seed running when it surfaced.
 */
interface StrayError {
  readonly kind: 'rejection' | 'exception';
  readonly reason: unknown;
}
/** Stray errors kept per seed (the first one is reported). */
const STRAY_ERRORS_MAX = 16;
const stray: StrayError[] = [];
const onRejection = (reason: unknown): void => {
  if (stray.length < STRAY_ERRORS_MAX) stray.push({ kind: 'rejection', reason });
};
const onException = (reason: unknown): void => {
  if (stray.length < STRAY_ERRORS_MAX) stray.push({ kind: 'exception', reason });
};
let capturingForever = false;

/**
 * Worker processes call this once: stray errors are captured between seeds too (and attributed to
 * the next seed), never killing the worker. The main process captures only while a seed runs, so
 * its own bugs still surface as internal errors.
 */
export function captureStrayErrorsForever(): void {
  if (capturingForever) return;
  capturingForever = true;
  process.on('unhandledRejection', onRejection);
  process.on('uncaughtException', onException);
}

function strayError(): SeedError | undefined {
  // An uncaught exception is reported first: it is usually what made the rest go wrong.
  const entry = stray.find((e) => e.kind === 'exception') ?? stray[0];
  if (entry === undefined) return undefined;
  const first = describeError(entry.reason);
  const stack = first.stack === undefined ? {} : { stack: first.stack };
  return entry.kind === 'exception'
    ? { code: 'ERR_UNCAUGHT_EXCEPTION', message: `the workload threw outside any promise (a callback such as setImmediate or a timer): ${first.code}: ${first.message}`, ...stack }
    : { code: 'ERR_UNHANDLED_REJECTION', message: `the workload left a promise rejected and unhandled: ${first.code}: ${first.message}`, ...stack };
}

/**
 * Runs `workload` for one seed. Never rejects: a failure is a result with `ok: false`. A promise
 * the workload left rejected and unhandled fails the seed too (code `ERR_UNHANDLED_REJECTION`), and
 * so does an exception thrown from a callback (`ERR_UNCAUGHT_EXCEPTION`, which takes precedence
 * over the error `run` ended with: it is usually the cause).
 */
export async function runSeed(workload: Workload, spec: SeedSpec): Promise<SeedResult> {
  const scoped = !capturingForever;
  const realExit = process.exit;
  if (scoped) {
    process.on('unhandledRejection', onRejection);
    process.on('uncaughtException', onException);
    // In the main process (a replay) `process.exit` would end the command with the workload's exit
    // code and no report; it fails the seed instead, with the code a campaign's worker gives it.
    process.exit = ((code?: number | string | null) => {
      throw Object.assign(new Error(`the workload called process.exit(${code ?? ''}), which ends a campaign's worker process`), { code: 'ERR_WORKER_EXIT' });
    }) as typeof process.exit;
  }
  try {
    return await runSeedCaptured(workload, spec);
  } finally {
    stray.length = 0;
    if (scoped) {
      process.exit = realExit;
      process.removeListener('unhandledRejection', onRejection);
      process.removeListener('uncaughtException', onException);
    }
  }
}

async function runSeedCaptured(workload: Workload, spec: SeedSpec): Promise<SeedResult> {
  if (spec.checkDeterminism !== true) return (await runSeedOnce(workload, spec)).result;
  const capacity = Math.max(spec.traceCapacity ?? 0, DETERMINISM_TRACE_CAPACITY);
  const first = await runSeedOnce(workload, { ...spec, traceCapacity: capacity });
  const second = await runSeedOnce(workload, { ...spec, traceCapacity: capacity });
  if (first.sim === undefined || second.sim === undefined) return first.result;
  if (first.result.hash === second.result.hash && first.result.ok === second.result.ok) return first.result;
  const divergence = findDivergence(first.sim.trace, second.sim.trace);
  const error = nondeterminismError(`seed ${spec.seed}`, [first.result.hash, second.result.hash], divergence);
  const lines = [...describeDivergence(divergence), `hashes: ${first.result.hash} vs ${second.result.hash}`];
  if (first.result.ok !== second.result.ok) lines.push(`outcomes: run 1 ${first.result.error?.code ?? 'passed'}, run 2 ${second.result.error?.code ?? 'passed'}`);
  return {
    ...first.result,
    ok: false,
    error: { code: error.code, message: error.message },
    divergence: lines,
    trace: first.result.trace ?? formatTrace(first.sim, spec.traceEvents ?? FAILURE_TRACE_EVENTS),
    log: first.result.log ?? [],
  };
}

async function runSeedOnce(workload: Workload, spec: SeedSpec): Promise<{ result: SeedResult; sim?: SimulationHandle }> {
  // A determinism check runs the seed twice: the second run starts with no stray errors of the first.
  stray.length = 0;
  const started = performance.now();
  const log: string[] = [];
  let sim: SimulationHandle;
  try {
    sim = createSimulation({
      seed: spec.seed, profile: spec.profile, faults: spec.faults, latency: spec.latency,
      ...(spec.traceCapacity === undefined ? {} : { traceCapacity: spec.traceCapacity }),
      ...(spec.intercept === true || workload.intercept === true ? { intercept: true } : {}),
      ...(spec.faultsOff === undefined ? {} : { faultsOff: spec.faultsOff }),
      ...(spec.vetoes === undefined ? {} : { vetoes: spec.vetoes }),
      ...(spec.trackFaults === true ? { trackFaults: true } : {}),
    });
  } catch (err) {
    return { result: { seed: spec.seed, ok: false, hash: '', simTimeMs: 0, wallMs: performance.now() - started, error: describeError(err) } };
  }
  let excused: string | undefined;
  const ctx = makeContext(sim, spec, log, (reason) => {
    excused ??= reason;
  });
  let error: SeedError | undefined;
  try {
    await sim.run(() => workload.run(ctx));
  } catch (err) {
    error = describeError(err);
    const injected = tryRead(() => injectedBehind(err), undefined);
    if (injected !== undefined) {
      const record = injectedFaultRecord(sim, injected.kind, injected.path);
      error = { ...error, injected: { kind: injected.kind, ...(record === undefined ? {} : { record }) } };
    }
  } finally {
    sim.close();
  }
  // Unhandled rejections surface after the microtask queue drains: give them one turn.
  await new Promise<void>((resolve) => setImmediate(resolve));
  const strayFound = strayError();
  if (strayFound !== undefined && (error === undefined || strayFound.code === 'ERR_UNCAUGHT_EXCEPTION')) error = strayFound;
  const ok = error === undefined;
  const keep = !ok || spec.keepTrace === true;
  const result: SeedResult = {
    seed: spec.seed,
    ok,
    hash: sim.hash(),
    simTimeMs: sim.clock.now(),
    wallMs: performance.now() - started,
    ...(error === undefined ? {} : { error }),
    ...(excused === undefined ? {} : { excused }),
    ...(keep ? { trace: formatTrace(sim, spec.traceEvents ?? FAILURE_TRACE_EVENTS), log: [...log] } : {}),
    ...(spec.trackFaults === true ? { decidedFaults: [...decidedFaults(sim)], faultRecords: faultRecords(sim) } : {}),
  };
  return { result, sim };
}
