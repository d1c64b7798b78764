/**
 * The one place where a kernel errno (as io_uring reports it, negated in a CQE) becomes a
 * {@link StorageError} code. Numbers come from `os.constants.errno`, so the table is right on any
 * architecture Node runs on.
 */
import { constants } from 'node:os';
import type { ErrorCode } from '../../interfaces/errors.js';

const E = constants.errno;

/**
 * The StorageError code for `errno` (positive). Conditions the contract does not name (ENXIO,
 * EOVERFLOW, ETXTBSY...) are reported as `EIO`; the raw number stays in `details.errno`.
 * `ECANCELED` only arises from our own cancellation at shutdown, so it is `ERR_CLOSED`.
 */
export function errnoToCode(errno: number): ErrorCode {
  switch (errno) {
    case E.ENOENT: return 'ENOENT';
    case E.EEXIST: return 'EEXIST';
    case E.EIO: return 'EIO';
    case E.ENOSPC: return 'ENOSPC';
    case E.EBADF: return 'EBADF';
    case E.EISDIR: return 'EISDIR';
    case E.ENOTDIR: return 'ENOTDIR';
    case E.ENOTEMPTY: return 'ENOTEMPTY';
    case E.EINVAL: return 'EINVAL';
    case E.EACCES: return 'EACCES';
    case E.EPERM: return 'EPERM';
    case E.EMFILE: return 'EMFILE';
    case E.ENFILE: return 'ENFILE';
    case E.ENAMETOOLONG: return 'ENAMETOOLONG';
    case E.ELOOP: return 'ELOOP';
    case E.EXDEV: return 'EXDEV';
    case E.EFBIG: return 'EFBIG';
    case E.EROFS: return 'EROFS';
    case E.EAGAIN: return 'EAGAIN';
    case E.EINTR: return 'EINTR';
    case E.EBUSY: return 'EBUSY';
    case E.ENOMEM: return 'ENOMEM';
    case E.EDQUOT: return 'EDQUOT';
    case E.EOPNOTSUPP: return 'EOPNOTSUPP';
    case E.ENOSYS: return 'ENOSYS';
    case E.ESPIPE: return 'ESPIPE';
    case E.EFAULT: return 'EFAULT';
    case E.ECANCELED: return 'ERR_CLOSED';
    case E.E2BIG: return 'ERR_LIMIT_EXCEEDED';
    default: return 'EIO';
  }
}

/** The errno's symbolic name (`'EPERM'`), or `'E?<n>'` when Node does not know it. */
export function errnoName(errno: number): string {
  for (const [name, value] of Object.entries(E)) if (value === errno) return name;
  return `E?${errno}`;
}
