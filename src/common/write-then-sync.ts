/**
 * {@link Io.writeDurable} for backends without a linked submission: exactly a write followed, when
 * it was whole, by a sync, through the backend's own `write` and `fsync` (so their checks, fault
 * draws, trace records and metrics are those of the two calls). The options are checked before
 * the write, so a bad `options` changes nothing; on an Io already shut down (`shutDown()`), the
 * write's own answer comes first. A sync failure carries `details.stage: 'fsync'`.
 * Errors name the public call, `writeDurable` (message and `details.operation`), as UringIo's
 * linked submission does; the two calls' own names stay in the metrics and the simulator's trace.
 */
import { StorageError } from '../interfaces/errors.js';
import type { FsyncOptions, Io } from '../interfaces/io.js';
import { checkFsyncOptions, intrinsicByteLength, isUint8Array } from '../interfaces/validate.js';

export async function writeThenSync(io: Pick<Io, 'write' | 'fsync'>, fd: number, buffer: Uint8Array, offsetBytes: number,
  options: FsyncOptions | undefined, shutDown: () => boolean): Promise<number> {
  // An Io shut down (or crashed) answers that whatever the options are: its write gives the
  // answer (and counts it), before the options are looked at.
  if (shutDown()) {
    try {
      return await io.write(fd, buffer, offsetBytes);
    } catch (err) {
      throw asWriteDurable(err, 'write');
    }
  }
  const dataOnly = checkFsyncOptions('writeDurable', options);
  // The length asked, read at the call like the write's own snapshot (the write reports a bad buffer).
  const lengthBytes = isUint8Array(buffer) ? intrinsicByteLength(buffer) : 0;
  let writtenBytes: number;
  try {
    writtenBytes = await io.write(fd, buffer, offsetBytes);
  } catch (err) {
    throw asWriteDurable(err, 'write');
  }
  if (writtenBytes < lengthBytes) return writtenBytes;
  try {
    await io.fsync(fd, { dataOnly });
  } catch (err) {
    throw asWriteDurable(err, 'fsync');
  }
  return writtenBytes;
}

/** `err` from the `stage` call, told as writeDurable's (a sync failure keeps `stage: 'fsync'`). */
function asWriteDurable(err: unknown, stage: 'write' | 'fsync'): unknown {
  if (!(err instanceof StorageError)) return err;
  const prefix = `${stage}:`;
  const message = err.message.startsWith(prefix) ? `writeDurable:${err.message.slice(prefix.length)}` : err.message;
  const details = { ...err.details, operation: 'writeDurable', ...(stage === 'fsync' ? { stage } : {}) };
  return new StorageError(err.code, message, details, { cause: err.cause });
}
