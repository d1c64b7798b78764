/**
 * The in-memory workload: 4 KiB random reads and writes (half each) on one prefilled file,
 * `queueDepth` in flight, on the simulated disk (faults off, then every fault at a low rate)
 * against memfs. Besides throughput it reports the memory each one holds per byte stored: the
 * simulator keeps a durable image and a page-cache image, so it is expected to hold more.
 */
import type { Driver } from '../drivers/driver.js';
import { makeDriver } from '../drivers/make-driver.js';
import { fillPseudoRandom, XorShift32 } from '../rng.js';
import type { MeasureRequest, MeasureResult } from '../types.js';
import { closedLoop } from './closed-loop.js';
import { toResult } from './result.js';
import { withSimulatedDriver } from './sim-driver.js';

const PREFILL_CHUNK_BYTES = 1 << 20;

interface MemorySample {
  readonly heapBytes: number;
  readonly externalBytes: number;
  readonly rssBytes: number;
}

function sampleMemory(): MemorySample {
  // The child runs with --expose-gc; without it the figure is only noisier.
  (globalThis as { gc?: () => void }).gc?.();
  const usage = process.memoryUsage();
  return { heapBytes: usage.heapUsed, externalBytes: usage.external, rssBytes: usage.rss };
}

/** Writes the whole file once, so reads hit stored data and "bytes stored" is the file size. */
async function prefill(driver: Driver, req: MeasureRequest): Promise<void> {
  const file = await driver.open(req.fileName, { write: true, create: true, truncate: true });
  const chunk = new Uint8Array(PREFILL_CHUNK_BYTES);
  fillPseudoRandom(chunk, req.seed);
  try {
    for (let offsetBytes = 0; offsetBytes < req.fileSizeBytes; offsetBytes += PREFILL_CHUNK_BYTES) {
      const lengthBytes = Math.min(PREFILL_CHUNK_BYTES, req.fileSizeBytes - offsetBytes);
      let doneBytes = 0;
      // Short writes are legal (and injected under faults): finish the chunk.
      for (let attempt = 0; doneBytes < lengthBytes; attempt++) {
        if (attempt > 1000) throw new Error('prefill made no progress');
        try {
          doneBytes += await file.write(chunk.subarray(doneBytes, lengthBytes), offsetBytes + doneBytes);
        } catch (err) {
          if (req.competitor !== 'sim-faults') throw err;
        }
      }
    }
  } finally {
    await file.close();
  }
}

async function mixedLoad(driver: Driver, req: MeasureRequest, tolerateErrors: boolean): Promise<MeasureResult> {
  const file = await driver.open(req.fileName, { write: true });
  const blocks = Math.floor(req.fileSizeBytes / req.blockBytes);
  const buffers: Uint8Array[] = [];
  const rngs: XorShift32[] = [];
  for (let lane = 0; lane < req.queueDepth; lane++) {
    const buffer = driver.allocAligned(req.blockBytes);
    fillPseudoRandom(buffer, req.seed + lane);
    buffers.push(buffer);
    rngs.push(new XorShift32(req.seed * 31 + lane + 1));
  }
  try {
    const loop = await closedLoop({ ...req, tolerateErrors }, async (lane) => {
      const rng = rngs[lane]!;
      const offsetBytes = rng.below(blocks) * req.blockBytes;
      const buffer = buffers[lane]!;
      // Short transfers count for the bytes they moved; under faults they are expected.
      return (rng.next() & 1) === 0 ? file.read(buffer, offsetBytes) : file.write(buffer, offsetBytes);
    });
    return toResult(loop);
  } finally {
    await file.close();
  }
}

async function measure(driver: Driver, req: MeasureRequest, tolerateErrors: boolean): Promise<MeasureResult> {
  // Sampled once the disk exists and every module is loaded: what grows from here is the data.
  const before = sampleMemory();
  await prefill(driver, req);
  const afterFill = sampleMemory();
  const result = await mixedLoad(driver, req, tolerateErrors);
  const afterRun = sampleMemory();
  if (!result.ok) return result;
  const heldBytes = (afterRun.heapBytes + afterRun.externalBytes) - (before.heapBytes + before.externalBytes);
  return {
    ...result,
    extra: {
      ...result.extra,
      errorsPerSec: result.errors / (result.elapsedMs / 1000),
      storedBytes: req.fileSizeBytes,
      heldBytes,
      heldPerStored: heldBytes / req.fileSizeBytes,
      heldAfterFillBytes: (afterFill.heapBytes + afterFill.externalBytes) - (before.heapBytes + before.externalBytes),
      rssGrowthBytes: afterRun.rssBytes - before.rssBytes,
    },
  };
}

export async function simDisk(req: MeasureRequest): Promise<MeasureResult> {
  if (req.competitor === 'sim' || req.competitor === 'sim-faults') {
    const faults = req.competitor === 'sim-faults';
    return withSimulatedDriver(req, faults, (driver) => measure(driver, req, faults));
  }
  const driver = await makeDriver(req.competitor, req);
  try {
    return await measure(driver, req, false);
  } finally {
    await driver.shutdown();
  }
}
