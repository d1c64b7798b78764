/**
 * 4 KiB random reads or writes on the prepared file, `queueDepth` in flight, block-aligned offsets
 * drawn uniformly over the whole file. With `direct` the file is opened O_DIRECT.
 */
import { NotAvailable, type BenchFile, type Driver } from '../drivers/driver.js';
import { fillPseudoRandom, XorShift32 } from '../rng.js';
import type { MeasureRequest, MeasureResult } from '../types.js';
import { closedLoop } from './closed-loop.js';
import { toResult } from './result.js';

/** Opens the data file; a file system that refuses O_DIRECT (tmpfs) makes a gap, not a failure. */
async function openFile(driver: Driver, req: MeasureRequest, kind: 'read' | 'write'): Promise<BenchFile> {
  try {
    return await driver.open(req.fileName, { write: kind === 'write', direct: req.direct });
  } catch (err) {
    if (req.direct && (err as { code?: unknown }).code === 'EINVAL') {
      throw new NotAvailable('O_DIRECT refused by the file system of the bench directory (EINVAL)');
    }
    throw err;
  }
}

export async function randomIo(driver: Driver, req: MeasureRequest, kind: 'read' | 'write'): Promise<MeasureResult> {
  const file = await openFile(driver, req, kind);
  const blocks = Math.floor(req.fileSizeBytes / req.blockBytes);
  const buffers: Uint8Array[] = [];
  const rngs: XorShift32[] = [];
  for (let lane = 0; lane < req.queueDepth; lane++) {
    const buffer = driver.allocAligned(req.blockBytes);
    if (kind === 'write') fillPseudoRandom(buffer, req.seed + lane);
    buffers.push(buffer);
    rngs.push(new XorShift32(req.seed * 7919 + lane + 1));
  }
  try {
    const loop = await closedLoop(req, async (lane) => {
      const offsetBytes = rngs[lane]!.below(blocks) * req.blockBytes;
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
