/**
 * A test-only Io wrapper that claims direct I/O and enforces its rules strictly: on an fd opened
 * with `direct`, every offset, length and buffer offset must be a multiple of 4096, or the call
 * fails with `EINVAL` (as Linux does; a real file system often accepts 512, which would hide a
 * region that aligns to the wrong unit). Optionally it shortens transfers to misaligned counts, to
 * exercise the region's retry loops. Everything else is passed to the wrapped Io unchanged.
 */
import { StorageError } from '../../src/interfaces/errors.js';
import type { Io, IoFeatures, OpenFlags } from '../../src/interfaces/io.js';

const ALIGN = 4096;

export interface StrictDirectOptions {
  /** Every n-th transfer on a direct fd is cut short to a misaligned count (0: never). */
  readonly shortEvery?: number;
  /** Refuse every open with `direct` with `EINVAL`, as a file system without O_DIRECT does. */
  readonly refuseDirect?: boolean;
  /** Report `features.tmpfile` false, so anonymous files take the create-then-unlink path. */
  readonly hideTmpfile?: boolean;
}

export function strictDirectIo(inner: Io, options: StrictDirectOptions = {}): Io {
  const directFds = new Set<number>();
  let transfers = 0;
  const features: IoFeatures = {
    ...inner.features, direct: true, directAlignmentBytes: ALIGN, tmpfile: inner.features.tmpfile && options.hideTmpfile !== true,
  };

  const check = (operation: string, fd: number, buffer: Uint8Array, offsetBytes: number): void => {
    if (!directFds.has(fd)) return;
    if (offsetBytes % ALIGN !== 0 || buffer.byteLength % ALIGN !== 0 || buffer.byteOffset % ALIGN !== 0) {
      throw new StorageError('EINVAL', `${operation}: misaligned direct transfer`, {
        operation, offsetBytes, lengthBytes: buffer.byteLength, bufferOffset: buffer.byteOffset,
      });
    }
  };
  /** The part of `buffer` this transfer will move: sometimes a misaligned prefix. */
  const portion = (fd: number, buffer: Uint8Array): Uint8Array => {
    if (!directFds.has(fd) || options.shortEvery === undefined || options.shortEvery === 0) return buffer;
    transfers += 1;
    if (transfers % options.shortEvery !== 0 || buffer.byteLength < 2) return buffer;
    return buffer.subarray(0, Math.max(1, Math.floor(buffer.byteLength / 2) - 100));
  };

  return new Proxy(inner, {
    get(target, property, receiver) {
      switch (property) {
        case 'features':
          return features;
        case 'open':
          return async (path: string, flags: OpenFlags = {}): Promise<number> => {
            const { direct, ...rest } = flags;
            if (direct === true && options.refuseDirect === true) {
              // As Linux: O_CREAT takes effect before O_DIRECT is refused, so the file is left there.
              if (rest.create === true && rest.tmpfile !== true) await target.close(await target.open(path, rest));
              throw new StorageError('EINVAL', 'open: this file system refuses O_DIRECT', { operation: 'open', path });
            }
            const fd = await target.open(path, rest);
            if (direct === true) directFds.add(fd);
            else directFds.delete(fd);
            return fd;
          };
        case 'close':
          return async (fd: number): Promise<void> => {
            directFds.delete(fd);
            await target.close(fd);
          };
        case 'read':
          return async (fd: number, buffer: Uint8Array, offsetBytes: number): Promise<number> => {
            check('read', fd, buffer, offsetBytes);
            return target.read(fd, portion(fd, buffer), offsetBytes);
          };
        case 'write':
          return async (fd: number, buffer: Uint8Array, offsetBytes: number): Promise<number> => {
            check('write', fd, buffer, offsetBytes);
            return target.write(fd, portion(fd, buffer), offsetBytes);
          };
        case 'allocAligned':
          return (lengthBytes: number): Uint8Array => new Uint8Array(lengthBytes);
        default: {
          const value: unknown = Reflect.get(target, property, receiver);
          return typeof value === 'function' ? (value as (...args: unknown[]) => unknown).bind(target) : value;
        }
      }
    },
  });
}
