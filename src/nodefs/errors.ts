/**
 * Errors shaped like Node's own, because packages branch on them: system errors carry `errno`
 * (negative, as Node reports it), `code`, `syscall`, `path` and `dest`, with Node's message
 * format; argument errors are `TypeError`/`RangeError` with Node's `ERR_*` codes and wording.
 * Node does not export its error constructors, so these are rebuilt from its documented format
 * (the tests compare them with what real `node:fs` throws).
 */
import { constants as osConstants } from 'node:os';
import { getSystemErrorMap, inspect } from 'node:util';
import { StorageError } from '../interfaces/errors.js';

const systemErrors = getSystemErrorMap();
const errnoByName = osConstants.errno as Readonly<Record<string, number>>;

/** A system error as Node's `fs` raises it (`uvException`). */
export interface NodeSystemError extends Error {
  errno: number;
  code: string;
  syscall: string;
  path?: string;
  dest?: string;
}

/** A system error with Node's message: `ENOENT: no such file or directory, open '/x'`. */
export function systemError(code: string, syscall: string, path?: string, dest?: string): NodeSystemError {
  const number = errnoByName[code];
  const errno = number === undefined ? -1 : -number;
  const description = systemErrors.get(errno)?.[1] ?? code.toLowerCase();
  let message = `${code}: ${description}, ${syscall}`;
  if (path !== undefined) message += ` '${path}'`;
  if (dest !== undefined) message += ` -> '${dest}'`;
  const err = new Error(message) as NodeSystemError;
  err.errno = errno;
  err.code = code;
  err.syscall = syscall;
  if (path !== undefined) err.path = path;
  if (dest !== undefined) err.dest = dest;
  return err;
}

/**
 * Converts what an Io call threw into what `node:fs` would throw. Operating-system codes become
 * Node system errors; a contract-level argument refusal is the kernel's `EINVAL`; conditions of
 * the simulation itself (`ERR_CRASHED`, `ERR_CLOSED`, limits) stay `StorageError`s with their code.
 */
export function toNodeError(err: unknown, syscall: string, path?: string, dest?: string): unknown {
  if (!(err instanceof StorageError)) return err;
  if (err.code === 'ERR_INVALID_ARGUMENT') return systemError('EINVAL', syscall, path, dest);
  if (errnoByName[err.code] !== undefined) return systemError(err.code, syscall, path, dest);
  return err;
}

type NodeErrorClass = typeof TypeError | typeof RangeError | typeof Error;

function nodeError(Base: NodeErrorClass, code: string, message: string): Error {
  const err = new Base(message);
  Object.defineProperty(err, 'code', { value: code, enumerable: true, writable: true, configurable: true });
  // Node's own errors print as `TypeError [ERR_X]: message`.
  Object.defineProperty(err, 'stack', {
    value: (err.stack ?? '').replace(/^(\w+): /, `$1 [${code}]: `), enumerable: false, writable: true, configurable: true,
  });
  return err;
}

/** Node's `Received ...` suffix of argument errors (its `determineSpecificType`). */
export function describeReceived(value: unknown): string {
  if (value === null || value === undefined) return ` Received ${String(value)}`;
  if (typeof value === 'function') return ` Received function ${(value as { name?: string }).name ?? ''}`;
  if (typeof value === 'object') {
    const name = (value as { constructor?: { name?: string } }).constructor?.name;
    if (name) return ` Received an instance of ${name}`;
    return ` Received ${inspect(value, { depth: -1 })}`;
  }
  let shown = inspect(value, { colors: false });
  if (shown.length > 28) shown = `${shown.slice(0, 25)}...`;
  return ` Received type ${typeof value} (${shown})`;
}

/** `ERR_INVALID_ARG_TYPE`: `The "name" argument must be <expected>. Received ...`. */
export function invalidArgType(name: string, expected: string, value: unknown): Error {
  // Node words an "X[]" expectation as "must be an X[]" (no "instance of").
  const kind = name.includes('.') ? 'property' : 'argument';
  return nodeError(TypeError, 'ERR_INVALID_ARG_TYPE', `The "${name}" ${kind} must be ${expected}.${describeReceived(value)}`);
}

/** `ERR_INVALID_ARG_VALUE`: `The argument 'name' <reason>. Received <inspected>`. */
export function invalidArgValue(name: string, value: unknown, reason = 'is invalid'): Error {
  const kind = name.includes('.') ? 'property' : 'argument';
  let shown = inspect(value);
  if (shown.length > 128) shown = `${shown.slice(0, 128)}...`;
  return nodeError(TypeError, 'ERR_INVALID_ARG_VALUE', `The ${kind} '${name}' ${reason}. Received ${shown}`);
}

/** `ERR_OUT_OF_RANGE`: `The value of "name" is out of range. It must be <range>. Received <value>`. */
export function outOfRange(name: string, range: string, value: unknown): Error {
  const shown = typeof value === 'bigint' ? `${String(value)}n` : inspect(value);
  return nodeError(RangeError, 'ERR_OUT_OF_RANGE', `The value of "${name}" is out of range. It must be ${range}. Received ${shown}`);
}

/** `ERR_INVALID_URL_SCHEME`. */
export function invalidUrlScheme(): Error {
  return nodeError(TypeError, 'ERR_INVALID_URL_SCHEME', 'The URL must be of scheme file');
}

/** Node's internal `SystemError` class (not exported by Node): `err.constructor.name` matches. */
class SystemError extends Error {}

/** `ERR_FS_EISDIR` (what `rm` without `recursive` throws on a directory). */
export function fsEisdir(path: string): Error {
  const err = new SystemError(`Path is a directory: rm returned EISDIR (is a directory) ${path}`);
  Object.defineProperty(err, 'code', { value: 'ERR_FS_EISDIR', enumerable: true, writable: true, configurable: true });
  Object.defineProperty(err, 'stack', {
    value: (err.stack ?? '').replace(/^(\w+): /, 'SystemError [ERR_FS_EISDIR]: '), enumerable: false, writable: true, configurable: true,
  });
  Object.defineProperty(err, 'name', { value: 'SystemError', enumerable: false, writable: true, configurable: true });
  Object.assign(err, { errno: errnoByName['EISDIR'], syscall: 'rm', path, info: { code: 'EISDIR', message: 'is a directory', path, syscall: 'rm', errno: errnoByName['EISDIR'] } });
  return err;
}

/** An error with a string `code` and a numeric `errno`, as `systemError` makes them (not a StorageError). */
export function isSystemError(err: unknown): err is NodeSystemError {
  return err instanceof Error && typeof (err as { errno?: unknown }).errno === 'number' && typeof (err as { code?: unknown }).code === 'string';
}

/** libuv's UV_UNKNOWN: the errno of an error Node cannot name. */
const UV_UNKNOWN = -4094;

/** What Node 24's rmSync says for the errors it names (its `Local<Value>` messages). */
const RM_SYNC_NAMED: Readonly<Record<string, string>> = {
  EPERM: 'Operation not permitted', ENOTEMPTY: 'Directory not empty', ENOTDIR: 'Not a directory', EACCES: 'Permission denied',
};

/** glibc's strerror for the errors a simulated disk can give an rmSync (std::error_code::message). */
const STRERROR: Readonly<Record<string, string>> = {
  EINVAL: 'Invalid argument', ELOOP: 'Too many levels of symbolic links', EBUSY: 'Device or resource busy',
  EISDIR: 'Is a directory', ENAMETOOLONG: 'File name too long', EIO: 'Input/output error', EROFS: 'Read-only file system',
  ENOSPC: 'No space left on device', EEXIST: 'File exists', EMFILE: 'Too many open files', ENFILE: 'Too many open files in system',
  EBADF: 'Bad file descriptor', ENOENT: 'No such file or directory', EFBIG: 'File too large', EDQUOT: 'Disk quota exceeded',
};

/**
 * What Node 24's rmSync (C++, `env->ThrowErrnoException`) throws for an error of the removal:
 * EPERM, ENOTEMPTY, ENOTDIR and EACCES keep their code, with the positive errno; anything else
 * is an Error with the code `''` and UV_UNKNOWN's errno. Syscall `rm`.
 */
export function rmSyncError(code: string, path: string): NodeSystemError {
  const named = RM_SYNC_NAMED[code];
  let err: NodeSystemError;
  if (named !== undefined) {
    err = new Error(`${code}, ${named}: '${path}'`) as NodeSystemError;
    err.errno = errnoByName[code] ?? UV_UNKNOWN;
    err.code = code;
  } else {
    const described = STRERROR[code] ?? (systemErrors.get(-(errnoByName[code] ?? 0))?.[1] ?? code).replace(/^./, (c) => c.toUpperCase());
    err = new Error(`, Unknown error: ${described} '${path}'`) as NodeSystemError;
    err.errno = UV_UNKNOWN;
    err.code = '';
  }
  err.path = path;
  err.syscall = 'rm';
  return err;
}

/** `ERR_FS_INVALID_SYMLINK_TYPE` (Node 20 and 22: a symlink type string Node does not know). */
export function invalidSymlinkType(type: string): Error {
  return nodeError(Error, 'ERR_FS_INVALID_SYMLINK_TYPE', `Symlink type must be one of "dir", "file", or "junction". Received "${type}"`);
}

/** `ERR_INVALID_ARG_VALUE` of Node's `validateOneOf`. */
export function notOneOf(name: string, value: unknown, allowed: readonly unknown[]): Error {
  const shown = allowed.map((v) => (typeof v === 'string' ? `'${v}'` : String(v))).join(', ');
  return invalidArgValue(name, value, `must be one of: ${shown}`);
}

/** `ERR_FS_FILE_TOO_LARGE`: readFile of a regular file over Node's kIoMaxLength (2 GiB - 1). */
export function fileTooLarge(sizeBytes: number): Error {
  return nodeError(RangeError, 'ERR_FS_FILE_TOO_LARGE', `File size (${sizeBytes}) is greater than 2 GiB`);
}

/** A method of `node:fs` this facade does not offer: never a fall-through to the real disk. */
export function unsupported(name: string): StorageError {
  return new StorageError('ERR_UNSUPPORTED', `fs.${name} is not supported on a simulated node's disk`, { operation: name });
}
