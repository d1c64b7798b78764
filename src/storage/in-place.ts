/**
 * Whether the caller's memory a blob transfer uses is still there after an await.
 *
 * Why: a blob write may reach the Io only after an await (a lock, a stat, the rest of a short
 * write, writeAtomic's open), and a read may copy into the caller's buffer only after its Io read
 * settled. Meanwhile the caller can detach or shrink the buffer, and the snapshot views Storage
 * took at the call then report 0 bytes: a write would skip them and resolve with the bytes
 * missing, a copy would throw a raw TypeError. Every such step checks here first and rejects with
 * `ERR_DETACHED_BUFFER`. The views are fixed-length snapshots (`snapshotBuffer`), so each one either
 * still covers all its bytes or reports none, and comparing the total is enough.
 */
import { StorageError } from '../interfaces/errors.js';
import { intrinsicByteLength, isSnapshotUsable } from '../interfaces/validate.js';

/** `ERR_DETACHED_BUFFER` unless `chunks` (a write's snapshot views) still hold `totalBytes`. */
export function checkChunksInPlace(operation: string, chunks: readonly Uint8Array[], totalBytes: number): void {
  let liveBytes = 0;
  for (let i = 0; i < chunks.length; i++) liveBytes += intrinsicByteLength(chunks[i] as Uint8Array);
  if (liveBytes !== totalBytes) {
    throw new StorageError('ERR_DETACHED_BUFFER', `${operation}: a buffer was detached or shrunk before the write finished`, {
      operation, argument: 'data',
    });
  }
}

/** `ERR_DETACHED_BUFFER` unless `target` (a read's destination) still covers `lengthBytes`. */
export function checkTargetInPlace(operation: string, target: Uint8Array, lengthBytes: number): void {
  if (!isSnapshotUsable(target, lengthBytes)) {
    throw new StorageError('ERR_DETACHED_BUFFER', `${operation}: the buffer was detached or shrunk while the read was in flight`, {
      operation, argument: 'buffer',
    });
  }
}
