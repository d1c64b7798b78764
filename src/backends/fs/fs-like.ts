/**
 * The subset of the node:fs callback API that {@link FsIo} uses. `node:fs` satisfies it, and so
 * does a memfs `Volume` or any other fs-compatible module. Only the callback forms are used: they
 * are the fastest node:fs API (one libuv request per call, no FileHandle objects).
 */

/** What {@link FsLike} reports for a stat call. */
export interface FsStatsLike {
  readonly size: number | bigint;
  isFile(): boolean;
  isDirectory(): boolean;
  isSymbolicLink(): boolean;
}

/** A node-style error: `code` is the errno name (`'ENOENT'`...). */
export interface FsErrorLike {
  readonly code?: string | undefined;
  readonly errno?: number | undefined;
}

// Loose on purpose (optional arguments): fs-compatible modules type their callbacks that way.
type ErrCb = (err?: unknown) => void;
type ValueCb<T> = (err?: unknown, value?: T) => void;

/** Open-flag numbers; node:fs has them as `constants`, memfs uses Linux's values. */
export interface FsOpenConstants {
  readonly O_RDONLY: number;
  readonly O_WRONLY: number;
  readonly O_RDWR: number;
  readonly O_CREAT: number;
  readonly O_EXCL: number;
  readonly O_TRUNC: number;
  readonly O_DIRECTORY?: number | undefined;
  readonly O_NOFOLLOW?: number | undefined;
}

/** The callback-style file system API {@link FsIo} is written against. */
export interface FsLike {
  open(path: string, flags: number, mode: number, callback: ValueCb<number>): void;
  close(fd: number, callback: ErrCb): void;
  read(fd: number, buffer: Uint8Array, offset: number, length: number, position: number, callback: ValueCb<number>): void;
  write(fd: number, buffer: Uint8Array, offset: number, length: number, position: number, callback: ValueCb<number>): void;
  readv?(fd: number, buffers: Uint8Array[], position: number, callback: ValueCb<number>): void;
  writev?(fd: number, buffers: Uint8Array[], position: number, callback: ValueCb<number>): void;
  fsync(fd: number, callback: ErrCb): void;
  fdatasync(fd: number, callback: ErrCb): void;
  ftruncate(fd: number, length: number, callback: ErrCb): void;
  fstat(fd: number, callback: ValueCb<FsStatsLike>): void;
  stat(path: string, callback: ValueCb<FsStatsLike>): void;
  lstat(path: string, callback: ValueCb<FsStatsLike>): void;
  realpath(path: string, callback: ValueCb<string | Uint8Array>): void;
  readlink(path: string, callback: ValueCb<string | Uint8Array>): void;
  rename(from: string, to: string, callback: ErrCb): void;
  unlink(path: string, callback: ErrCb): void;
  mkdir(path: string, mode: number, callback: ErrCb): void;
  rmdir(path: string, callback: ErrCb): void;
  readdir(path: string, callback: ValueCb<readonly unknown[]>): void;
  realpathSync(path: string): string | Uint8Array;
  /** Used, when present, to replace a rename target in one step on custom modules (see FsIo). */
  renameSync?(from: string, to: string): void;
  unlinkSync?(path: string): void;
  /** Used, when present, to rename a symbolic link itself on custom modules (see FsIo.rename). */
  readlinkSync?(path: string): string | Uint8Array;
  symlinkSync?(target: string, path: string): void;
  rmdirSync?(path: string): void;
  statSync(path: string): FsStatsLike;
  readonly constants?: FsOpenConstants;
}
