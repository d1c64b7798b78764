/**
 * O_DIRECT buffers for the Node competitors. Node cannot ask for aligned memory, so this finds an
 * aligned window inside an ordinary buffer by trying one direct read of a probe file at each
 * 16-byte step (the allocator's granularity) until the kernel stops answering EINVAL. What the
 * kernel accepts is the device's DMA alignment (512 bytes on common devices), which is all that
 * matters for the transfer itself.
 */
import * as fs from 'node:fs';
import { join } from 'node:path';
import { NotAvailable } from './driver.js';

const PROBE_BYTES = 4096;
const STEP_BYTES = 16;
/** Bound of the probe: past a page of candidate offsets the kernel wants something we cannot give. */
const SLACK_BYTES = 4096;

export class AlignedAllocator {
  private readonly probeFd: number;
  private readonly probePath: string;

  constructor(dirPath: string) {
    this.probePath = join(dirPath, `.align-probe-${process.pid}`);
    fs.writeFileSync(this.probePath, Buffer.alloc(PROBE_BYTES));
    try {
      this.probeFd = fs.openSync(this.probePath, fs.constants.O_RDONLY | fs.constants.O_DIRECT);
    } catch (err) {
      fs.rmSync(this.probePath, { force: true });
      throw new NotAvailable(`O_DIRECT refused by this file system (${(err as NodeJS.ErrnoException).code ?? 'error'})`);
    }
  }

  /** An allocator, or null where the file system refuses O_DIRECT (tmpfs): buffers need no alignment there. */
  static tryCreate(dirPath: string): AlignedAllocator | null {
    try {
      return new AlignedAllocator(dirPath);
    } catch (err) {
      if (err instanceof NotAvailable) return null;
      throw err;
    }
  }

  /** A zeroed buffer of `lengthBytes` (a multiple of 512) whose address the kernel accepts for O_DIRECT. */
  alloc(lengthBytes: number): Buffer {
    const backing = Buffer.alloc(lengthBytes + SLACK_BYTES);
    for (let shiftBytes = 0; shiftBytes < SLACK_BYTES; shiftBytes += STEP_BYTES) {
      const window = backing.subarray(shiftBytes, shiftBytes + lengthBytes);
      try {
        fs.readSync(this.probeFd, window, 0, Math.min(PROBE_BYTES, lengthBytes), 0);
        window.fill(0);
        return window;
      } catch (err) {
        if ((err as NodeJS.ErrnoException).code !== 'EINVAL') throw err;
      }
    }
    throw new NotAvailable('no O_DIRECT-aligned window found in a Node buffer');
  }

  close(): void {
    fs.closeSync(this.probeFd);
    fs.rmSync(this.probePath, { force: true });
  }
}
