/**
 * {@link Io.writeDurable} for backends without a linked submission: exactly a write followed, when
 * it was whole, by a sync, through the backend's own `write` and `fsync` (so their checks, fault
 * draws, trace records and metrics are those of the two calls). The options are checked before
 * the write, so a bad `options` changes nothing. A sync failure carries `details.stage: 'fsync'`.
 */
import { StorageError } from '../interfaces/errors.js';
import type { FsyncOptions, Io } from '../interfaces/io.js';
import { checkFsyncOptions, intrinsicByteLength, isUint8Array } from '../interfaces/validate.js';

export async function writeThenSync(io: Pick<Io, 'write' | 'fsync'>, fd: number, buffer: Uint8Array, offsetBytes: number,
  options: FsyncOptions | undefined): Promise<number> {
  const dataOnly = checkFsyncOptions('writeDurable', options);
  // The length asked, read at the call like the write's own snapshot (the write reports a bad buffer).
  const lengthBytes = isUint8Array(buffer) ? intrinsicByteLength(buffer) : 0;
  const writtenBytes = await io.write(fd, buffer, offsetBytes);
  if (writtenBytes < lengthBytes) return writtenBytes;
  try {
    await io.fsync(fd, { dataOnly });
  } catch (err) {
    if (err instanceof StorageError) {
      throw new StorageError(err.code, err.message, { ...err.details, stage: 'fsync' }, { cause: err.cause });
    }
    throw err;
  }
  return writtenBytes;
}
