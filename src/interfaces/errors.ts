/**
 * Error codes and the one error class every backend raises.
 *
 * Operating-system conditions carry the errno name, so a program that handles `ENOSPC` on the real
 * disk handles it identically on the simulator. Library conditions carry an `ERR_` code. Codes are
 * stable API: tests and callers compare `err.code`, never `err.message`.
 */

/** Every code a {@link StorageError} can carry, with a one-line meaning. */
export const ErrorCodes = {
  // Operating-system conditions (errno names, Linux meanings).
  ENOENT: 'no such file or directory',
  EEXIST: 'file exists',
  EIO: 'input/output error',
  ENOSPC: 'no space left on device',
  EBADF: 'bad file descriptor',
  EISDIR: 'is a directory',
  ENOTDIR: 'not a directory',
  ENOTEMPTY: 'directory not empty',
  EINVAL: 'invalid argument (as reported by the operating system)',
  EACCES: 'permission denied',
  EPERM: 'operation not permitted',
  EMFILE: 'too many open files',
  ENFILE: 'too many open files in system',
  ENAMETOOLONG: 'file name too long',
  ELOOP: 'too many levels of symbolic links',
  EXDEV: 'cross-device link',
  EFBIG: 'file too large',
  EROFS: 'read-only file system',
  EAGAIN: 'resource temporarily unavailable',
  EINTR: 'interrupted system call',
  EBUSY: 'device or resource busy',
  ENOMEM: 'out of memory',
  EDQUOT: 'disk quota exceeded',
  EOPNOTSUPP: 'operation not supported by the file system',
  ENOSYS: 'function not implemented',
  ESPIPE: 'illegal seek',
  EFAULT: 'bad address',
  // Library conditions.
  ERR_INVALID_ARGUMENT: 'an argument has the wrong type, sign, or shape',
  ERR_DETACHED_BUFFER: 'a buffer was detached (transferred) before or during the operation',
  ERR_LIMIT_EXCEEDED: 'a well-formed value is past a documented limit',
  ERR_OUT_OF_RANGE: 'a read asked for bytes past the end of a blob',
  ERR_PATH_ESCAPE: 'a path tries to leave the root directory',
  ERR_CLOSED: 'the object was closed or shut down',
  ERR_CRASHED: 'the simulated node lost power; this Io is gone',
  ERR_UNSUPPORTED: 'this backend or kernel does not offer the operation',
  ERR_BLOB_CORRUPT: 'a blob header is damaged beyond a torn creation',
  ERR_VERSION_MISMATCH: 'a blob version is outside the accepted range',
  ERR_IOURING_UNAVAILABLE: 'io_uring cannot be started on this system',
  ERR_DEADLOCK: 'every simulated task is waiting and nothing can make progress',
  ERR_TIME_LIMIT: 'the simulation passed its simulated-time limit',
  ERR_INVALID_SLOT: 'a scratch slot is unknown or was already freed',
  ERR_INVALID_STATE: 'the call is not allowed in the current state (e.g. interception already installed)',
  ERR_NONDETERMINISM: 'two runs of the same seed differed: the code under test reads something outside the simulation',
  ERR_INTERNAL: 'an unexpected condition inside faultline (a bug: please report it)',
} as const;

export type ErrorCode = keyof typeof ErrorCodes;

/** True when `code` is one of {@link ErrorCodes}. */
export function isErrorCode(code: unknown): code is ErrorCode {
  return typeof code === 'string' && Object.prototype.hasOwnProperty.call(ErrorCodes, code);
}

/** Structured context of an error: data lives here, never inside the message. */
export interface StorageErrorDetails {
  /** The Io operation or library call that failed, e.g. `'open'`, `'blob.readAt'`. */
  readonly operation?: string;
  /** The path involved, relative to the Io root. */
  readonly path?: string;
  /** A second path (rename's destination). */
  readonly destination?: string;
  /** The raw errno number where the operating system reported one. */
  readonly errno?: number;
  /** Any further machine-readable facts (offsets, limits, versions...). */
  readonly [key: string]: unknown;
}

/**
 * The single error class of faultline. `code` is the stable identity of the condition; `details`
 * carries the data (paths, offsets, limits).
 */
export class StorageError extends Error {
  override readonly name = 'StorageError';
  readonly code: ErrorCode;
  readonly details: StorageErrorDetails;

  constructor(code: ErrorCode, message?: string, details: StorageErrorDetails = {}, options?: { cause?: unknown }) {
    super(message ?? ErrorCodes[code], options);
    this.code = code;
    this.details = details;
  }

  /** Shorthand for operating-system errors, with the errno name as the code. */
  static fromErrno(code: ErrorCode, operation: string, details: StorageErrorDetails = {}, cause?: unknown): StorageError {
    const msg = `${operation}: ${ErrorCodes[code]}`;
    return new StorageError(code, msg, { operation, ...details }, cause === undefined ? undefined : { cause });
  }
}

/** True when `err` is a {@link StorageError}, optionally with the given code. */
export function isStorageError(err: unknown, code?: ErrorCode): err is StorageError {
  return err instanceof StorageError && (code === undefined || err.code === code);
}

/**
 * A broken internal invariant: a bug in faultline or a misuse of an internal API, never an
 * operating condition. Separate from {@link StorageError} on purpose: it must not be handled and
 * retried like an I/O error.
 */
export class AssertionFailure extends Error {
  override readonly name = 'AssertionFailure';
}

/** Throws {@link AssertionFailure} when `condition` is false. For invariants, not for user input. */
export function assert(condition: unknown, message: string): asserts condition {
  if (!condition) throw new AssertionFailure(message);
}
