/**
 * Durable 4 KiB appends from `queueDepth` concurrent writers with group commit: each writer writes
 * its record at its reserved offset, then waits for a sync that started after its write finished.
 * Writers arriving while a sync runs share the next one, so one fdatasync covers many records.
 * An append counts once its sync has resolved.
 */
import type { Driver } from '../drivers/driver.js';
import { fillPseudoRandom } from '../rng.js';
import type { MeasureRequest, MeasureResult } from '../types.js';
import { closedLoop } from './closed-loop.js';
import { toResult } from './result.js';

/** Coalesces sync requests: at most one sync running and one queued behind it. */
export class GroupCommitter {
  private running: Promise<void> | undefined;
  private queued: Promise<void> | undefined;
  /** Syncs actually issued (to report the batching factor). */
  syncs = 0;

  constructor(private readonly syncNow: () => Promise<void>) {}

  /** Resolves once a sync that started after this call has completed. */
  commit(): Promise<void> {
    if (this.queued !== undefined) return this.queued;
    const before = this.running ?? Promise.resolve();
    const next: Promise<void> = before.then(
      () => this.start(next),
      () => this.start(next),
    );
    this.queued = next;
    return next;
  }

  private async start(self: Promise<void>): Promise<void> {
    this.queued = undefined;
    this.running = self;
    this.syncs += 1;
    try {
      await this.syncNow();
    } finally {
      if (this.running === self) this.running = undefined;
    }
  }
}

export async function groupCommit(driver: Driver, req: MeasureRequest): Promise<MeasureResult> {
  const file = await driver.open(req.fileName, { write: true, create: true, truncate: true });
  const buffers: Uint8Array[] = [];
  for (let lane = 0; lane < req.queueDepth; lane++) {
    const buffer = driver.allocAligned(req.blockBytes);
    fillPseudoRandom(buffer, req.seed + lane);
    buffers.push(buffer);
  }
  const committer = new GroupCommitter(() => file.sync());
  let endBytes = 0;
  try {
    const loop = await closedLoop(req, async (lane) => {
      if (endBytes + req.blockBytes > req.fileSizeBytes) endBytes = 0;
      const offsetBytes = endBytes;
      endBytes += req.blockBytes;
      const done = await file.write(buffers[lane]!, offsetBytes);
      if (done !== req.blockBytes) throw new Error(`short write: ${done} of ${req.blockBytes}`);
      await committer.commit();
      return done;
    });
    return toResult(loop, { syncs: committer.syncs, appendsPerSync: loop.ops / Math.max(committer.syncs, 1) });
  } finally {
    await file.close();
  }
}
