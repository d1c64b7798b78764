/** The one place where node:fs errors become {@link StorageError}s. */
import { ErrorCodes, StorageError, isErrorCode, type ErrorCode, type StorageErrorDetails } from '../../interfaces/errors.js';
import type { FsErrorLike } from './fs-like.js';

/**
 * Errno names that are not in the code table, mapped to the nearest condition a caller already
 * handles. Anything else that looks like an errno (`E` + capitals) becomes `EIO`: an operating
 * system failure the library does not know is an I/O failure to the caller, and the original name
 * is kept in `details.osCode`.
 */
const ERRNO_ALIASES: Readonly<Record<string, ErrorCode>> = {
  EWOULDBLOCK: 'EAGAIN',
  ENOTSUP: 'EOPNOTSUPP',
  EOVERFLOW: 'EFBIG',
  EMLINK: 'ENOSPC',
  ETXTBSY: 'EBUSY',
  ENXIO: 'ENOENT',
  ENODEV: 'ENOENT',
  ECANCELED: 'EINTR',
};

function isErrno(code: string): boolean {
  return /^E[A-Z0-9]+$/.test(code);
}

/**
 * Maps an error raised by the fs module to a {@link StorageError}. Errno codes in the table keep
 * their name; known aliases are translated ({@link ERRNO_ALIASES}); unknown errno names become
 * `EIO`. A non-errno error (Node's own `ERR_*` argument errors, a thrown TypeError) means our
 * validation let something through: `ERR_INTERNAL`. A StorageError passes through unchanged.
 */
export function mapFsError(err: unknown, operation: string, details: StorageErrorDetails = {}): StorageError {
  if (err instanceof StorageError) return err;
  const osCode = typeof err === 'object' && err !== null ? (err as FsErrorLike).code : undefined;
  const errno = typeof err === 'object' && err !== null ? (err as FsErrorLike).errno : undefined;
  let code: ErrorCode;
  if (typeof osCode === 'string' && isErrno(osCode)) {
    if (isErrorCode(osCode)) code = osCode;
    else code = ERRNO_ALIASES[osCode] ?? 'EIO';
  } else {
    code = 'ERR_INTERNAL';
  }
  const extra: Record<string, unknown> = { ...details };
  if (typeof errno === 'number') extra['errno'] = Math.abs(errno);
  if (typeof osCode === 'string' && osCode !== code) extra['osCode'] = osCode;
  return new StorageError(code, `${operation}: ${ErrorCodes[code]}`, { operation, ...extra }, { cause: err });
}

/** An operating-system condition detected by the backend itself (same shape as a mapped one). */
export function osError(code: ErrorCode, operation: string, details: StorageErrorDetails = {}): StorageError {
  return StorageError.fromErrno(code, operation, details);
}
