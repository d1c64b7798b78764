/**
 * Byte views as the engine sees them, whatever the caller overrode: `Uint8Array`-ness, lengths and
 * detachment are read through the intrinsic `%TypedArray%.prototype` getters captured at load, so
 * a subclass with its own `byteLength`, a Proxy or an `Object.create(Uint8Array.prototype)` cannot
 * lie about the memory UringIo hands to the addon. Vectors are snapshotted once, by index (never
 * with `slice`/`map`, which consult `constructor[Symbol.species]`), and only the snapshot is used
 * afterwards. The shared checks in `interfaces/validate.ts` run first and give the usual codes;
 * these are the backstop the native side relies on.
 */
import { StorageError } from '../../interfaces/errors.js';
import { IO_BYTES_MAX, IOV_COUNT_MAX } from '../../interfaces/limits.js';

const typedArrayPrototype = Object.getPrototypeOf(Uint8Array.prototype) as object;
function intrinsicGetter(key: PropertyKey): (this: unknown) => unknown {
  const getter = Object.getOwnPropertyDescriptor(typedArrayPrototype, key)?.get;
  if (getter === undefined) throw new Error(`%TypedArray%.prototype has no ${String(key)} getter`);
  return getter as (this: unknown) => unknown;
}
const apply = Reflect.apply;
const isView = ArrayBuffer.isView;
const isArray = Array.isArray;
const tagOf = intrinsicGetter(Symbol.toStringTag);
const byteLengthOf = intrinsicGetter('byteLength');
const bufferOf = intrinsicGetter('buffer');
const Uint8ArrayIntrinsic = Uint8Array;

/** True for a real Uint8Array (Buffer and subclasses included), false for look-alikes and Proxies. */
export function isUint8Array(value: unknown): value is Uint8Array {
  return isView(value) && apply(tagOf, value, []) === 'Uint8Array';
}

/** The view's true length in bytes (0 when detached or out of bounds of a shrunk buffer). */
export function viewByteLength(view: Uint8Array): number {
  return apply(byteLengthOf, view, []) as number;
}

/** True when the view's ArrayBuffer has been detached (transferred, or wasm memory grown). */
export function viewDetached(view: Uint8Array): boolean {
  if (viewByteLength(view) !== 0) return false;
  const backing = apply(bufferOf, view, []) as ArrayBufferLike;
  try {
    // Constructing a view on a detached buffer throws; on a genuinely empty or shrunk one it does not.
    new Uint8ArrayIntrinsic(backing, 0, 0);
    return false;
  } catch {
    return true;
  }
}

/** Whether `view` still covers the `lengthBytes` it had at the call (a read's completion check). */
export function viewCovers(view: Uint8Array, lengthBytes: number): boolean {
  return lengthBytes === 0 ? !viewDetached(view) : viewByteLength(view) >= lengthBytes;
}

function invalid(operation: string, message: string): StorageError {
  return new StorageError('ERR_INVALID_ARGUMENT', `${operation}: ${message}`, { operation, argument: 'buffer' });
}

/** One buffer: a real, attached Uint8Array; returns its true length. */
export function checkView(operation: string, view: unknown, maxBytes: number = IO_BYTES_MAX): number {
  if (!isUint8Array(view)) throw invalid(operation, 'buffer must be a Uint8Array');
  if (viewDetached(view)) throw new StorageError('ERR_DETACHED_BUFFER', `${operation}: buffer is detached`, { operation });
  const lengthBytes = viewByteLength(view);
  if (lengthBytes > maxBytes) {
    throw new StorageError('ERR_LIMIT_EXCEEDED', `${operation}: buffer is past the transfer limit`, { operation, argument: 'buffer', limit: maxBytes });
  }
  return lengthBytes;
}

/** A vector read once: its views and their true lengths, and the total. */
export interface ViewSnapshot {
  readonly views: Uint8Array[];
  readonly lengths: number[];
  readonly totalBytes: number;
}

/**
 * Reads `buffers` once by index into a private array, checking each element as {@link checkView}.
 * Whatever the caller's array throws on the way (a revoked Proxy, a throwing getter) is
 * `ERR_INVALID_ARGUMENT`, with the thrown value as its cause.
 */
export function snapshotViews(operation: string, buffers: unknown): ViewSnapshot {
  try {
    return snapshotOnce(operation, buffers);
  } catch (err) {
    if (err instanceof StorageError) throw err;
    throw new StorageError('ERR_INVALID_ARGUMENT', `${operation}: buffers could not be read`, { operation, argument: 'buffers' }, { cause: err });
  }
}

function snapshotOnce(operation: string, buffers: unknown): ViewSnapshot {
  if (!isArray(buffers)) {
    throw new StorageError('ERR_INVALID_ARGUMENT', `${operation}: buffers must be an array of Uint8Array`, { operation, argument: 'buffers' });
  }
  const count: unknown = (buffers as unknown[]).length;
  if (typeof count !== 'number' || !Number.isInteger(count) || count < 0) {
    throw new StorageError('ERR_INVALID_ARGUMENT', `${operation}: buffers must be an array of Uint8Array`, { operation, argument: 'buffers' });
  }
  if (count > IOV_COUNT_MAX) {
    throw new StorageError('ERR_LIMIT_EXCEEDED', `${operation}: too many buffers`, { operation, argument: 'buffers', limit: IOV_COUNT_MAX });
  }
  const views: Uint8Array[] = [];
  const lengths: number[] = [];
  let totalBytes = 0;
  for (let i = 0; i < count; i += 1) {
    const view: unknown = (buffers as unknown[])[i];
    const lengthBytes = checkView(operation, view);
    views.push(view as Uint8Array);
    lengths.push(lengthBytes);
    totalBytes += lengthBytes;
  }
  if (totalBytes > IO_BYTES_MAX) {
    throw new StorageError('ERR_LIMIT_EXCEEDED', `${operation}: buffers are past the transfer limit`, { operation, argument: 'buffers', limit: IO_BYTES_MAX });
  }
  return { views, lengths, totalBytes };
}
