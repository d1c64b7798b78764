/** Turns a loop result into the JSON a child prints. */
import type { MeasureResult } from '../types.js';
import type { LoopResult } from './closed-loop.js';

export function toResult(loop: LoopResult, extra: Record<string, number> = {}): MeasureResult {
  const seconds = loop.elapsedMs / 1000;
  return {
    ok: true,
    opsPerSec: loop.ops / seconds,
    bytesPerSec: loop.bytes / seconds,
    ops: loop.ops,
    elapsedMs: loop.elapsedMs,
    errors: loop.errors,
    extra: { latencyMsP50: loop.latency.percentileMs(0.5), latencyMsP99: loop.latency.percentileMs(0.99), ...extra },
  };
}
