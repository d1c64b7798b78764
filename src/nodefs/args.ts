/**
 * Argument checks of the `node:fs` facade, with Node's own error codes and wording, thrown where
 * Node throws them (synchronously, before anything happens, also for callback and promise forms).
 */
import { constants as fsConstants } from 'node:fs';
import { posix } from 'node:path';
import { fileURLToPath } from 'node:url';
import { invalidArgType, invalidArgValue, invalidUrlScheme, outOfRange } from './errors.js';
import { LINE } from './node-line.js';
import { intrinsicBuffer, intrinsicByteLength, intrinsicByteOffset, intrinsicGetter, isUint8Array, typedArrayKind } from '../interfaces/validate.js';

/** A path as given (for messages) and as the Io names it (relative to the disk's root). */
export interface FsPath {
  /** The path as the caller wrote it (a Buffer or URL turned into a string). */
  readonly shown: string;
  /** The normalized Io path: `'.'` for the root, `''` for the empty path (always `ENOENT`). */
  readonly io: string;
  /**
   * The path ends with `/` (or `/.`): as on Linux it must name a directory (a symbolic link in
   * the last component is then followed).
   */
  readonly mustBeDir: boolean;
}

const PATH_TYPES = 'of type string or an instance of Buffer or URL';

function isUrl(value: unknown): value is URL {
  return value instanceof URL || (typeof value === 'object' && value !== null && typeof (value as URL).href === 'string' && typeof (value as URL).protocol === 'string' && (value as { auth?: unknown }).auth === undefined && typeof (value as URL).origin === 'string');
}

/** Turns an absolute or relative node path into the Io's form (relative paths start at `/`). */
export function ioPathOf(shown: string): string {
  if (shown === '') return '';
  const resolved = posix.resolve('/', shown);
  return resolved === '/' ? '.' : resolved.slice(1);
}

/** A `PathLike` (string, Buffer/Uint8Array or file: URL): Node's `getValidatedPath`. */
export function checkPath(value: unknown, name = 'path'): FsPath {
  let shown: string;
  if (typeof value === 'string') shown = value;
  // The engine's brand check (a Proxy or look-alike passes `instanceof` but is no Uint8Array: Node's
  // `isUint8Array` refuses it), and its bytes read through the engine's getters.
  else if (isUint8Array(value)) shown = Buffer.from(viewBytes(value, false)).toString('utf8');
  else if (isUrl(value)) {
    if (value.protocol !== 'file:') throw invalidUrlScheme();
    shown = fileURLToPath(value);
  } else throw invalidArgType(name, PATH_TYPES, value);
  if (shown.includes('\u0000')) throw invalidArgValue(name, value, 'must be a string, Uint8Array, or URL without null bytes');
  const io = ioPathOf(shown);
  return { shown, io, mustBeDir: io !== '.' && io !== '' && /\/\.?$/.test(shown) };
}

/** A file descriptor: an int32 >= 0 (`validateInt32(fd, 'fd', 0)`). */
export function checkFd(value: unknown): number {
  if (typeof value !== 'number') throw invalidArgType('fd', 'of type number', value);
  if (!Number.isInteger(value)) throw outOfRange('fd', 'an integer', value);
  if (value < 0 || value > 0x7fff_ffff) throw outOfRange('fd', '>= 0 && <= 2147483647', value);
  return value;
}

/** A callback (`validateFunction(cb, 'cb')`). */
export function checkCallback(value: unknown): (...args: unknown[]) => void {
  if (typeof value !== 'function') throw invalidArgType('cb', 'of type function', value);
  return value as (...args: unknown[]) => void;
}

const { O_RDONLY, O_WRONLY, O_RDWR, O_CREAT, O_EXCL, O_TRUNC, O_APPEND, O_SYNC } = fsConstants;

/** Node's `stringToFlags` table. */
const FLAG_STRINGS: Readonly<Record<string, number>> = {
  r: O_RDONLY, rs: O_RDONLY | O_SYNC, sr: O_RDONLY | O_SYNC,
  'r+': O_RDWR, 'rs+': O_RDWR | O_SYNC, 'sr+': O_RDWR | O_SYNC,
  w: O_TRUNC | O_CREAT | O_WRONLY, wx: O_TRUNC | O_CREAT | O_WRONLY | O_EXCL, xw: O_TRUNC | O_CREAT | O_WRONLY | O_EXCL,
  'w+': O_TRUNC | O_CREAT | O_RDWR, 'wx+': O_TRUNC | O_CREAT | O_RDWR | O_EXCL, 'xw+': O_TRUNC | O_CREAT | O_RDWR | O_EXCL,
  a: O_APPEND | O_CREAT | O_WRONLY, ax: O_APPEND | O_CREAT | O_WRONLY | O_EXCL, xa: O_APPEND | O_CREAT | O_WRONLY | O_EXCL,
  as: O_APPEND | O_CREAT | O_WRONLY | O_SYNC, sa: O_APPEND | O_CREAT | O_WRONLY | O_SYNC,
  'a+': O_APPEND | O_CREAT | O_RDWR, 'ax+': O_APPEND | O_CREAT | O_RDWR | O_EXCL, 'xa+': O_APPEND | O_CREAT | O_RDWR | O_EXCL,
  'as+': O_APPEND | O_CREAT | O_RDWR | O_SYNC, 'sa+': O_APPEND | O_CREAT | O_RDWR | O_SYNC,
};

/** Open flags as a number (Node's `stringToFlags`); `undefined`/`null` give `fallback`. */
export function checkFlags(value: unknown, fallback: string | number = 'r', name = 'flags'): number {
  if (value === undefined || value === null) value = fallback;
  if (typeof value === 'number') return checkInteger(value, name, -0x8000_0000, 0x7fff_ffff);
  if (typeof value === 'string') {
    const flags = FLAG_STRINGS[value];
    if (flags !== undefined) return flags;
  }
  throw invalidArgValue(name, value);
}

/** A mode (Node's `parseFileMode`): a uint32 or an octal string. */
export function checkMode(value: unknown, fallback: number, name = 'mode'): number {
  if (value === undefined || value === null) return fallback;
  let mode = value;
  if (typeof mode === 'string') {
    if (!/^[0-7]+$/.test(mode)) throw invalidArgValue(name, value, 'must be a 32-bit unsigned integer or an octal string');
    mode = Number.parseInt(mode, 8);
  }
  if (typeof mode !== 'number') throw invalidArgType(name, 'of type number', value);
  if (!Number.isInteger(mode)) throw outOfRange(name, 'an integer', mode);
  if (mode < 0 || mode > 0xffff_ffff) throw outOfRange(name, '>= 0 && <= 4294967295', mode);
  return mode;
}

/** An integer in [min, max] (`validateInteger`). */
export function checkInteger(value: unknown, name: string, min = Number.MIN_SAFE_INTEGER, max = Number.MAX_SAFE_INTEGER): number {
  if (typeof value !== 'number') throw invalidArgType(name, 'of type number', value);
  if (!Number.isInteger(value)) throw outOfRange(name, 'an integer', value);
  if (value < min || value > max) throw outOfRange(name, `>= ${min} && <= ${max}`, value);
  return value;
}

// DataViews' own accessors, captured at load (typed arrays' are validate.ts's intrinsics): a
// caller's view is read only through them (a subclass, own property or Proxy cannot lie).
const dataViewBuffer = intrinsicGetter<ArrayBufferLike>(DataView.prototype, 'buffer');
const dataViewByteOffset = intrinsicGetter<number>(DataView.prototype, 'byteOffset');
const dataViewByteLength = intrinsicGetter<number>(DataView.prototype, 'byteLength');
const isView = ArrayBuffer.isView;
const U8 = Uint8Array;

/**
 * The bytes of a real ArrayBufferView: a plain Uint8Array over the same memory and range, built
 * from the engine's getters (no caller-defined behaviour). A view whose memory is gone (detached,
 * or past the end of a shrunk resizable buffer) has byteLength 0, as Node sees it, and gives a
 * fresh empty array. Node reads a DataView's `byteLength` in read/write, which throws a TypeError
 * once detached or out of bounds: `strict` does the same; otherwise (readv/writev, whose binding
 * never asks) it is empty too.
 */
export function viewBytes(view: ArrayBufferView, strict: boolean): Uint8Array {
  if (typedArrayKind(view) !== undefined) {
    const typed = view as Uint8Array;
    const lengthBytes = intrinsicByteLength(typed);
    return lengthBytes === 0 ? new U8(0) : new U8(intrinsicBuffer(typed), intrinsicByteOffset(typed), lengthBytes);
  }
  let lengthBytes: number;
  try {
    lengthBytes = dataViewByteLength(view);
  } catch (err) {
    if (strict) throw err;
    return new U8(0);
  }
  return lengthBytes === 0 ? new U8(0) : new U8(dataViewBuffer(view), dataViewByteOffset(view), lengthBytes);
}

/**
 * {@link viewBytes}, except that a real Uint8Array (a Buffer, a subclass; never a Proxy, which has
 * no tag) with bytes is returned as it is: the hot read/write paths touch it only through the
 * intrinsic helpers of `interfaces/validate.ts` (`intrinsicByteLength`, `plainView`), as the
 * simulated disk does, so its own getters and methods are never consulted. A new view per call
 * cost about a fifth of a 4 KiB `readSync`/`writeSync` on a simulated disk.
 */
export function viewBytesInPlace(view: ArrayBufferView, strict: boolean): Uint8Array {
  if (isUint8Array(view) && intrinsicByteLength(view) !== 0) return view;
  return viewBytes(view, strict);
}

/** {@link checkBufferArg} for the read/write paths: the bytes as {@link viewBytesInPlace} gives them. */
export function checkBufferArgInPlace(value: unknown, name = 'buffer'): Uint8Array {
  if (isView(value)) return viewBytesInPlace(value, true);
  throw invalidArgType(name, 'an instance of Buffer, TypedArray, or DataView', value);
}

/** Node's `new Uint8Array(view.buffer, view.byteOffset, view.byteLength)`, its TypeError included (detached). */
export function rebuildView(view: ArrayBufferView): Uint8Array {
  if (typedArrayKind(view) !== undefined) {
    const typed = view as Uint8Array;
    return new U8(intrinsicBuffer(typed), intrinsicByteOffset(typed), intrinsicByteLength(typed));
  }
  return new U8(dataViewBuffer(view), dataViewByteOffset(view), dataViewByteLength(view));
}

/**
 * A Buffer/TypedArray/DataView as bytes (no copy; see {@link viewBytes}). Node's
 * `isArrayBufferView` brand check: a Proxy or look-alike is `ERR_INVALID_ARG_TYPE`.
 */
export function checkBufferArg(value: unknown, name = 'buffer', allowString = false): Uint8Array {
  if (isView(value)) return viewBytes(value, true);
  throw invalidArgType(name, allowString ? 'of type string or an instance of Buffer, TypedArray, or DataView' : 'an instance of Buffer, TypedArray, or DataView', value);
}

/**
 * A read/write position: `null`, `undefined` or -1 mean "the fd's current position" (returned as
 * -1); otherwise a safe integer or bigint >= 0.
 */
export function checkPosition(value: unknown, name = 'position'): number {
  if (value === null || value === undefined) return -1;
  if (typeof value === 'bigint') {
    if (value < -1n || value > BigInt(Number.MAX_SAFE_INTEGER)) throw outOfRange(name, `>= -1 && <= ${Number.MAX_SAFE_INTEGER}`, value);
    return Number(value);
  }
  if (typeof value !== 'number') throw invalidArgType(name, 'of type bigint or integer', value);
  if (!Number.isInteger(value)) throw outOfRange(name, 'an integer', value);
  if (value < -1 || value > Number.MAX_SAFE_INTEGER) throw outOfRange(name, `>= -1 && <= ${Number.MAX_SAFE_INTEGER}`, value);
  return value;
}

/** `offset` and `length` inside a buffer of `byteLength` bytes (Node's `validateOffsetLengthRead`). */
export function checkOffsetLengthRead(offset: number, length: number, byteLength: number): void {
  if (offset < 0) throw outOfRange('offset', '>= 0', offset);
  if (length < 0) throw outOfRange('length', '>= 0', length);
  if (offset + length > byteLength) throw outOfRange('length', `<= ${byteLength - offset}`, length);
}

/** Node's `validateOffsetLengthWrite`. */
export function checkOffsetLengthWrite(offset: number, length: number, byteLength: number): void {
  if (offset > byteLength) throw outOfRange('offset', `<= ${byteLength}`, offset);
  if (length > byteLength - offset) throw outOfRange('length', `<= ${byteLength - offset}`, length);
  if (length < 0) throw outOfRange('length', '>= 0', length);
  checkInteger(length, 'length', 0, 0x7fff_ffff);
}

/** Options given as an object or as an encoding string (Node's `getOptions`). */
export function checkOptions<T extends object>(value: unknown, defaults: T): T & { encoding?: BufferEncoding | 'buffer' | null } {
  if (value === undefined || value === null || typeof value === 'function') return { ...defaults };
  // Node's assertEncoding: a falsy encoding is no encoding.
  if (typeof value === 'string') {
    if (value !== '') checkEncoding(value);
    return { ...defaults, encoding: value as BufferEncoding };
  }
  if (typeof value !== 'object') throw invalidArgType('options', 'one of type string or an instance of Object', value);
  // Node keeps the caller's object and reads only the keys it uses (own or inherited), encoding
  // first: no spread, which would call every getter on it.
  const source = value as Record<string, unknown>;
  const options = { ...defaults } as Record<string, unknown>;
  const encoding = source['encoding'];
  if (encoding) checkEncoding(encoding);
  for (const key of Object.keys(defaults)) {
    const given = key === 'encoding' ? encoding : source[key];
    if (given !== undefined) options[key] = given;
  }
  return options as T & { encoding?: BufferEncoding | 'buffer' | null };
}

/** An encoding Buffer knows, or `'buffer'`. */
export function checkEncoding(value: unknown): void {
  if (value === 'buffer') return;
  if (typeof value !== 'string' || !Buffer.isEncoding(value)) throw invalidArgValue('encoding', value, 'is invalid encoding');
}

/**
 * A time for utimes in milliseconds: seconds as a number or numeric string, or a Date (Node's
 * `toUnixTimestamp`). `undefined` means "now" (Node's answer to a negative or non-finite number),
 * which the caller takes from the Io's clock, never the real one.
 */
export function checkTime(value: unknown, name: string): number | undefined {
  if (typeof value === 'string' && value.trim() !== '' && Number.isFinite(Number(value))) return Number(value) * 1000;
  if (typeof value === 'number') {
    if (!Number.isFinite(value) || value < 0) return undefined;
    return value * 1000;
  }
  if (value instanceof Date) return value.getTime();
  throw invalidArgType(name, 'of type number or an instance of Date', value);
}

/** A uid or gid: an integer in [-1, 2^32 - 2]. */
export function checkId(value: unknown, name: string): number {
  return checkInteger(value, name, -1, 0xffff_fffe);
}

/** `validateBoolean`. */
export function checkBoolean(value: unknown, name: string): boolean {
  if (typeof value !== 'boolean') throw invalidArgType(name, 'of type boolean', value);
  return value;
}

/** What rm/rmdir take from their options once checked (retries are accepted and not needed). */
export interface RmOptions {
  readonly recursive: boolean;
  readonly force: boolean;
}

const RMDIR_DEFAULTS = { retryDelay: 100, maxRetries: 0, recursive: false };
const RM_DEFAULTS = { recursive: false, force: false, retryDelay: 100, maxRetries: 0 };

/**
 * Node's `validateRmdirOptions` up to its checks: `undefined` gives the defaults; anything else
 * must be an object (not null, not an array) whose own enumerable keys are spread over the
 * defaults, as Node does: inherited keys are never read, every own getter is (and may throw).
 */
function spreadRmOptions(value: unknown, defaults: object): Record<string, unknown> {
  if (value === undefined) return { force: false, ...defaults };
  if (typeof value !== 'object' || value === null || Array.isArray(value)) throw invalidArgType('options', 'of type object', value);
  return { force: false, ...defaults, ...value } as Record<string, unknown>;
}

function checkRetries(o: Record<string, unknown>): void {
  checkInteger(o['retryDelay'], 'options.retryDelay', 0, 0x7fff_ffff);
  checkInteger(o['maxRetries'], 'options.maxRetries', 0, 0xffff_ffff);
}

/**
 * rmdir's options (Node's `validateRmdirOptions`): `recursive` a boolean, the retries in range;
 * from Node 26, which dropped `recursive`, only an object (see `FsLine.rmdirRecursiveRemoved`).
 */
export function checkRmdirOptions(value: unknown): RmOptions {
  const o = spreadRmOptions(value, RMDIR_DEFAULTS);
  if (LINE.rmdirRecursiveRemoved) return { recursive: false, force: false };
  const recursive = checkBoolean(o['recursive'], 'options.recursive');
  checkRetries(o);
  return { recursive, force: o['force'] as boolean };
}

/**
 * Node's `validateRmOptions`: the rmdir checks over rm's defaults, then `force` a boolean; from
 * Node 26 `force` first (see `FsLine.rmForceCheckedFirst`).
 */
export function checkRmOptions(value: unknown): RmOptions {
  const o = spreadRmOptions(value, RM_DEFAULTS);
  const force = LINE.rmForceCheckedFirst ? checkBoolean(o['force'], 'options.force') : undefined;
  const recursive = checkBoolean(o['recursive'], 'options.recursive');
  checkRetries(o);
  return { recursive, force: force ?? checkBoolean(o['force'], 'options.force') };
}
