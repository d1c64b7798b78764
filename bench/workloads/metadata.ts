/**
 * Metadata churn on many small files: each cycle creates a file, writes 4 KiB, closes it, stats it,
 * renames it and unlinks it (six calls). `queueDepth` cycles run at once on distinct names.
 * One "operation" in the report is one whole cycle.
 */
import type { Driver } from '../drivers/driver.js';
import { fillPseudoRandom } from '../rng.js';
import type { MeasureRequest, MeasureResult } from '../types.js';
import { closedLoop } from './closed-loop.js';
import { toResult } from './result.js';

export const CALLS_PER_CYCLE = 6;

export async function metadataChurn(driver: Driver, req: MeasureRequest): Promise<MeasureResult> {
  const payload = driver.allocAligned(req.blockBytes);
  fillPseudoRandom(payload, req.seed);
  const cycles = new Array<number>(req.queueDepth).fill(0);
  const loop = await closedLoop(req, async (lane) => {
    const cycle = cycles[lane]!;
    cycles[lane] = cycle + 1;
    const name = `m-${lane}-${cycle}`;
    const file = await driver.open(name, { write: true, create: true, truncate: true });
    try {
      const done = await file.write(payload, 0);
      if (done !== payload.byteLength) throw new Error(`short write: ${done}`);
    } finally {
      await file.close();
    }
    const sizeBytes = await driver.stat(name);
    if (sizeBytes !== payload.byteLength) throw new Error(`stat size ${sizeBytes}`);
    await driver.rename(name, `${name}.moved`);
    await driver.unlink(`${name}.moved`);
    return 0;
  });
  return toResult(loop, { callsPerSec: (loop.ops * CALLS_PER_CYCLE) / (loop.elapsedMs / 1000) });
}
