/**
 * Shared argument checks. Every backend and Storage call these before touching anything, so bad
 * input is rejected identically everywhere and nothing is half-done when it is.
 */
import { StorageError } from './errors.js';
import type { OpenFlags } from './io.js';
import {
  BLOB_NAME_BYTES_MAX, BLOB_VERSION_MAX, FILE_SIZE_MAX_BYTES, IO_BYTES_MAX, IOV_COUNT_MAX,
  NAME_BYTES_MAX, OFFSET_MAX_BYTES, PARTITION_NAME_LENGTH_MAX, PATH_BYTES_MAX,
} from './limits.js';

const utf8 = new TextEncoder();

function invalid(operation: string, message: string, details: Record<string, unknown> = {}): StorageError {
  return new StorageError('ERR_INVALID_ARGUMENT', `${operation}: ${message}`, { operation, ...details });
}

/** A non-negative safe integer no larger than `maxValue`. `what` names the argument in the error. */
export function checkUnsigned(operation: string, what: string, value: unknown, maxValue: number): number {
  if (typeof value !== 'number' || !Number.isInteger(value) || value < 0) {
    throw invalid(operation, `${what} must be a non-negative integer`, { argument: what });
  }
  if (value > maxValue) {
    throw new StorageError('ERR_LIMIT_EXCEEDED', `${operation}: ${what} is past its limit`, {
      operation, argument: what, limit: maxValue,
    });
  }
  return value;
}

/** A file offset: a non-negative integer no larger than {@link OFFSET_MAX_BYTES}. */
export function checkOffset(operation: string, offsetBytes: unknown): number {
  return checkUnsigned(operation, 'offsetBytes', offsetBytes, OFFSET_MAX_BYTES);
}

/** A length: a non-negative integer no larger than `maxBytes` (default {@link OFFSET_MAX_BYTES}). */
export function checkLength(operation: string, lengthBytes: unknown, maxBytes: number = OFFSET_MAX_BYTES): number {
  return checkUnsigned(operation, 'lengthBytes', lengthBytes, maxBytes);
}

/** `offsetBytes + lengthBytes` must stay within {@link OFFSET_MAX_BYTES}. */
export function checkRangeEnd(operation: string, offsetBytes: number, lengthBytes: number, maxEndBytes: number = OFFSET_MAX_BYTES): void {
  if (offsetBytes + lengthBytes > maxEndBytes) {
    throw new StorageError('ERR_LIMIT_EXCEEDED', `${operation}: range ends past the size limit`, {
      operation, offsetBytes, lengthBytes, limit: maxEndBytes,
    });
  }
}

function fileTooLarge(operation: string, details: Record<string, unknown>, limitBytes: number): StorageError {
  return StorageError.fromErrno('EFBIG', operation, { ...details, limit: limitBytes });
}

/**
 * How many of `lengthBytes` a write at `offsetBytes` may transfer under the file size limit
 * ({@link FILE_SIZE_MAX_BYTES}), as Linux's generic_write_checks decides: all of a 0-byte write
 * (nothing is checked), `EFBIG` when the write starts at or past the limit, otherwise up to the
 * limit (a short write). Backends call it after the fd checks (`EBADF` comes first).
 */
export function writableBytes(
  operation: string, offsetBytes: number, lengthBytes: number, details: Record<string, unknown> = {},
  limitBytes: number = FILE_SIZE_MAX_BYTES,
): number {
  if (lengthBytes === 0) return 0;
  if (offsetBytes >= limitBytes) throw fileTooLarge(operation, { ...details, offsetBytes }, limitBytes);
  return Math.min(lengthBytes, limitBytes - offsetBytes);
}

/** `EFBIG` when a truncate or allocation would make the file longer than {@link FILE_SIZE_MAX_BYTES}. */
export function checkFileSize(operation: string, sizeBytes: number, details: Record<string, unknown> = {}, limitBytes: number = FILE_SIZE_MAX_BYTES): void {
  if (sizeBytes > limitBytes) throw fileTooLarge(operation, { ...details, sizeBytes }, limitBytes);
}

/** The first `lengthBytes` of `buffers` (the list itself when it holds no more), for a write cut short. */
export function truncateBuffers(buffers: readonly Uint8Array[], lengthBytes: number): Uint8Array[] {
  const out: Uint8Array[] = [];
  let leftBytes = lengthBytes;
  for (const buffer of buffers) {
    if (leftBytes === 0) break;
    const n = Math.min(buffer.byteLength, leftBytes);
    out.push(n === buffer.byteLength ? buffer : buffer.subarray(0, n));
    leftBytes -= n;
  }
  return out;
}

/** A file descriptor number: a non-negative integer. Whether it is open is the backend's `EBADF`. */
export function checkFd(operation: string, fd: unknown): number {
  if (typeof fd !== 'number' || !Number.isInteger(fd) || fd < 0 || fd > 0x7fff_ffff) {
    throw invalid(operation, 'fd must be a non-negative integer', { argument: 'fd' });
  }
  return fd;
}

/** True when the ArrayBuffer behind `view` has been detached (transferred). Works on Node 20. */
export function isDetached(view: ArrayBufferView): boolean {
  if (view.byteLength !== 0) return false;
  const backing = view.buffer;
  if (backing.byteLength !== 0) return false;
  try {
    // Constructing a view on a detached buffer throws; on a genuinely empty one it does not.
    new Uint8Array(backing, 0, 0);
    return false;
  } catch {
    return true;
  }
}

/** A Uint8Array (Buffer included) that is not detached and not larger than `maxBytes`. */
export function checkBuffer(operation: string, buffer: unknown, maxBytes: number = IO_BYTES_MAX): Uint8Array {
  if (!(buffer instanceof Uint8Array)) throw invalid(operation, 'buffer must be a Uint8Array', { argument: 'buffer' });
  if (isDetached(buffer)) {
    throw new StorageError('ERR_DETACHED_BUFFER', `${operation}: buffer is detached`, { operation });
  }
  if (buffer.byteLength > maxBytes) {
    throw new StorageError('ERR_LIMIT_EXCEEDED', `${operation}: buffer is past the transfer limit`, {
      operation, argument: 'buffer', limit: maxBytes,
    });
  }
  return buffer;
}

/** An array of 0..{@link IOV_COUNT_MAX} buffers whose total is at most {@link IO_BYTES_MAX}; returns the total. */
export function checkBuffers(operation: string, buffers: unknown): number {
  if (!Array.isArray(buffers)) throw invalid(operation, 'buffers must be an array of Uint8Array', { argument: 'buffers' });
  if (buffers.length > IOV_COUNT_MAX) {
    throw new StorageError('ERR_LIMIT_EXCEEDED', `${operation}: too many buffers`, { operation, argument: 'buffers', limit: IOV_COUNT_MAX });
  }
  let totalBytes = 0;
  for (const buffer of buffers) totalBytes += checkBuffer(operation, buffer).byteLength;
  if (totalBytes > IO_BYTES_MAX) {
    throw new StorageError('ERR_LIMIT_EXCEEDED', `${operation}: buffers are past the transfer limit`, {
      operation, argument: 'buffers', limit: IO_BYTES_MAX,
    });
  }
  return totalBytes;
}

/**
 * A path relative to the Io root, parsed the way Linux's path walk reads it.
 *
 * Empty and `.` components in the middle change nothing (the component before them must be a
 * directory either way, which the walk to the next one checks), so they are dropped. What ends
 * the path is kept, because Linux gives it meaning: a trailing `/` demands a directory, and a
 * last component `.` names the directory itself, which can be looked into but never created,
 * removed or renamed (`rmdir("d/.")` is `EINVAL`, `rename(x, "d/.")` `EBUSY`...).
 */
export interface ParsedPath {
  /** The components joined by `/`, without trailing marks; `'.'` for the root. */
  readonly path: string;
  /** The path ended with `/` (and its last component is not `.`). */
  readonly trailingSlash: boolean;
  /** The last component is `.`: the root itself, or `d/.`, `d/./`. */
  readonly lastIsDot: boolean;
  /**
   * Index (in `path.split('/')`) of the first component longer than NAME_MAX bytes, or -1. Linux
   * reports `ENAMETOOLONG` only when its walk reaches that component: a missing or non-directory
   * component before it gives `ENOENT`/`ENOTDIR` instead, so backends check it during their walk.
   */
  readonly tooLongIndex: number;
}

/** A lone surrogate: what UTF-8 cannot encode (Node sends U+FFFD in its place). */
const LONE_SURROGATE = /[\ud800-\udbff](?![\udc00-\udfff])|(?<![\ud800-\udbff])[\udc00-\udfff]/g;

/**
 * Parses a path relative to the Io root (see {@link ParsedPath}). Rejects non-strings, empty
 * paths, NUL bytes (`ERR_INVALID_ARGUMENT`), absolute paths and any `..` component
 * (`ERR_PATH_ESCAPE`), and paths longer than PATH_MAX bytes (`ENAMETOOLONG`, checked before any
 * walk, as Linux does). Names are what Node would send the kernel: the UTF-8 encoding, in which a
 * lone surrogate becomes U+FFFD, so `"\ud800"` and `"\udc00"` are one name everywhere. On Linux
 * `\` and `:` are ordinary characters: `c:x` and `\\a` are plain relative names.
 */
export function parsePath(operation: string, path: unknown): ParsedPath {
  if (typeof path !== 'string') throw invalid(operation, 'path must be a string', { argument: 'path' });
  if (path.length === 0) throw invalid(operation, 'path must not be empty', { argument: 'path' });
  if (path.includes('\0')) throw invalid(operation, 'path must not contain NUL', { argument: 'path' });
  if (path.startsWith('/')) {
    throw new StorageError('ERR_PATH_ESCAPE', `${operation}: absolute paths are not allowed`, { operation, path });
  }
  const wellFormed = path.replace(LONE_SURROGATE, '\ufffd');
  if (Buffer.byteLength(wellFormed, 'utf8') > PATH_BYTES_MAX) {
    throw new StorageError('ENAMETOOLONG', `${operation}: path too long`, { operation, path, limit: PATH_BYTES_MAX });
  }
  const parts: string[] = [];
  let tooLongIndex = -1;
  const raw = wellFormed.split('/');
  for (const part of raw) {
    if (part === '' || part === '.') continue;
    if (part === '..') {
      throw new StorageError('ERR_PATH_ESCAPE', `${operation}: '..' is not allowed in paths`, { operation, path });
    }
    if (tooLongIndex < 0 && Buffer.byteLength(part, 'utf8') > NAME_BYTES_MAX) tooLongIndex = parts.length;
    parts.push(part);
  }
  // The last non-empty component decides: `d/./` ends in `.`, `d/` in a slash.
  let last = raw.length - 1;
  while (last > 0 && raw[last] === '') last -= 1;
  const lastIsDot = parts.length === 0 || raw[last] === '.';
  return {
    path: parts.length === 0 ? '.' : parts.join('/'),
    trailingSlash: !lastIsDot && last < raw.length - 1,
    lastIsDot,
    tooLongIndex,
  };
}

/** `ENAMETOOLONG` for `parsed`, once a backend's walk has reached its over-long component. */
export function nameTooLongError(operation: string, parsed: ParsedPath): StorageError {
  return new StorageError('ENAMETOOLONG', `${operation}: path component too long`, { operation, path: parsed.path, limit: NAME_BYTES_MAX });
}

/**
 * The components before the first over-long one (`'.'` when it is the first), which must be
 * walked (each a directory) before `ENAMETOOLONG` is the answer; undefined when none is too long.
 */
export function nameTooLongPrefix(parsed: ParsedPath): string | undefined {
  if (parsed.tooLongIndex < 0) return undefined;
  if (parsed.tooLongIndex === 0) return '.';
  return parsed.path.split('/').slice(0, parsed.tooLongIndex).join('/');
}

/** The over-long component is the last one (rename looks last names up only after both parent walks). */
export function lastNameTooLong(parsed: ParsedPath): boolean {
  return parsed.tooLongIndex >= 0 && parsed.tooLongIndex === parsed.path.split('/').length - 1;
}

/** The path as the kernel should see it: the canonical path with its trailing `/` or `/.` kept. */
export function kernelPath(parsed: ParsedPath): string {
  if (parsed.lastIsDot) return parsed.path === '.' ? '.' : `${parsed.path}/.`;
  return parsed.trailingSlash ? `${parsed.path}/` : parsed.path;
}

/**
 * Splits a path for the `*at` system calls: the directory to open (`'.'` for the root) and the
 * last name relative to it, trailing mark included (`'.'` for a path ending in `.`, `name/` for
 * one ending in a slash), so the kernel applies its own rules to them.
 */
export function atSplit(parsed: ParsedPath): { readonly parent: string; readonly name: string } {
  if (parsed.lastIsDot) return { parent: parsed.path, name: '.' };
  const name = baseName(parsed.path);
  return { parent: parentPath(parsed.path), name: parsed.trailingSlash ? `${name}/` : name };
}

/** What a path's entry is once the walk to it succeeded: missing, a file or a directory. */
export type EntryKind = 'missing' | 'file' | 'directory';

/** The namespace operations whose answer a trailing `/` or a last `.` changes (rename: {@link renameTrailingError}). */
export type TrailingOperation = 'open' | 'stat' | 'readdir' | 'unlink' | 'mkdir' | 'rmdir';

/**
 * Linux's answer for `operation` on a path ending in `/` or in `.`, for backends that do not hand
 * the path to the kernel (the simulator, fs modules such as memfs). `kind` is what the canonical
 * path names (symlinks followed where the operation follows them). Returns the error code, or
 * undefined when the operation goes on exactly as for the canonical path. `create`/`exclusive`/
 * `write` are `open`'s flags. Measured on Linux: `open("x/", O_CREAT)` is `EISDIR` whatever x is;
 * with `.` last, a missing entry is `ENOENT` and a file `ENOTDIR` for every operation (the walk
 * enters it), then `unlink` is `EISDIR`, `mkdir` `EEXIST`, `rmdir` `EINVAL`, `open` with
 * O_CREAT|O_EXCL `EEXIST` and with O_CREAT or write access `EISDIR`; with a trailing slash a file
 * is `ENOTDIR` except for `mkdir` and `rmdir`, which ignore the slash.
 */
export function trailingError(
  operation: TrailingOperation, parsed: ParsedPath, kind: EntryKind,
  open: { readonly create: boolean; readonly exclusive: boolean; readonly write: boolean } = { create: false, exclusive: false, write: false },
): 'ENOENT' | 'ENOTDIR' | 'EISDIR' | 'EEXIST' | 'EINVAL' | undefined {
  if (parsed.lastIsDot) {
    if (kind === 'missing') return 'ENOENT';
    if (kind === 'file') return 'ENOTDIR';
    switch (operation) {
      case 'unlink': return 'EISDIR';
      case 'mkdir': return 'EEXIST';
      case 'rmdir': return 'EINVAL';
      case 'open':
        if (open.create && open.exclusive) return 'EEXIST';
        return open.create || open.write ? 'EISDIR' : undefined;
      default: return undefined;
    }
  }
  if (!parsed.trailingSlash || operation === 'mkdir' || operation === 'rmdir') return undefined;
  if (operation === 'open' && open.create) return 'EISDIR';
  if (kind === 'missing') return 'ENOENT';
  if (kind === 'file') return 'ENOTDIR';
  return operation === 'unlink' ? 'EISDIR' : undefined;
}

/**
 * Linux's rename rules for trailing marks, checked after both parents were walked: a last `.` on
 * either side is `EBUSY` (before the entries are looked at); once the source is known to exist, a
 * source that is not a directory with a trailing slash on either side is `ENOTDIR`.
 */
export function renameTrailingError(from: ParsedPath, to: ParsedPath, sourceKind?: EntryKind): 'EBUSY' | 'ENOTDIR' | undefined {
  if (from.lastIsDot || to.lastIsDot) return 'EBUSY';
  if (sourceKind === 'file' && (from.trailingSlash || to.trailingSlash)) return 'ENOTDIR';
  return undefined;
}

/**
 * The canonical form of a path relative to the Io root (see {@link parsePath}), for callers that
 * name directories of their own (scratch files): trailing marks dropped, and a component past
 * NAME_MAX refused at once with `ENAMETOOLONG`.
 */
export function normalizePath(operation: string, path: unknown): string {
  const parsed = parsePath(operation, path);
  if (parsed.tooLongIndex >= 0) throw nameTooLongError(operation, parsed);
  return parsed.path;
}

/** The parent of a normalized path (`'.'` for top-level names and for the root). */
export function parentPath(normalized: string): string {
  const slash = normalized.lastIndexOf('/');
  return slash < 0 ? '.' : normalized.slice(0, slash);
}

/** The last component of a normalized path (`'.'` for the root). */
export function baseName(normalized: string): string {
  const slash = normalized.lastIndexOf('/');
  return slash < 0 ? normalized : normalized.slice(slash + 1);
}

/** The flags with defaults applied, after checking the combination (`ERR_INVALID_ARGUMENT`). */
export interface ResolvedOpenFlags {
  readonly read: boolean;
  readonly write: boolean;
  readonly create: boolean;
  readonly exclusive: boolean;
  readonly truncate: boolean;
  readonly directory: boolean;
  readonly direct: boolean;
  readonly tmpfile: boolean;
}

const FLAG_NAMES = ['read', 'write', 'create', 'exclusive', 'truncate', 'directory', 'direct', 'tmpfile'] as const;

export function checkOpenFlags(operation: string, flags: unknown): ResolvedOpenFlags {
  if (flags === undefined) flags = {};
  if (typeof flags !== 'object' || flags === null || Array.isArray(flags)) {
    throw invalid(operation, 'flags must be an object', { argument: 'flags' });
  }
  const f = flags as Record<string, unknown>;
  for (const key of Object.keys(f)) {
    if (!(FLAG_NAMES as readonly string[]).includes(key)) throw invalid(operation, `unknown open flag '${key}'`, { argument: 'flags', flag: key });
    const v = f[key];
    if (v !== undefined && typeof v !== 'boolean') throw invalid(operation, `open flag '${key}' must be a boolean`, { argument: 'flags', flag: key });
  }
  const write = f['write'] === true;
  const resolved: ResolvedOpenFlags = {
    read: f['read'] === true || !write,
    write,
    create: f['create'] === true,
    exclusive: f['exclusive'] === true,
    truncate: f['truncate'] === true,
    directory: f['directory'] === true,
    direct: f['direct'] === true,
    tmpfile: f['tmpfile'] === true,
  };
  if (resolved.truncate && !resolved.write) throw invalid(operation, "'truncate' needs 'write'", { argument: 'flags' });
  if (resolved.exclusive && !resolved.create) throw invalid(operation, "'exclusive' needs 'create'", { argument: 'flags' });
  if (resolved.directory && (resolved.write || resolved.create || resolved.truncate || resolved.direct || resolved.tmpfile)) {
    throw invalid(operation, "'directory' excludes write, create, truncate, direct and tmpfile", { argument: 'flags' });
  }
  if (resolved.tmpfile && (!resolved.write || resolved.create || resolved.exclusive || resolved.truncate)) {
    throw invalid(operation, "'tmpfile' needs 'write' and excludes create, exclusive and truncate", { argument: 'flags' });
  }
  return resolved;
}

/** A `Clock.sleep` duration: a finite number >= 0. */
export function checkSleepMs(ms: unknown): number {
  if (typeof ms !== 'number' || !Number.isFinite(ms) || ms < 0) {
    throw invalid('sleep', 'ms must be a finite number >= 0', { argument: 'ms' });
  }
  return ms;
}

const PARTITION_PATTERN = /^[A-Za-z0-9_-]+$/;

/** A partition name: `[A-Za-z0-9_-]+`, at most {@link PARTITION_NAME_LENGTH_MAX} characters. */
export function checkPartitionName(operation: string, partition: unknown): string {
  if (typeof partition !== 'string' || !PARTITION_PATTERN.test(partition)) {
    throw invalid(operation, 'partition name must match [A-Za-z0-9_-]+', { argument: 'partition' });
  }
  if (partition.length > PARTITION_NAME_LENGTH_MAX) {
    throw new StorageError('ERR_LIMIT_EXCEEDED', `${operation}: partition name too long`, {
      operation, argument: 'partition', limit: PARTITION_NAME_LENGTH_MAX,
    });
  }
  return partition;
}

/** A blob name's bytes: a non-empty string (UTF-8) or non-empty bytes, at most {@link BLOB_NAME_BYTES_MAX}. */
export function blobNameBytes(operation: string, name: unknown): Uint8Array {
  let bytes: Uint8Array;
  if (typeof name === 'string') bytes = utf8.encode(name);
  else if (name instanceof Uint8Array) {
    if (isDetached(name)) throw new StorageError('ERR_DETACHED_BUFFER', `${operation}: name buffer is detached`, { operation });
    bytes = name;
  } else throw invalid(operation, 'blob name must be a string or a Uint8Array', { argument: 'name' });
  if (bytes.byteLength === 0) throw invalid(operation, 'blob name must not be empty', { argument: 'name' });
  if (bytes.byteLength > BLOB_NAME_BYTES_MAX) {
    throw new StorageError('ERR_LIMIT_EXCEEDED', `${operation}: blob name too long`, {
      operation, argument: 'name', limit: BLOB_NAME_BYTES_MAX,
    });
  }
  return bytes;
}

/** The file name of a blob: the lowercase hex of its name's bytes. */
export function blobFileName(operation: string, name: unknown): string {
  return Buffer.from(blobNameBytes(operation, name)).toString('hex');
}

/** Inverse of {@link blobFileName}; `undefined` for file names that are not a blob's. */
export function blobNameFromFileName(fileName: string): Uint8Array | undefined {
  if (fileName.length === 0 || fileName.length % 2 !== 0 || !/^[0-9a-f]+$/.test(fileName)) return undefined;
  return new Uint8Array(Buffer.from(fileName, 'hex'));
}

/** A `[min, max]` version range of u16 values with `min <= max`; default `[0, 0]`. */
export function checkVersions(operation: string, versions: unknown): readonly [number, number] {
  if (versions === undefined) return [0, 0];
  if (!Array.isArray(versions) || versions.length !== 2) throw invalid(operation, 'versions must be [min, max]', { argument: 'versions' });
  const min = checkUnsigned(operation, 'versions[0]', versions[0], BLOB_VERSION_MAX);
  const max = checkUnsigned(operation, 'versions[1]', versions[1], BLOB_VERSION_MAX);
  if (min > max) throw invalid(operation, 'versions must satisfy min <= max', { argument: 'versions' });
  return [min, max];
}

/** `fsync` options: `undefined` or an object whose `dataOnly` is absent or a boolean; returns `dataOnly`. */
export function checkFsyncOptions(operation: string, options: unknown): boolean {
  if (options === undefined) return false;
  if (typeof options !== 'object' || options === null || Array.isArray(options)) {
    throw invalid(operation, 'options must be an object', { argument: 'options' });
  }
  const dataOnly = (options as { dataOnly?: unknown }).dataOnly;
  if (dataOnly !== undefined && typeof dataOnly !== 'boolean') {
    throw invalid(operation, 'dataOnly must be a boolean', { argument: 'dataOnly' });
  }
  return dataOnly === true;
}

/** An `allocate` range: a valid offset, a length > 0, and an end within the file size limit. */
export function checkAllocateRange(operation: string, offsetBytes: unknown, lengthBytes: unknown): void {
  const offset = checkOffset(operation, offsetBytes);
  const length = checkLength(operation, lengthBytes);
  if (length === 0) throw invalid(operation, 'lengthBytes must be > 0', { argument: 'lengthBytes' });
  checkRangeEnd(operation, offset, length);
}
