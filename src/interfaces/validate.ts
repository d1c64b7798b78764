/**
 * Shared argument checks. Every backend and Storage call these before touching anything, so bad
 * input is rejected identically everywhere and nothing is half-done when it is.
 */
import { StorageError } from './errors.js';
import type { OpenFlags } from './io.js';
import {
  BLOB_NAME_BYTES_MAX, BLOB_VERSION_MAX, FILE_SIZE_MAX_BYTES, IO_BYTES_MAX, IOV_COUNT_MAX,
  NAME_BYTES_MAX, PARTITION_NAME_LENGTH_MAX, PATH_BYTES_MAX,
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

/** A file offset: a non-negative integer below {@link FILE_SIZE_MAX_BYTES}. */
export function checkOffset(operation: string, offsetBytes: unknown): number {
  return checkUnsigned(operation, 'offsetBytes', offsetBytes, FILE_SIZE_MAX_BYTES);
}

/** A length: a non-negative integer no larger than `maxBytes` (default {@link FILE_SIZE_MAX_BYTES}). */
export function checkLength(operation: string, lengthBytes: unknown, maxBytes: number = FILE_SIZE_MAX_BYTES): number {
  return checkUnsigned(operation, 'lengthBytes', lengthBytes, maxBytes);
}

/** `offsetBytes + lengthBytes` must stay within {@link FILE_SIZE_MAX_BYTES}. */
export function checkRangeEnd(operation: string, offsetBytes: number, lengthBytes: number, maxEndBytes: number = FILE_SIZE_MAX_BYTES): void {
  if (offsetBytes + lengthBytes > maxEndBytes) {
    throw new StorageError('ERR_LIMIT_EXCEEDED', `${operation}: range ends past the size limit`, {
      operation, offsetBytes, lengthBytes, limit: maxEndBytes,
    });
  }
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
 * Normalizes a path relative to the Io root: drops empty and `.` components, returns `'.'` for the
 * root itself. Rejects non-strings, NUL bytes (`ERR_INVALID_ARGUMENT`), absolute paths and any
 * `..` component (`ERR_PATH_ESCAPE`), and over-long paths or components (`ENAMETOOLONG`).
 */
export function normalizePath(operation: string, path: unknown): string {
  if (typeof path !== 'string') throw invalid(operation, 'path must be a string', { argument: 'path' });
  if (path.length === 0) throw invalid(operation, 'path must not be empty', { argument: 'path' });
  if (path.includes('\0')) throw invalid(operation, 'path must not contain NUL', { argument: 'path' });
  if (path.startsWith('/') || path.startsWith('\\') || /^[A-Za-z]:/.test(path)) {
    throw new StorageError('ERR_PATH_ESCAPE', `${operation}: absolute paths are not allowed`, { operation, path });
  }
  if (utf8.encode(path).byteLength > PATH_BYTES_MAX) {
    throw new StorageError('ENAMETOOLONG', `${operation}: path too long`, { operation, path, limit: PATH_BYTES_MAX });
  }
  const parts: string[] = [];
  for (const part of path.split('/')) {
    if (part === '' || part === '.') continue;
    if (part === '..') {
      throw new StorageError('ERR_PATH_ESCAPE', `${operation}: '..' is not allowed in paths`, { operation, path });
    }
    if (utf8.encode(part).byteLength > NAME_BYTES_MAX) {
      throw new StorageError('ENAMETOOLONG', `${operation}: path component too long`, { operation, path, limit: NAME_BYTES_MAX });
    }
    parts.push(part);
  }
  return parts.length === 0 ? '.' : parts.join('/');
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
  checkOptionKeys(operation, options, ['dataOnly']);
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

/**
 * An options object (or `undefined` when `optional`) whose own keys are all in `allowed`. An
 * unknown key is `ERR_INVALID_ARGUMENT` naming it: a misspelt option (`sead` for `seed`) must never
 * be accepted and silently ignored. `what` names the object in the message (`options`, `fault
 * rule`...).
 */
export function checkOptionKeys(operation: string, options: unknown, allowed: readonly string[], what = 'options', optional = false): void {
  if (options === undefined && optional) return;
  if (typeof options !== 'object' || options === null || Array.isArray(options)) {
    throw invalid(operation, `${what} must be an object`, { argument: what });
  }
  for (const key of Object.keys(options)) {
    if (!allowed.includes(key)) throw invalid(operation, `unknown key '${key}' in ${what}`, { argument: key, allowed: [...allowed] });
  }
}
