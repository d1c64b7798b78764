/**
 * openIo: picks the real-disk backend for a root directory.
 *
 * `'iouring'` demands {@link UringIo} (and rejects with `ERR_IOURING_UNAVAILABLE`, naming the
 * cause and fix, where it cannot start); `'fs'` is {@link FsIo} over node:fs; `'auto'` (the
 * default) uses io_uring where it works and otherwise FsIo, explaining the fallback once on
 * stderr (once per process; each worker thread has its own module state, so once per thread there).
 */
import { stat } from 'node:fs/promises';
import { ErrorCodes, StorageError, isErrorCode, isStorageError } from '../interfaces/errors.js';
import type { Io } from '../interfaces/io.js';
import { checkOptionalBoolean, checkRoot, snapshotOptions } from '../interfaces/validate.js';
import { FsIo } from './fs/index.js';
import { UringIo } from './iouring/index.js';


/** The backends {@link openIo} can choose. */
export type IoBackendName = 'auto' | 'iouring' | 'fs';

/** Options of {@link openIo}. */
export interface OpenIoOptions {
  /** Which backend; default `'auto'`. */
  readonly backend?: IoBackendName;
  /** The root directory; it must exist beforehand (`mkdir -p` it), every path is relative to it. */
  readonly root: string;
  /** io_uring queue depth (see UringIoOptions.queueDepth); ignored by the fs backend. */
  readonly queueDepth?: number;
  /** Set to false to keep `'auto'` quiet about falling back (default true). */
  readonly explainFallback?: boolean;
}

const OPEN_IO_OPTION_NAMES = ['backend', 'root', 'queueDepth', 'explainFallback'] as const;

let fallbackExplained = false;

/**
 * The root must be an existing directory, for every backend: checked here so the error names
 * `openIo` and the root, instead of surfacing later from whichever operation touches it first.
 */
async function checkRootDirectory(root: unknown): Promise<void> {
  if (typeof root !== 'string' || root.length === 0) {
    throw new StorageError('ERR_INVALID_ARGUMENT', 'openIo: options.root must be a non-empty string (an existing directory)', {
      operation: 'openIo', argument: 'root',
    });
  }
  // What the backends' constructors check first (a NUL, past PATH_MAX): stat() would throw a raw
  // argument error for the one, and its answer for the other is not the kernel's open(2)'s.
  checkRoot('openIo', root);
  let isDirectory: boolean;
  try {
    isDirectory = (await stat(root)).isDirectory();
  } catch (err) {
    const raw = (err as { code?: unknown }).code;
    const code = isErrorCode(raw) ? raw : 'EIO';
    const errno = (err as { errno?: unknown }).errno;
    throw new StorageError(code, `openIo({ root: '${root}' }): the root directory cannot be used: ${ErrorCodes[code]}; create it first`, {
      operation: 'openIo', root, ...(typeof errno === 'number' ? { errno: Math.abs(errno) } : {}),
    }, { cause: err });
  }
  if (!isDirectory) {
    throw new StorageError('ENOTDIR', `openIo({ root: '${root}' }): the root is not a directory`, { operation: 'openIo', root });
  }
}

/**
 * Resolves with an Io on `root`, which must be an existing directory. Rejects with
 * `ERR_INVALID_ARGUMENT` for an unknown backend name or a missing root option,
 * `ERR_IOURING_UNAVAILABLE` for `'iouring'` where io_uring cannot start, or the errno code
 * (`ENOENT`, `ENOTDIR`, `EACCES`...) when the root is missing or unusable, naming `openIo` and the root.
 */
export async function openIo(callerOptions: OpenIoOptions): Promise<Io> {
  const options = snapshotOptions('openIo', callerOptions, OPEN_IO_OPTION_NAMES);
  checkOptionalBoolean('openIo', 'explainFallback', options.explainFallback);
  const backend = options.backend ?? 'auto';
  if (backend === 'auto' || backend === 'iouring' || backend === 'fs') await checkRootDirectory(options.root);
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
        // Only a string is shown: String() of a hostile object would run its code (and may throw).
        operation: 'openIo', argument: 'backend', backend: typeof backend === 'string' ? backend : typeof backend,
      });
  }
}
