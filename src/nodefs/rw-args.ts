/** Argument parsing of read/write in their several Node shapes, shared by `fs.*` and FileHandle. */
import { checkBufferArg, checkInteger, checkOffsetLengthRead, checkOffsetLengthWrite, checkPosition } from './args.js';
import { invalidArgType, invalidArgValue } from './errors.js';

export interface ReadArgs {
  /** The bytes to fill (already offset and trimmed to the length). */
  readonly target: Uint8Array;
  /** The whole buffer the caller passed (returned to it). */
  readonly buffer: Uint8Array;
  readonly position: number;
}

function checkObject(value: unknown, name: string): Record<string, unknown> {
  if (value === null || value === undefined) return {};
  if (typeof value !== 'object') throw invalidArgType(name, 'of type object', value);
  return value as Record<string, unknown>;
}

/** `(buffer, offset, length, position)` or `(buffer, options)`, options `{ offset, length, position }`. */
export function readArgs(bufferValue: unknown, offsetOrOptions: unknown, lengthValue: unknown, positionValue: unknown, optionsForm: boolean): ReadArgs {
  const buffer = checkBufferArg(bufferValue);
  let offset = offsetOrOptions;
  let length = lengthValue;
  let position = positionValue;
  if (optionsForm) {
    const o = checkObject(offsetOrOptions, 'options');
    offset = o['offset'] ?? 0;
    length = o['length'] ?? buffer.byteLength - (typeof offset === 'number' ? offset : 0);
    position = o['position'] ?? null;
  }
  const off = offset === undefined || offset === null ? 0 : checkInteger(offset, 'offset', 0);
  // Node coerces the length with `length |= 0` before checking it.
  const len = (length === undefined || length === null ? buffer.byteLength - off : Number(length)) | 0;
  if (len === 0) return { target: buffer.subarray(0, 0), buffer, position: -1 };
  if (buffer.byteLength === 0) throw invalidArgValue('buffer', bufferValue, 'is empty and cannot be written');
  checkOffsetLengthRead(off, len, buffer.byteLength);
  const target = off === 0 && len === buffer.byteLength ? buffer : buffer.subarray(off, off + len);
  return { target, buffer, position: checkPosition(position) };
}

export interface WriteArgs {
  readonly data: Uint8Array;
  readonly position: number;
}

/**
 * `(buffer, offset?, length?, position?)`, `(buffer, options)` or `(string, position?, encoding?)`:
 * Node's `fs.write`/`writeSync` shapes.
 */
export function writeArgs(bufferValue: unknown, offsetOrOptions: unknown, lengthValue: unknown, positionValue: unknown): WriteArgs {
  if (ArrayBuffer.isView(bufferValue)) {
    const buffer = checkBufferArg(bufferValue);
    let offset = offsetOrOptions;
    let length = lengthValue;
    let position = positionValue;
    if (typeof offset === 'object' && offset !== null) {
      const o = offset as Record<string, unknown>;
      offset = o['offset'] ?? 0;
      length = o['length'] ?? buffer.byteLength - (typeof offset === 'number' ? offset : 0);
      position = o['position'] ?? null;
    }
    const off = offset === undefined || offset === null || typeof offset === 'function' ? 0 : checkInteger(offset, 'offset', 0);
    const len = typeof length !== 'number' ? buffer.byteLength - off : length;
    checkOffsetLengthWrite(off, len, buffer.byteLength);
    const data = off === 0 && len === buffer.byteLength ? buffer : buffer.subarray(off, off + len);
    return { data, position: typeof position === 'number' || typeof position === 'bigint' ? checkPosition(position) : -1 };
  }
  if (typeof bufferValue !== 'string') throw invalidArgType('buffer', 'of type string or an instance of Buffer, TypedArray, or DataView', bufferValue);
  // Like Node, an encoding Buffer does not know is taken as utf8.
  const encoding = typeof lengthValue === 'string' && Buffer.isEncoding(lengthValue) ? lengthValue : 'utf8';
  const position = typeof offsetOrOptions === 'number' || typeof offsetOrOptions === 'bigint' ? checkPosition(offsetOrOptions) : -1;
  return { data: Buffer.from(bufferValue, encoding as BufferEncoding), position };
}

/** An array of ArrayBufferViews (readv/writev). */
export function buffersArg(value: unknown): Uint8Array[] {
  if (!Array.isArray(value) || !value.every((b) => ArrayBuffer.isView(b))) throw invalidArgType('buffers', 'an ArrayBufferView[]', value);
  return value.map((b) => checkBufferArg(b));
}

/** Data for writeFile/appendFile: a string (in `encoding`) or an ArrayBufferView. */
export function dataArg(value: unknown, encoding: unknown): Uint8Array {
  if (typeof value === 'string') return Buffer.from(value, (typeof encoding === 'string' && encoding !== 'buffer' ? encoding : 'utf8') as BufferEncoding);
  if (ArrayBuffer.isView(value)) return checkBufferArg(value);
  throw invalidArgType('data', 'of type string or an instance of Buffer, TypedArray, or DataView', value);
}
