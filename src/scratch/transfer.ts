/**
 * Whole-range reads and writes over an {@link Io} that may return short counts, as pread/pwrite do.
 *
 * With direct I/O every retry must start on an aligned offset and an aligned buffer address, so
 * progress is rounded down to the alignment before retrying: the bytes between are rewritten (or
 * reread), which is harmless because the whole range belongs to one slot. Loops are bounded: each
 * pass either advances by at least one aligned block or counts toward a small limit of passes
 * without progress, past which the transfer fails with `EIO`.
 */
import { StorageError } from '../interfaces/errors.js';
import type { ScratchIo } from './scratch-io.js';
import { alignDown } from './allocator.js';

/** Consecutive passes without progress tolerated before giving up. */
export const STALLED_PASSES_MAX = 8;

/**
 * Writes all of `buffer` at `offsetBytes`. `alignmentBytes` is 1 for buffered I/O or the direct
 * alignment. Rejects with the Io's error, or `EIO` when the Io keeps making no progress.
 */
export async function writeFully(io: Pick<ScratchIo, 'write'>, fd: number, buffer: Uint8Array, offsetBytes: number, alignmentBytes: number): Promise<void> {
  await transferFully('scratch.write', fd, buffer, offsetBytes, alignmentBytes, false, (b, o) => io.write(fd, b, o));
}

/**
 * Fills all of `buffer` from `offsetBytes`. Rejects with the Io's error, or `EIO` when the file
 * ends before the range does (the scratch file was truncated behind the region's back) or the Io
 * keeps making no progress.
 */
export async function readFully(io: Pick<ScratchIo, 'read'>, fd: number, buffer: Uint8Array, offsetBytes: number, alignmentBytes: number): Promise<void> {
  await transferFully('scratch.read', fd, buffer, offsetBytes, alignmentBytes, true, (b, o) => io.read(fd, b, o));
}

async function transferFully(
  operation: string,
  fd: number,
  buffer: Uint8Array,
  offsetBytes: number,
  alignmentBytes: number,
  zeroMeansEnd: boolean,
  step: (chunk: Uint8Array, chunkOffsetBytes: number) => Promise<number>,
): Promise<void> {
  const totalBytes = buffer.byteLength;
  let doneBytes = 0;
  let stalledPasses = 0;
  while (doneBytes < totalBytes) {
    const countBytes = await step(buffer.subarray(doneBytes), offsetBytes + doneBytes);
    let nextBytes = doneBytes + countBytes;
    if (nextBytes < totalBytes) nextBytes = Math.max(doneBytes, alignDown(nextBytes, alignmentBytes));
    if (nextBytes > doneBytes) {
      doneBytes = nextBytes;
      stalledPasses = 0;
      continue;
    }
    stalledPasses += 1;
    const ended = zeroMeansEnd && countBytes === 0;
    if (ended || stalledPasses >= STALLED_PASSES_MAX) {
      throw new StorageError('EIO', `${operation}: the transfer stopped short`, {
        operation, fd, offsetBytes, lengthBytes: totalBytes, doneBytes,
        reason: ended ? 'end-of-file' : 'no-progress',
      });
    }
  }
}
