/**
 * The measuring loop shared by every workload: `queueDepth` lanes each run one operation after
 * another until the deadline, so exactly `queueDepth` operations are in flight (a closed loop, as
 * fio's iodepth). Operations finishing during the warm-up are not counted.
 */
import { progress } from '../worker-progress.js';
import { performance } from 'node:perf_hooks';
import { LatencyHistogram } from './latency.js';

export interface LoopOptions {
  readonly queueDepth: number;
  readonly warmupMs: number;
  readonly durationMs: number;
  /** Keep going after a failed operation (counted in `errors`): only for fault-injection runs. */
  readonly tolerateErrors?: boolean;
  /** Upper bound on failures tolerated before giving up, so a broken backend cannot spin forever. */
  readonly errorsMax?: number;
}

export interface LoopResult {
  readonly ops: number;
  /** Payload bytes of the counted operations. */
  readonly bytes: number;
  readonly errors: number;
  readonly elapsedMs: number;
  /** Latency of the counted operations, from start to settle. */
  readonly latency: LatencyHistogram;
}

const ERRORS_MAX_DEFAULT = 1_000_000;

/**
 * Runs `operation(lane)` in `queueDepth` lanes. `operation` resolves with the payload bytes it
 * moved. Resolves with what finished inside the measured window.
 */
export async function closedLoop(
  options: LoopOptions,
  operation: (lane: number) => Promise<number>,
  now: () => number = () => performance.now(),
): Promise<LoopResult> {
  const startMs = now();
  const measureFromMs = startMs + options.warmupMs;
  const stopAtMs = measureFromMs + options.durationMs;
  const errorsMax = options.errorsMax ?? ERRORS_MAX_DEFAULT;
  let ops = 0;
  let bytes = 0;
  let errors = 0;
  const latency = new LatencyHistogram();

  async function lane(index: number): Promise<void> {
    while (now() < stopAtMs) {
      let moved: number;
      const opStartMs = now();
      progress.operationsWaiting += 1;
      try {
        moved = await operation(index);
      } catch (err) {
        progress.operationsWaiting -= 1;
        if (options.tolerateErrors !== true) throw err;
        errors += 1;
        if (errors > errorsMax) throw err;
        continue;
      }
      progress.operationsWaiting -= 1;
      progress.operationsDone += 1;
      const opEndMs = now();
      if (opEndMs >= measureFromMs) {
        ops += 1;
        bytes += moved;
        latency.record(opEndMs - opStartMs);
      }
    }
  }

  const lanes: Promise<void>[] = [];
  for (let i = 0; i < options.queueDepth; i++) lanes.push(lane(i));
  await Promise.all(lanes);
  return { ops, bytes, errors, elapsedMs: Math.max(now() - measureFromMs, 1e-3), latency };
}
