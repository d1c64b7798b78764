/**
 * Durable 4 KiB appends, one at a time: write at the end, then fdatasync (or `blob.sync()`), and
 * only then the next one. This is the latency-bound path of a write-ahead log without batching.
 * The log wraps to offset 0 past `fileSizeBytes` so a long run cannot fill the disk.
 */
import type { Driver } from '../drivers/driver.js';
import { fillPseudoRandom } from '../rng.js';
import type { MeasureRequest, MeasureResult } from '../types.js';
import { closedLoop } from './closed-loop.js';
import { toResult } from './result.js';

export async function syncAppend(driver: Driver, req: MeasureRequest): Promise<MeasureResult> {
  const file = await driver.open(req.fileName, { write: true, create: true, truncate: true });
  const buffer = driver.allocAligned(req.blockBytes);
  fillPseudoRandom(buffer, req.seed);
  let endBytes = 0;
  try {
    const loop = await closedLoop({ ...req, queueDepth: 1 }, async () => {
      if (endBytes + req.blockBytes > req.fileSizeBytes) endBytes = 0;
      // One operation where the competitor has it (the write linked to the sync), else two.
      const done = file.writeSynced !== undefined ? await file.writeSynced(buffer, endBytes) : await file.write(buffer, endBytes);
      if (done !== req.blockBytes) throw new Error(`short write: ${done} of ${req.blockBytes}`);
      endBytes += done;
      if (file.writeSynced === undefined) await file.sync();
      return done;
    });
    return toResult(loop);
  } finally {
    await file.close();
  }
}
