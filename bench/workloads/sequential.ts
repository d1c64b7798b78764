/**
 * Sequential 1 MiB reads or writes over the prepared file, wrapping at its end; the lanes share one
 * cursor, so `queueDepth` consecutive blocks are in flight (as a read-ahead or a log writer does).
 */
import type { Driver } from '../drivers/driver.js';
import { fillPseudoRandom } from '../rng.js';
import type { MeasureRequest, MeasureResult } from '../types.js';
import { closedLoop } from './closed-loop.js';
import { toResult } from './result.js';

export async function sequentialIo(driver: Driver, req: MeasureRequest, kind: 'read' | 'write'): Promise<MeasureResult> {
  const file = await driver.open(req.fileName, { write: kind === 'write', direct: req.direct });
  const blocks = Math.floor(req.fileSizeBytes / req.blockBytes);
  const buffers: Uint8Array[] = [];
  for (let lane = 0; lane < req.queueDepth; lane++) {
    const buffer = driver.allocAligned(req.blockBytes);
    if (kind === 'write') fillPseudoRandom(buffer, req.seed + lane);
    buffers.push(buffer);
  }
  let nextBlock = 0;
  try {
    const loop = await closedLoop(req, async (lane) => {
      const offsetBytes = nextBlock * req.blockBytes;
      nextBlock = (nextBlock + 1) % blocks;
      const buffer = buffers[lane]!;
      const done = kind === 'read' ? await file.read(buffer, offsetBytes) : await file.write(buffer, offsetBytes);
      if (done !== req.blockBytes) throw new Error(`short ${kind}: ${done} of ${req.blockBytes}`);
      return done;
    });
    return toResult(loop);
  } finally {
    await file.close();
  }
}
