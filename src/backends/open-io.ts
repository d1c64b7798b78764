/**
 * openIo: picks the real-disk backend for a root directory.
 *
 * `'iouring'` demands {@link UringIo} (and rejects with `ERR_IOURING_UNAVAILABLE`, naming the
 * cause and fix, where it cannot start); `'fs'` is {@link FsIo} over node:fs; `'auto'` (the
 * default) uses io_uring where it works and otherwise FsIo, explaining the fallback once on
 * stderr (once per process; each worker thread has its own module state, so once per thread there).
 */
import { StorageError, isStorageError } from '../interfaces/errors.js';
import type { Io } from '../interfaces/io.js';
import { checkOptionKeys } from '../interfaces/validate.js';
import { FsIo } from './fs/index.js';
import { UringIo } from './iouring/index.js';

/** The backends {@link openIo} can choose. */
export type IoBackendName = 'auto' | 'iouring' | 'fs';

/** Options of {@link openIo}. */
export interface OpenIoOptions {
  /** Which backend; default `'auto'`. */
  readonly backend?: IoBackendName;
  /** The root directory (must exist). */
  readonly root: string;
  /** io_uring queue depth (see UringIoOptions.queueDepth); ignored by the fs backend. */
  readonly queueDepth?: number;
  /** Set to false to keep `'auto'` quiet about falling back (default true). */
  readonly explainFallback?: boolean;
}

const OPEN_IO_OPTION_NAMES = ['backend', 'root', 'queueDepth', 'explainFallback'] as const;

let fallbackExplained = false;

/**
 * Resolves with an Io on `root`. Rejects with `ERR_INVALID_ARGUMENT` for an unknown backend name,
 * `ERR_IOURING_UNAVAILABLE` for `'iouring'` where io_uring cannot start, or the errno code when
 * the root cannot be opened (io_uring) — the fs backend checks the root on first use.
 */
export async function openIo(options: OpenIoOptions): Promise<Io> {
  if (typeof options !== 'object' || options === null) {
    throw new StorageError('ERR_INVALID_ARGUMENT', 'openIo: options must be an object', { operation: 'openIo', argument: 'options' });
  }
  checkOptionKeys('openIo', options, OPEN_IO_OPTION_NAMES);
  const backend = options.backend ?? 'auto';
  const uringOptions = options.queueDepth === undefined ? { root: options.root } : { root: options.root, queueDepth: options.queueDepth };
  switch (backend) {
    case 'iouring':
      return new UringIo(uringOptions);
    case 'fs':
      return new FsIo({ root: options.root });
    case 'auto': {
      const support = UringIo.isSupported();
      let reason = support.reason;
      if (support.supported) {
        try {
          return new UringIo(uringOptions);
        } catch (err) {
          if (!isStorageError(err, 'ERR_IOURING_UNAVAILABLE')) throw err;
          reason = err.message;
        }
      }
      if (!fallbackExplained && options.explainFallback !== false) {
        fallbackExplained = true;
        process.stderr.write(`faultline: io_uring is not available (${reason ?? 'unknown reason'}); using the node:fs backend\n`);
      }
      return new FsIo({ root: options.root });
    }
    default:
      throw new StorageError('ERR_INVALID_ARGUMENT', "openIo: backend must be 'auto', 'iouring' or 'fs'", {
        operation: 'openIo', argument: 'backend', backend: String(backend),
      });
  }
}
