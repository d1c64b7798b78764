/**
 * `openScratch`: picks the file (named or anonymous), the I/O mode (direct or buffered) and the
 * slot granularity, preallocates the file, and hands it to a {@link ScratchRegion}.
 *
 * Preallocation happens before the region is returned, so running out of disk is reported here
 * (`ENOSPC`) rather than in the middle of a later write. If anything fails after the file was
 * created, the file is closed and (when named) removed before the error is returned.
 */
import { StorageError } from '../interfaces/errors.js';
import type { Io } from '../interfaces/io.js';
import { checkOptionalBoolean, snapshotOptions, normalizePath } from '../interfaces/validate.js';
import { ScratchAllocator } from './allocator.js';
import { ScratchRegion } from './region.js';
import { SCRATCH_DIRECTORY_DEFAULT, createAnonymousFile, ensureDirectory, sweepDirectory } from './scratch-file.js';
import { checkScratchIo, OPEN_METHODS } from './scratch-io.js';

/** Slot granularity of buffered regions: one 512-byte sector, so a bad sector harms one slot only. */
export const SCRATCH_BUFFERED_ALIGNMENT_BYTES = 512;
/** Default most live slots of one region. */
export const SCRATCH_SLOT_COUNT_MAX_DEFAULT = 1 << 22;
/** Default most region operations in flight at once. */
export const SCRATCH_OPERATIONS_IN_FLIGHT_MAX_DEFAULT = 65_536;

/** Options of {@link openScratch}. */
export interface ScratchOptions {
  /**
   * The file, relative to the Io root. It is created (an existing file there is truncated and
   * reused) and removed by `close`. Without it the file is anonymous: it has no name once
   * `openScratch` resolves, so nothing is left behind even after a crash.
   */
  readonly path?: string;
  /** Directory of anonymous files (created when missing). Default `.faultline-scratch`. Ignored with `path`. */
  readonly directory?: string;
  /** Bytes preallocated at open (rounded up to the slot alignment). Must be > 0. */
  readonly capacityBytes: number;
  /** Bytes the file may grow to by doubling when full. Default: `capacityBytes` (no growth). */
  readonly maxCapacityBytes?: number;
  /**
   * Bypass the page cache (O_DIRECT). Default: true when `io.features.direct`, falling back to
   * buffered I/O if the file system refuses O_DIRECT (tmpfs does). `true` on an Io without direct
   * support is `ERR_UNSUPPORTED`, and a refusal by the file system is returned as is (`EINVAL`).
   */
  readonly direct?: boolean;
  /**
   * Slot granularity, a power of two. Default: `io.features.directAlignmentBytes` with direct I/O
   * (and must be a multiple of it), {@link SCRATCH_BUFFERED_ALIGNMENT_BYTES} otherwise.
   */
  readonly alignmentBytes?: number;
  /** Check every read against a CRC32C taken at write time (mismatch: `EIO`). Default true. */
  readonly checksums?: boolean;
  /** Most live slots. Default {@link SCRATCH_SLOT_COUNT_MAX_DEFAULT}. */
  readonly slotCountMax?: number;
  /** Most region operations in flight. Default {@link SCRATCH_OPERATIONS_IN_FLIGHT_MAX_DEFAULT}. */
  readonly operationsInFlightMax?: number;
}

const OPTION_NAMES = [
  'path', 'directory', 'capacityBytes', 'maxCapacityBytes', 'direct', 'alignmentBytes', 'checksums',
  'slotCountMax', 'operationsInFlightMax',
] as const;

function invalid(message: string, argument: string): StorageError {
  return new StorageError('ERR_INVALID_ARGUMENT', `scratch.open: ${message}`, { operation: 'scratch.open', argument });
}

function isCode(err: unknown, ...codes: string[]): boolean {
  return err instanceof StorageError && codes.includes(err.code);
}

function positiveInteger(value: unknown, argument: string, fallback: number): number {
  if (value === undefined) return fallback;
  if (typeof value !== 'number' || !Number.isSafeInteger(value) || value <= 0) throw invalid(`${argument} must be a positive integer`, argument);
  return value;
}

/**
 * Opens a scratch region on `io`: a file preallocated to `capacityBytes` in which `write` stores
 * values of any length in slots, `read` returns them, and `free` gives their space back. Resolves
 * once the file exists, is preallocated, and (when anonymous) has no name left.
 *
 * Errors: `ERR_INVALID_ARGUMENT` for malformed options (unknown keys included), and for an `io`
 * that is not an object with the Io's `features`, `clock` and the methods a region uses, or whose
 * members throw when read (each is read once, at the call),
 * `ERR_LIMIT_EXCEEDED` past the file size limit, `ERR_UNSUPPORTED` for `direct: true` on an Io
 * without direct I/O, `ENOSPC` when the disk cannot hold `capacityBytes`, and the Io's errors from
 * creating the file or directory (`ENOENT` for a missing parent of `path`, `ERR_PATH_ESCAPE`...).
 */
export async function openScratch(callerIo: Io, callerOptions: ScratchOptions): Promise<ScratchRegion> {
  const io = checkScratchIo('scratch.open', callerIo, OPEN_METHODS, true);
  const options = snapshotOptions('scratch.open', callerOptions, OPTION_NAMES);
  const directRequested = checkOptionalBoolean('scratch.open', 'direct', options.direct);
  const checksums = checkOptionalBoolean('scratch.open', 'checksums', options.checksums) ?? true;
  if (directRequested === true && !io.features.direct) {
    throw new StorageError('ERR_UNSUPPORTED', 'scratch.open: this Io does not offer direct I/O', {
      operation: 'scratch.open', backend: io.features.backend,
    });
  }
  const path = options.path === undefined ? undefined : normalizePath('scratch.open', options.path);
  if (path === '.') throw invalid('path must name a file', 'path');
  const directory = normalizePath('scratch.open', options.directory ?? SCRATCH_DIRECTORY_DEFAULT);
  const slotCountMax = positiveInteger(options.slotCountMax, 'slotCountMax', SCRATCH_SLOT_COUNT_MAX_DEFAULT);
  const operationsInFlightMax = positiveInteger(options.operationsInFlightMax, 'operationsInFlightMax', SCRATCH_OPERATIONS_IN_FLIGHT_MAX_DEFAULT);

  const directAlignmentBytes = io.features.directAlignmentBytes;
  const alignmentFor = (direct: boolean): number => {
    const alignmentBytes = options.alignmentBytes ?? (direct ? directAlignmentBytes : SCRATCH_BUFFERED_ALIGNMENT_BYTES);
    if (direct && (typeof alignmentBytes !== 'number' || alignmentBytes % directAlignmentBytes !== 0)) {
      throw new StorageError('ERR_INVALID_ARGUMENT', 'scratch.open: alignmentBytes must be a multiple of the direct I/O alignment', {
        operation: 'scratch.open', argument: 'alignmentBytes', directAlignmentBytes,
      });
    }
    return alignmentBytes;
  };
  const allocatorFor = (direct: boolean): ScratchAllocator => {
    const allocatorOptions = {
      alignmentBytes: alignmentFor(direct),
      capacityBytes: options.capacityBytes,
      ...(options.maxCapacityBytes === undefined ? {} : { maxCapacityBytes: options.maxCapacityBytes }),
    };
    try {
      return new ScratchAllocator(allocatorOptions);
    } catch (err) {
      if (err instanceof StorageError) {
        throw new StorageError(err.code, err.message.replace(/^scratch\.allocator:/, 'scratch.open:'), { ...err.details, operation: 'scratch.open' });
      }
      throw err;
    }
  };

  let direct = directRequested ?? io.features.direct;
  // Validate everything before creating anything, for both modes a fallback may pick.
  let allocator = allocatorFor(direct);
  if (direct && directRequested === undefined) allocatorFor(false);

  const tmpfile = io.features.tmpfile;
  const create = async (withDirect: boolean): Promise<number> => {
    if (path !== undefined) return io.open(path, { read: true, write: true, create: true, truncate: true, direct: withDirect });
    if (!tmpfile) return createAnonymousFile(io, callerIo, directory, withDirect, false);
    try {
      return await createAnonymousFile(io, callerIo, directory, withDirect, true);
    } catch (err) {
      // O_TMPFILE is refused by some file systems (EOPNOTSUPP, or EISDIR on old kernels).
      if (!isCode(err, 'EOPNOTSUPP', 'EISDIR', 'ERR_UNSUPPORTED')) throw err;
      return createAnonymousFile(io, callerIo, directory, withDirect, false);
    }
  };

  if (path === undefined) {
    await ensureDirectory(io, directory);
    await sweepDirectory(io, directory);
  }
  // Linux checks O_DIRECT support after O_CREAT made the file, so a refused open can leave a new
  // file behind at `path`: remove it then, unless it was there before.
  const existedBefore = path === undefined ? true : await io.stat(path).then(() => true, () => false);
  let fd: number;
  try {
    try {
      fd = await create(direct);
    } catch (err) {
      // The file system refused O_DIRECT (EINVAL, as tmpfs did before Linux 6.6) and the caller
      // did not insist: buffered I/O it is.
      if (!(direct && directRequested === undefined && isCode(err, 'EINVAL'))) throw err;
      direct = false;
      allocator = allocatorFor(false);
      fd = await create(false);
    }
  } catch (err) {
    if (path !== undefined && !existedBefore) await io.unlink(path).catch(() => undefined);
    throw err;
  }
  try {
    await io.allocate(fd, 0, allocator.capacityBytes);
  } catch (err) {
    await io.close(fd).catch(() => undefined);
    if (path !== undefined) await io.unlink(path).catch(() => undefined);
    throw err;
  }
  return new ScratchRegion({ io, fd, allocator, direct, path, checksums, slotCountMax, operationsInFlightMax });
}
