/** Argument parsing of read/write in their several Node shapes, shared by `fs.*` and FileHandle. */
import { checkBufferArgInPlace, checkInteger, checkOffsetLengthRead, checkOffsetLengthWrite, rebuildView, viewBytes } from './args.js';
import { intrinsicByteLength, plainView } from '../interfaces/validate.js';
import { invalidArgType, invalidArgValue, outOfRange } from './errors.js';
import { LINE } from './node-line.js';
import { POSITION_OVERFLOW } from './operations.js';

export interface ReadArgs {
  /** The bytes to fill (already offset and trimmed to the length); empty when nothing is to be read. */
  readonly target: Uint8Array;
  /** The buffer argument exactly as the caller passed it (returned to it, whatever its type). */
  readonly buffer: unknown;
  /** A file offset, or -1 for the fd's position. */
  readonly position: number;
}

const isView = ArrayBuffer.isView;
const isArray = Array.isArray;
const MAX_INT64 = 2n ** 63n - 1n;

/**
 * `lengthBytes` of `bytes` (from `viewBytesInPlace`: possibly the caller's own view, so only the
 * intrinsic helpers touch it) from `offsetBytes`: the view itself when that is all of it (most
 * calls: no allocation), else a plain view.
 */
function range(bytes: Uint8Array, offsetBytes: number, lengthBytes: number): Uint8Array {
  return offsetBytes === 0 && lengthBytes === intrinsicByteLength(bytes) ? bytes : plainView(bytes, offsetBytes, lengthBytes);
}

/** Node's `validateObject(value, name, kValidateObjectAllowNullable)`: null allowed, arrays and functions not. */
function checkObjectArg(value: unknown, name: string): void {
  if (value === null) return;
  if (typeof value !== 'object' || isArray(value)) throw invalidArgType(name, 'of type object', value);
}

const MAX_SAFE = BigInt(Number.MAX_SAFE_INTEGER);

/**
 * Node's `validatePosition(position, 'position', length)` (readSync, fs.read, and FileHandle.read
 * from Node 22), then the binding's reading of it: negative is the fd's position. The bigint range
 * is the line's (see `FsLine.bigintPositionUpToLength`).
 */
function readPosition(value: unknown, lengthBytes: number): number {
  if (value === null || value === undefined) return -1;
  if (typeof value === 'number') return checkInteger(value, 'position', -1);
  if (typeof value === 'bigint') {
    if (LINE.bigintPositionUpToLength) {
      const max = MAX_INT64 - BigInt(lengthBytes);
      if (!(value >= -1n && value <= max)) throw outOfRange('position', `>= -1 && <= ${max}`, value);
    } else {
      if (value < -MAX_INT64 - 1n || value > MAX_INT64) throw outOfRange('position', `>= ${-MAX_INT64 - 1n} && <= ${MAX_INT64}`, value);
      if (value >= 0n && value + BigInt(lengthBytes) > MAX_INT64) return POSITION_OVERFLOW;
    }
    // Past the largest safe integer is past any file: the Operations clamp it to their limit.
    return value < 0n ? -1 : value > MAX_SAFE ? Number.MAX_SAFE_INTEGER : Number(value);
  }
  throw invalidArgType('position', 'of type bigint or integer', value);
}

/**
 * The position of a write (and of readv/writev, FileHandle.read): Node passes anything to its
 * binding, which takes a safe integer as it is and anything else as -1; a negative one means the
 * fd's position (libuv).
 */
export function loosePosition(value: unknown): number {
  return typeof value === 'number' && Number.isSafeInteger(value) && value >= 0 ? value : -1;
}

/**
 * Node's common tail of readSync, fs.read and (from Node 22) FileHandle.read once the offset is
 * checked: the length, the buffer, the position, in the line's order.
 */
function readTail(buffer: unknown, bytes: Uint8Array, off: number, len: number, position: unknown): ReadArgs {
  const at = LINE.readPositionCheckedFirst ? readPosition(position, len) : undefined;
  if (len === 0) return { target: range(bytes, 0, 0), buffer, position: -1 };
  if (intrinsicByteLength(bytes) === 0) throw invalidArgValue('buffer', buffer, 'is empty and cannot be written');
  checkOffsetLengthRead(off, len, intrinsicByteLength(bytes));
  return { target: range(bytes, off, len), buffer, position: at ?? readPosition(position, len) };
}

/** `fs.readSync(fd, buffer, offsetOrOptions?, length?, position?)` given with `argc` arguments (fd included). */
export function readSyncArgs(argc: number, bufferValue: unknown, offsetOrOptions: unknown, lengthValue: unknown, positionValue: unknown): ReadArgs {
  const bytes = checkBufferArgInPlace(bufferValue);
  let offset = offsetOrOptions;
  let length = lengthValue;
  let position = positionValue;
  if (argc <= 3 || typeof offsetOrOptions === 'object') {
    if (offsetOrOptions !== undefined) checkObjectArg(offsetOrOptions, 'options');
    // Destructuring defaults: only `undefined` takes them (a null offset is then refused).
    const o = (offsetOrOptions ?? {}) as Record<string, unknown>;
    offset = o['offset'] === undefined ? 0 : o['offset'];
    length = o['length'];
    if (length === undefined) length = intrinsicByteLength(bytes) - (offset as number);
    position = o['position'] ?? null;
  }
  const off = offset === undefined ? 0 : checkInteger(offset, 'offset', 0);
  // Node coerces the length with `length |= 0` (ToInt32) before checking it.
  return readTail(bufferValue, bytes, off, (length as number) | 0, position);
}

/**
 * `fs.read(fd, ...)`'s arguments after the fd, callback included: `(callback)`, `(options,
 * callback)`, `(buffer, callback)`, `(buffer, options, callback)` or `(buffer, offset, length,
 * position, callback)`, told apart by their count as Node does. Returns the callback too.
 */
export function readCallbackArgs(args: readonly unknown[]): { readonly parsed: ReadArgs; readonly callback: unknown } {
  let [buffer, offset, length, position, callback] = args;
  if (args.length <= 3) {
    let params: unknown = null;
    if (args.length === 3) {
      checkObjectArg(offset, 'options');
      callback = length;
      params = offset;
    } else if (args.length === 2) {
      if (!isView(buffer)) {
        params = buffer;
        buffer = (params as Record<string, unknown> | null | undefined)?.['buffer'];
        if (buffer === undefined) buffer = Buffer.alloc(16384);
      }
      callback = offset;
    } else {
      callback = buffer;
      buffer = Buffer.alloc(16384);
    }
    if (params !== undefined) checkObjectArg(params, 'options');
    const o = (params ?? {}) as Record<string, unknown>;
    offset = o['offset'] ?? 0;
    length = o['length'];
    if (length === undefined) length = (isView(buffer) ? viewBytes(buffer, true).byteLength : NaN) - (offset as number);
    position = o['position'] ?? null;
  }
  const bytes = checkBufferArgInPlace(buffer);
  if (typeof callback !== 'function') throw invalidArgType('cb', 'of type function', callback);
  const off = offset === undefined || offset === null ? 0 : checkInteger(offset, 'offset', 0);
  return { parsed: readTail(buffer, bytes, off, (length as number) | 0, position), callback };
}

/** `FileHandle.read(buffer, offset?, length?, position?)`, `(buffer, options?)` or `(options?)`. */
export function fileHandleReadArgs(bufferOrOptions: unknown, offsetValue: unknown, lengthValue: unknown, positionValue: unknown): ReadArgs {
  let buffer = bufferOrOptions;
  let offset = offsetValue;
  let length = lengthValue;
  let position = positionValue;
  let bytes: Uint8Array;
  if (!isView(buffer)) {
    if (bufferOrOptions !== undefined) checkObjectArg(bufferOrOptions, 'options');
    const o = (bufferOrOptions ?? {}) as Record<string, unknown>;
    buffer = o['buffer'];
    if (buffer === undefined) buffer = Buffer.alloc(16384);
    offset = o['offset'] ?? 0;
    length = o['length'];
    position = o['position'] ?? null;
    bytes = checkBufferArgInPlace(buffer);
    if (length === undefined) length = intrinsicByteLength(bytes) - (offset as number);
  } else bytes = checkBufferArgInPlace(buffer);
  if (offset !== null && typeof offset === 'object') {
    const o = offset as Record<string, unknown>;
    offset = o['offset'] ?? 0;
    length = o['length'];
    if (length === undefined) length = intrinsicByteLength(bytes) - (offset as number);
    position = o['position'] ?? null;
  }
  const off = offset === undefined || offset === null ? 0 : checkInteger(offset, 'offset', 0);
  length ??= intrinsicByteLength(bytes) - off;
  // From Node 24 the length is `length |= 0` and the checks are readSync's.
  if (LINE.readPositionCheckedFirst) return readTail(buffer, bytes, off, (length as number) | 0, position);
  if (length === 0) return { target: range(bytes, 0, 0), buffer, position: -1 };
  if (intrinsicByteLength(bytes) === 0) throw invalidArgValue('buffer', buffer, 'is empty and cannot be written');
  checkOffsetLengthRead(off, length as number, intrinsicByteLength(bytes));
  // Node 20 and 22 hand any other length to their binding, which aborts the process: refuse it instead.
  const len = checkInteger(length, 'length', 0, 0x7fff_ffff);
  // Node 22 checks the position as readSync does; Node 20 took anything but a safe integer as -1.
  const at = LINE.fileHandleReadPositionChecked ? readPosition(position, len) : loosePosition(position);
  return { target: range(bytes, off, len), buffer, position: at };
}

export interface WriteArgs {
  readonly data: Uint8Array;
  readonly position: number;
}

/** Node's `validateEncoding`: hex data must have an even length. */
function checkStringEncoding(data: string, encoding: unknown): void {
  if (typeof encoding === 'string' && encoding.toLowerCase() === 'hex' && data.length % 2 !== 0) {
    throw invalidArgValue('encoding', encoding, `is invalid for data of length ${data.length}`);
  }
}

/**
 * `(buffer, offset?, length?, position?)`, `(buffer, options)` or `(string, position?, encoding?)`:
 * Node's `fs.write`/`writeSync`/`FileHandle.write` shapes (the callback, if any, already taken
 * off). `callbackForm`: fs.write, where a function offset (the callback's place) means 0.
 */
export function writeArgs(bufferValue: unknown, offsetOrOptions: unknown, lengthValue: unknown, positionValue: unknown, callbackForm = false): WriteArgs {
  if (isView(bufferValue)) {
    const bytes = checkBufferArgInPlace(bufferValue);
    let offset = offsetOrOptions;
    let length = lengthValue;
    let position = positionValue;
    if (typeof offset === 'object') {
      const o = (offsetOrOptions ?? {}) as Record<string, unknown>;
      offset = o['offset'] ?? 0;
      length = o['length'];
      if (length === undefined) length = intrinsicByteLength(bytes) - (offset as number);
      position = o['position'] ?? null;
    }
    const off = offset === undefined || offset === null || (callbackForm && typeof offset === 'function') ? 0 : checkInteger(offset, 'offset', 0);
    const len = typeof length !== 'number' ? intrinsicByteLength(bytes) - off : length;
    checkOffsetLengthWrite(off, len, intrinsicByteLength(bytes));
    return { data: range(bytes, off, len), position: loosePosition(position) };
  }
  if (typeof bufferValue !== 'string') throw invalidArgType('buffer', 'of type string or an instance of Buffer, TypedArray, or DataView', bufferValue);
  checkStringEncoding(bufferValue, lengthValue);
  // Like Node, an encoding Buffer does not know is taken as utf8.
  const encoding = typeof lengthValue === 'string' && Buffer.isEncoding(lengthValue) ? lengthValue : 'utf8';
  return { data: Buffer.from(bufferValue, encoding as BufferEncoding), position: loosePosition(offsetOrOptions) };
}

/**
 * An array of ArrayBufferViews (readv/writev; Node's `validateBufferArray`: each element read once
 * by index, holes refused), as plain byte views (empty for memory that is gone).
 */
export function buffersArg(value: unknown): Uint8Array[] {
  if (!isArray(value)) throw invalidArgType('buffers', 'an ArrayBufferView[]', value);
  const count = value.length;
  const list = new Array<Uint8Array>(count);
  for (let i = 0; i < count; i++) {
    const element: unknown = value[i];
    if (!isView(element)) throw invalidArgType('buffers', 'an ArrayBufferView[]', value);
    list[i] = viewBytes(element, false);
  }
  return list;
}

/**
 * Data for writeFile/appendFile: a string (in `encoding`) or an ArrayBufferView (empty when its
 * memory is gone: writeFileSync and fs.writeFile then write nothing, as Node's do; the promise
 * forms check {@link checkWriteFileView} too).
 */
export function dataArg(value: unknown, encoding: unknown): Uint8Array {
  if (typeof value === 'string') return Buffer.from(value, (typeof encoding === 'string' && encoding !== 'buffer' ? encoding : 'utf8') as BufferEncoding);
  if (isView(value)) return viewBytes(value, false);
  throw invalidArgType('data', 'of type string or an instance of Buffer, TypedArray, or DataView', value);
}

/**
 * What `fs.promises.writeFile` (and FileHandle.writeFile) does first with a view:
 * `new Uint8Array(data.buffer, data.byteOffset, data.byteLength)`, which throws the engine's
 * TypeError for a detached one. Read through the engine's getters, with the same TypeError.
 */
export function checkWriteFileView(value: unknown): void {
  if (isView(value)) rebuildView(value);
}
