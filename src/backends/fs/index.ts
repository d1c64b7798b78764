/** The node:fs backend: {@link FsIo} over node:fs or any fs-compatible module (memfs...). */
export { FsIo, FSIO_CUSTOM_FILE_SIZE_MAX_BYTES, type FsIoOptions } from './fs-io.js';
export type { FsLike, FsStatsLike, FsErrorLike, FsOpenConstants } from './fs-like.js';
export { RealClock } from './real-clock.js';
export { mapFsError } from './errors.js';
export { fsIoCapabilities, type FsCapability, type FsIoCapabilities } from './capabilities.js';
