/** The checks of a backend's `root` option that come before anything is opened. */
import { StorageError } from '../../interfaces/errors.js';
import { PATH_BYTES_MAX } from '../../interfaces/limits.js';

/**
 * `root` (already known to be a non-empty string) as the kernel would take it, checked the same
 * way by FsIo and UringIo so that both constructors answer alike: a NUL cannot reach the kernel
 * (node:fs and the addon would throw raw argument errors), and a root longer than PATH_MAX is
 * what open(2) answers with `ENAMETOOLONG` (the addon refuses one past 64 KiB without asking, and
 * node's realpath walk would report the first missing component instead). Lone surrogates count
 * as the U+FFFD Node sends.
 */
export function checkRoot(operation: string, root: string): void {
  if (root.includes('\0')) {
    throw new StorageError('ERR_INVALID_ARGUMENT', `${operation}: options.root must not contain NUL`, { operation, argument: 'root' });
  }
  if (Buffer.byteLength(root, 'utf8') > PATH_BYTES_MAX) {
    throw new StorageError('ENAMETOOLONG', `${operation}: options.root is longer than PATH_MAX`, {
      operation, argument: 'root', limit: PATH_BYTES_MAX,
    });
  }
}
