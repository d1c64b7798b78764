/**
 * Shared argument checks. Every backend and Storage call these before touching anything, so bad
 * input is rejected identically everywhere and nothing is half-done when it is.
 */
import { StorageError } from './errors.js';
import type { OpenFlags } from './io.js';
import type { AttributeChange } from './namespace-io.js';
import {
  BATCH_ENTRIES_MAX, BLOB_NAME_BYTES_MAX, BLOB_VERSION_MAX, FILE_SIZE_MAX_BYTES, IO_BYTES_MAX, IOV_COUNT_MAX,
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

// ---- Buffers ----------------------------------------------------------------------------------
//
// A caller's view is read only through the engine's own accessors, captured when this module
// loads: a subclass or an own property can override `byteLength`, `byteOffset`, `buffer`,
// `subarray` or `constructor[Symbol.species]`, and a backend that trusted them would hand the
// kernel a length the memory does not have. Each accepted view is turned into a *snapshot*: a
// plain Uint8Array built by the intrinsic constructor over the same memory and range, which has
// no caller-defined behaviour, and whose range is fixed at the call (a later shrink of a
// resizable buffer leaves it out of bounds, length 0, instead of silently shorter).

const U8 = Uint8Array;
const typedArrayPrototype = Object.getPrototypeOf(U8.prototype) as object;

/** The engine's own getter `key` of `target` (a prototype), callable on any receiver: what a caller's object cannot override. */
export function intrinsicGetter<T>(target: object, key: PropertyKey): (self: unknown) => T {
  const descriptor = Object.getOwnPropertyDescriptor(target, key);
  const get = descriptor?.get;
  if (get === undefined) throw new Error(`validate: the engine has no getter ${String(key)}`);
  return Function.prototype.call.bind(get) as (self: unknown) => T;
}

/** `%TypedArray%.prototype[@@toStringTag]`: the element type's name for a real typed array, else undefined. */
const typedArrayTag = intrinsicGetter<string | undefined>(typedArrayPrototype, Symbol.toStringTag);
const typedArrayByteLength = intrinsicGetter<number>(typedArrayPrototype, 'byteLength');
const typedArrayByteOffset = intrinsicGetter<number>(typedArrayPrototype, 'byteOffset');
const typedArrayBuffer = intrinsicGetter<ArrayBufferLike>(typedArrayPrototype, 'buffer');
const arrayBufferByteLength = intrinsicGetter<number>(ArrayBuffer.prototype, 'byteLength');
const typedArraySet = Function.prototype.call.bind(
  (typedArrayPrototype as { set: (source: ArrayLike<number>, offset?: number) => void }).set,
) as (target: Uint8Array, source: Uint8Array, offset?: number) => void;
const typedArrayFill = Function.prototype.call.bind(
  (typedArrayPrototype as { fill: (value: number, start?: number, end?: number) => unknown }).fill,
) as (target: Uint8Array, value: number, start: number, end: number) => unknown;
const isArray = Array.isArray;

/**
 * True when a zero-length view is usable: its buffer is attached and the view is within it. The
 * engine's getters report 0 both for a genuinely empty view and for one whose buffer was detached
 * or shrunk below it; `fill` over an empty range tells them apart (it validates the view and
 * writes nothing).
 */
function emptyViewInBounds(view: Uint8Array): boolean {
  try {
    typedArrayFill(view, 0, 0, 0);
    return true;
  } catch {
    return false;
  }
}

/** The element type's name of a real typed array of any kind (`'Float64Array'`...), else undefined (a Proxy, a DataView). */
export function typedArrayKind(value: unknown): string | undefined {
  return typedArrayTag(value);
}

/** True when `value` is a real Uint8Array (Buffer and subclasses included): not a Proxy, not a look-alike. */
export function isUint8Array(value: unknown): value is Uint8Array {
  return typeof value === 'object' && value !== null && typedArrayTag(value) === 'Uint8Array';
}

/** True when `buffer` (an ArrayBuffer or SharedArrayBuffer) is detached. Shared memory never is. */
export function isBufferDetached(buffer: ArrayBufferLike): boolean {
  let lengthBytes: number;
  try {
    lengthBytes = arrayBufferByteLength(buffer);
  } catch {
    return false; // A SharedArrayBuffer: the ArrayBuffer getter refuses it, and it cannot be detached.
  }
  if (lengthBytes !== 0) return false;
  try {
    // Constructing a view on a detached buffer throws; on a genuinely empty one it does not.
    new U8(buffer, 0, 0);
    return false;
  } catch {
    return true;
  }
}

/** True when the ArrayBuffer behind `view` has been detached (transferred). Reads only intrinsics. */
export function isDetached(view: ArrayBufferView): boolean {
  if (typedArrayTag(view) === undefined) return false;
  if (typedArrayByteLength(view) !== 0) return false;
  return isBufferDetached(typedArrayBuffer(view));
}

/** The length of a real typed array through the engine's getter (0 once detached or out of bounds). */
export function intrinsicByteLength(view: Uint8Array): number {
  return typedArrayByteLength(view);
}

/** `view.byteOffset` from the engine's own getter (a subclass or Proxy cannot lie about it). */
export function intrinsicByteOffset(view: Uint8Array): number {
  return typedArrayByteOffset(view);
}

/** `view.buffer` from the engine's own getter. */
export function intrinsicBuffer(view: Uint8Array): ArrayBufferLike {
  return typedArrayBuffer(view);
}

/** Copies `source` into `target` at `offsetBytes` with the engine's own `set` (no caller override). */
export function copyInto(target: Uint8Array, source: Uint8Array, offsetBytes = 0): void {
  typedArraySet(target, source, offsetBytes);
}

/** Zeroes `[start, end)` of `target` with the engine's own `fill` (no caller override). */
export function zeroFill(target: Uint8Array, start: number, end: number): void {
  typedArrayFill(target, 0, start, end);
}

/**
 * A plain Uint8Array over `[offsetBytes, offsetBytes + lengthBytes)` of `source`'s memory, built
 * from the intrinsic getters: unlike `subarray`, it never calls a caller's `constructor`/species.
 */
export function plainView(source: Uint8Array, offsetBytes: number, lengthBytes: number): Uint8Array {
  return new U8(typedArrayBuffer(source), typedArrayByteOffset(source) + offsetBytes, lengthBytes);
}

/** A private copy of `source` (unlike `slice`, no caller species or override is consulted). */
export function plainCopy(source: Uint8Array): Uint8Array {
  const copy = new U8(typedArrayByteLength(source));
  typedArraySet(copy, source, 0);
  return copy;
}

function detachedError(operation: string, argument: string): StorageError {
  return new StorageError('ERR_DETACHED_BUFFER', `${operation}: buffer is detached`, { operation, argument });
}

/**
 * Checks one caller buffer and returns its snapshot: a plain Uint8Array over the same memory and
 * range, read through the intrinsic getters only. `ERR_INVALID_ARGUMENT` unless `value` is a real
 * Uint8Array (a Proxy, `Object.create(Uint8Array.prototype)`, other typed arrays and DataViews are
 * refused), `ERR_DETACHED_BUFFER` when detached (or out of bounds of a shrunk resizable buffer),
 * `ERR_LIMIT_EXCEEDED` past `maxBytes`. Backends use only the snapshot afterwards.
 */
export function snapshotBuffer(operation: string, value: unknown, maxBytes: number = IO_BYTES_MAX, argument = 'buffer'): Uint8Array {
  const lengthBytes = checkBufferInPlace(operation, value, maxBytes, argument);
  const backing = typedArrayBuffer(value as Uint8Array);
  const offsetBytes = typedArrayByteOffset(value as Uint8Array);
  try {
    return new U8(backing, offsetBytes, lengthBytes);
  } catch {
    // A view of a resizable buffer shrunk below it reports length 0 and cannot be rebuilt.
    throw detachedError(operation, argument);
  }
}

/**
 * The checks of {@link snapshotBuffer} without taking the snapshot; returns the length. For a
 * caller that finishes with the buffer before any caller code can run (a synchronous call) and
 * touches it only through the intrinsic helpers here (`intrinsicByteLength`, `copyInto`,
 * `zeroFill`, `plainView`, `plainCopy`), never through the buffer's own methods or getters.
 */
export function checkBufferInPlace(operation: string, value: unknown, maxBytes: number = IO_BYTES_MAX, argument = 'buffer'): number {
  if (!isUint8Array(value)) throw invalid(operation, `${argument} must be a Uint8Array`, { argument });
  const lengthBytes = typedArrayByteLength(value);
  if (lengthBytes === 0 && !emptyViewInBounds(value)) throw detachedError(operation, argument);
  if (lengthBytes > maxBytes) {
    throw new StorageError('ERR_LIMIT_EXCEEDED', `${operation}: ${argument} is past the transfer limit`, {
      operation, argument, limit: maxBytes,
    });
  }
  return lengthBytes;
}

/** The snapshot of a buffer list: plain views, each one's length at the call, and their total. */
export interface BufferListSnapshot {
  readonly views: readonly Uint8Array[];
  readonly lengthsBytes: readonly number[];
  readonly totalBytes: number;
}

/** Reads a property of a caller's list: a getter or Proxy trap that throws is a bad argument, not a crash. */
export function readCallerValue(operation: string, read: () => unknown, argument = 'buffers', what = 'buffer list'): unknown {
  try {
    return read();
  } catch (err) {
    throw readThrew(operation, argument, what, err);
  }
}

/** The error of {@link readCallerValue}, for a hot path that reads in a try block of its own. */
function readThrew(operation: string, argument: string, what: string, cause: unknown): StorageError {
  return new StorageError('ERR_INVALID_ARGUMENT', `${operation}: reading the ${what} threw`, { operation, argument }, { cause });
}

/**
 * `root` (already known to be a non-empty string) as the kernel would take it, checked the same
 * way by FsIo and UringIo so that both constructors answer alike: a NUL cannot reach the kernel
 * (node:fs and the addon would throw raw argument errors), and a root longer than PATH_MAX is
 * what open(2) answers with `ENAMETOOLONG` (the addon refuses one past 64 KiB without asking, and
 * node's realpath walk would report the first missing component instead). Lone surrogates count
 * as the U+FFFD Node sends.
 */
export function checkRoot(operation: string, root: string): void {
  if (root.includes('\0')) {
    throw new StorageError('ERR_INVALID_ARGUMENT', `${operation}: options.root must not contain NUL`, { operation, argument: 'root' });
  }
  if (Buffer.byteLength(root, 'utf8') > PATH_BYTES_MAX) {
    throw new StorageError('ENAMETOOLONG', `${operation}: options.root is longer than PATH_MAX`, {
      operation, argument: 'root', limit: PATH_BYTES_MAX,
    });
  }
}

/**
 * Checks that `value` (an `io` argument) is an object whose `methods` are functions, reading each
 * member exactly once (a getter or Proxy trap that throws is `ERR_INVALID_ARGUMENT`), and returns
 * what was read, unbound. `ERR_INVALID_ARGUMENT` with `details.argument` `io` and, for a missing
 * method, `details.member`. A shape check only: the Io itself is the caller's code and is trusted
 * to behave once it has the shape.
 */
export function readIoMethods<Name extends string>(operation: string, value: unknown, methods: readonly Name[]): Record<Name, (...args: never[]) => unknown> {
  if (typeof value !== 'object' || value === null) throw invalid(operation, 'io must be an Io', { argument: 'io' });
  const read = {} as Record<Name, (...args: never[]) => unknown>;
  for (const name of methods) {
    const member = readCallerValue(operation, () => (value as Record<string, unknown>)[name], 'io', `io's ${name}`);
    if (typeof member !== 'function') throw invalid(operation, `io.${name} must be a function`, { argument: 'io', member: name });
    read[name] = member as (...args: never[]) => unknown;
  }
  return read;
}

/**
 * The bounds and names of one kind of buffer list (see {@link snapshotBuffers}): a readv/writev
 * call's ({@link IO_BUFFER_LIST}), or a Storage write's, which may hold more and larger buffers.
 */
export interface BufferListLimits {
  /** Most elements; a longer list is refused before any element is read. */
  readonly countMax: number;
  /** Largest total of the elements' lengths (and so of any one element). */
  readonly totalBytesMax: number;
  /** The argument's name in errors' details. */
  readonly argument: string;
  /** What the argument must be, for the message of a list that is not an array. */
  readonly shape: string;
}

/** A readv/writev call's list: at most {@link IOV_COUNT_MAX} buffers and {@link IO_BYTES_MAX} bytes. */
export const IO_BUFFER_LIST: BufferListLimits = {
  countMax: IOV_COUNT_MAX, totalBytesMax: IO_BYTES_MAX, argument: 'buffers', shape: 'buffers must be an array of Uint8Array',
};

/**
 * Checks a buffer list and snapshots it (`limits` defaults to a readv/writev call's). `value` must
 * be an array (`Array.isArray`; a revoked Proxy, which makes it throw, is `ERR_INVALID_ARGUMENT`
 * too); its `length` is read once and bounded by `limits.countMax` before any element is read
 * (`ERR_LIMIT_EXCEEDED`), then each element is read exactly once, by index (holes and getters are
 * read once like any element; no iteration protocol, `map`, `slice` or species is used) and
 * snapshotted by {@link snapshotBuffer}. The total must stay within `limits.totalBytesMax`.
 */
export function snapshotBuffers(operation: string, value: unknown, limits: BufferListLimits = IO_BUFFER_LIST): BufferListSnapshot {
  const { argument } = limits;
  // `Array.isArray` throws on a revoked Proxy: that too is a bad list, not a raw TypeError.
  if (readCallerValue(operation, () => isArray(value), argument) !== true) throw invalid(operation, limits.shape, { argument });
  const count = readCallerValue(operation, () => (value as { length: unknown }).length, argument);
  if (typeof count !== 'number' || !Number.isInteger(count) || count < 0) {
    throw invalid(operation, limits.shape, { argument });
  }
  if (count > limits.countMax) {
    throw new StorageError('ERR_LIMIT_EXCEEDED', `${operation}: too many buffers`, { operation, argument, limit: limits.countMax });
  }
  const views: Uint8Array[] = new Array<Uint8Array>(count);
  const lengthsBytes: number[] = new Array<number>(count);
  let totalBytes = 0;
  for (let i = 0; i < count; i++) {
    const element = readCallerValue(operation, () => (value as Record<number, unknown>)[i], argument);
    const view = snapshotBuffer(operation, element, limits.totalBytesMax, argument);
    const lengthBytes = typedArrayByteLength(view);
    views[i] = view;
    lengthsBytes[i] = lengthBytes;
    totalBytes += lengthBytes;
  }
  if (totalBytes > limits.totalBytesMax) {
    throw new StorageError('ERR_LIMIT_EXCEEDED', `${operation}: buffers are past the transfer limit`, {
      operation, argument, limit: limits.totalBytesMax,
    });
  }
  // An element's getter may have detached or shrunk the memory of an element read before it.
  for (let i = 0; i < count; i++) {
    if (!isSnapshotUsable(views[i] as Uint8Array, lengthsBytes[i] as number)) throw detachedError(operation, argument);
  }
  return { views, lengthsBytes, totalBytes };
}

/** One checked entry of a batch (see {@link snapshotBatch}): the buffer's snapshot and its length at the call. */
export interface BatchEntrySnapshot {
  readonly fd: number;
  readonly view: Uint8Array;
  readonly offsetBytes: number;
  readonly lengthBytes: number;
}

const BATCH_ENTRY_KEYS: readonly string[] = ['fd', 'buffer', 'offsetBytes'];

/**
 * Checks the entries of a `readBatch`/`writeBatch` and snapshots them, so that nothing starts
 * unless every entry is well formed. `value` must be an array; its `length` is read once and
 * bounded by {@link BATCH_ENTRIES_MAX} (`ERR_LIMIT_EXCEEDED`) before any entry is read; each entry
 * is read once, by index, must be an object with no key but `fd`, `buffer` and `offsetBytes`, and
 * each of those is read once and checked as `read`/`write` check their arguments, in their order
 * (fd, buffer, offset, and for a write the end of the range). An entry's error carries its
 * `index` in `details`. A getter or trap that throws is `ERR_INVALID_ARGUMENT`; one that detaches
 * or shrinks a buffer already snapshotted makes the batch `ERR_DETACHED_BUFFER`.
 */
export function snapshotBatch(operation: string, value: unknown, write: boolean): BatchEntrySnapshot[] {
  const shape = 'entries must be an array of { fd, buffer, offsetBytes }';
  if (readCallerValue(operation, () => isArray(value), 'entries', 'entry list') !== true) throw invalid(operation, shape, { argument: 'entries' });
  const count = readCallerValue(operation, () => (value as { length: unknown }).length, 'entries', 'entry list');
  if (typeof count !== 'number' || !Number.isInteger(count) || count < 0) throw invalid(operation, shape, { argument: 'entries' });
  if (count > BATCH_ENTRIES_MAX) {
    throw new StorageError('ERR_LIMIT_EXCEEDED', `${operation}: too many entries`, { operation, argument: 'entries', limit: BATCH_ENTRIES_MAX });
  }
  const entries = new Array<BatchEntrySnapshot>(count);
  const list = value as Record<number, unknown>;
  for (let index = 0; index < count; index++) {
    try {
      let entry: unknown;
      try {
        entry = list[index];
      } catch (err) {
        throw readThrew(operation, 'entries', 'entry list', err);
      }
      entries[index] = snapshotBatchEntry(operation, entry, write);
    } catch (err) {
      throw withIndex(err, index);
    }
  }
  // A later entry's getter may have detached or shrunk the memory of an earlier one.
  for (let index = 0; index < count; index++) {
    const entry = entries[index] as BatchEntrySnapshot;
    if (!isSnapshotUsable(entry.view, entry.lengthBytes)) throw withIndex(detachedError(operation, 'buffer'), index);
  }
  return entries;
}

function snapshotBatchEntry(operation: string, entry: unknown, write: boolean): BatchEntrySnapshot {
  checkOptionKeys(operation, entry, BATCH_ENTRY_KEYS, 'entry');
  const record = entry as BatchEntryShape;
  const fd = checkFd(operation, readEntryField(operation, record, 'fd'));
  const view = snapshotBuffer(operation, readEntryField(operation, record, 'buffer'));
  const lengthBytes = typedArrayByteLength(view);
  const offsetBytes = checkOffset(operation, readEntryField(operation, record, 'offsetBytes'));
  if (write) checkRangeEnd(operation, offsetBytes, lengthBytes);
  return { fd, view, offsetBytes, lengthBytes };
}

interface BatchEntryShape { readonly fd: unknown; readonly buffer: unknown; readonly offsetBytes: unknown }

/**
 * One field of a batch entry, read once; a getter or trap that throws is `ERR_INVALID_ARGUMENT`.
 * Not readCallerValue: a closure per field was a third of a batch entry's checks (64-entry batches
 * of cached 4 KiB reads). Each field is a named load, not `record[key]`: inlined with its constant
 * key, this folds to the one load (a keyed load made the checks a fifth slower).
 */
function readEntryField(operation: string, record: BatchEntryShape, key: 'fd' | 'buffer' | 'offsetBytes'): unknown {
  try {
    return key === 'fd' ? record.fd : key === 'buffer' ? record.buffer : record.offsetBytes;
  } catch (err) {
    throw readThrew(operation, key, 'entry', err);
  }
}

function withIndex(err: unknown, index: number): unknown {
  if (!(err instanceof StorageError)) return err;
  return new StorageError(err.code, err.message, { ...err.details, index }, err.cause === undefined ? undefined : { cause: err.cause });
}

/**
 * True while a snapshot still covers the memory it was taken over: its buffer is attached and, for
 * a resizable buffer, still long enough. A read checks this at completion before delivering.
 */
export function isSnapshotUsable(view: Uint8Array, lengthBytes: number): boolean {
  if (lengthBytes !== 0) return typedArrayByteLength(view) === lengthBytes;
  return emptyViewInBounds(view);
}

/** `ERR_DETACHED_BUFFER` unless every snapshot of a completing read is still usable. */
export function checkSnapshotsUsable(operation: string, views: readonly Uint8Array[], lengthsBytes: readonly number[]): void {
  for (let i = 0; i < views.length; i++) {
    if (!isSnapshotUsable(views[i] as Uint8Array, lengthsBytes[i] as number)) {
      throw new StorageError('ERR_DETACHED_BUFFER', `${operation}: a buffer was detached or shrunk while the read was in flight`, {
        operation, argument: views.length === 1 ? 'buffer' : 'buffers', index: i,
      });
    }
  }
}

/**
 * The error a read settles with when its buffer was detached or shrunk while in flight. `details`
 * adds backend facts (the fd, say) without changing the code or the message, which every backend
 * shares.
 */
export function detachedInFlight(operation: string, details: Record<string, unknown> = {}): StorageError {
  return new StorageError('ERR_DETACHED_BUFFER', `${operation}: a buffer was detached or shrunk while the read was in flight`, { ...details, operation });
}

/**
 * A Uint8Array (Buffer included) that is not detached and not larger than `maxBytes`; returns its
 * snapshot (see {@link snapshotBuffer}), which callers should use instead of `buffer` itself.
 */
export function checkBuffer(operation: string, buffer: unknown, maxBytes: number = IO_BYTES_MAX): Uint8Array {
  return snapshotBuffer(operation, buffer, maxBytes);
}

/** An array of 0..{@link IOV_COUNT_MAX} buffers whose total is at most {@link IO_BYTES_MAX}; returns the total. */
export function checkBuffers(operation: string, buffers: unknown): number {
  return snapshotBuffers(operation, buffers).totalBytes;
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
  if (typeof flags !== 'object' || flags === null || readCallerValue(operation, () => isArray(flags), 'flags', 'flags') === true) {
    throw invalid(operation, 'flags must be an object', { argument: 'flags' });
  }
  const caller = flags as Record<string, unknown>;
  for (const key of readCallerValue(operation, () => Object.keys(caller), 'flags', 'flags') as string[]) {
    if (!(FLAG_NAMES as readonly string[]).includes(key)) throw invalid(operation, `unknown open flag '${key}'`, { argument: 'flags', flag: key });
  }
  // Each flag read once (a getter that changes its answer cannot pass the check with one value
  // and be used with another), a throwing getter being a bad argument.
  const f: Record<string, unknown> = {};
  for (const key of FLAG_NAMES) {
    const v = readCallerValue(operation, () => caller[key], 'flags', 'flags');
    if (v !== undefined && typeof v !== 'boolean') throw invalid(operation, `open flag '${key}' must be a boolean`, { argument: 'flags', flag: key });
    f[key] = v;
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
  else if (isUint8Array(name)) {
    if (isDetached(name)) throw new StorageError('ERR_DETACHED_BUFFER', `${operation}: name buffer is detached`, { operation });
    bytes = snapshotBuffer(operation, name, Number.MAX_SAFE_INTEGER, 'name');
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
  // Read once each, through readCallerValue: a Proxy's trap (or a revoked Proxy) may throw.
  const read = (get: () => unknown): unknown => readCallerValue(operation, get, 'versions', 'versions');
  if (read(() => isArray(versions)) !== true) throw invalid(operation, 'versions must be [min, max]', { argument: 'versions' });
  const list = versions as readonly unknown[];
  if (read(() => list.length) !== 2) throw invalid(operation, 'versions must be [min, max]', { argument: 'versions' });
  const min = checkUnsigned(operation, 'versions[0]', read(() => list[0]), BLOB_VERSION_MAX);
  const max = checkUnsigned(operation, 'versions[1]', read(() => list[1]), BLOB_VERSION_MAX);
  if (min > max) throw invalid(operation, 'versions must satisfy min <= max', { argument: 'versions' });
  return [min, max];
}

/**
 * An optional boolean option: `undefined` or a boolean, returned as it is; anything else is
 * `ERR_INVALID_ARGUMENT` ("`operation`: options.`argument` must be a boolean", details.argument).
 */
export function checkOptionalBoolean(operation: string, argument: string, value: unknown): boolean | undefined {
  if (value !== undefined && typeof value !== 'boolean') throw invalid(operation, `options.${argument} must be a boolean`, { argument });
  return value;
}

/** `fsync` options: `undefined` or an object whose `dataOnly` is absent or a boolean; returns `dataOnly`. */
export function checkFsyncOptions(operation: string, options: unknown): boolean {
  if (options === undefined) return false;
  const { dataOnly } = snapshotOptions(operation, options as { dataOnly?: unknown }, ['dataOnly']);
  return checkOptionalBoolean(operation, 'dataOnly', dataOnly) === true;
}

/** An `allocate` range: a valid offset, a length > 0, and an end within the file size limit. */
export function checkAllocateRange(operation: string, offsetBytes: unknown, lengthBytes: unknown): void {
  const offset = checkOffset(operation, offsetBytes);
  const length = checkLength(operation, lengthBytes);
  if (length === 0) throw invalid(operation, 'lengthBytes must be > 0', { argument: 'lengthBytes' });
  checkRangeEnd(operation, offset, length);
}

/** Options of `statFull`: an object with only a boolean `follow`; returns whether to follow. */
export function checkStatFullOptions(operation: string, options: unknown): boolean {
  if (options === undefined) return true;
  const { follow } = snapshotOptions(operation, options as { follow?: unknown }, ['follow']);
  return checkOptionalBoolean(operation, 'follow', follow) !== false;
}

/** Most milliseconds an attribute time may be from the epoch (the range of a JS Date). */
const TIME_MS_MAX = 8.64e15;

/** An attribute change: known keys only, each in range (mode 0..0o7777, ids -1..2^32-2, finite times). */
export function checkAttributeChange(operation: string, change: unknown): AttributeChange {
  const c = snapshotOptions(operation, change as Record<string, unknown>, ['mode', 'uid', 'gid', 'atimeMs', 'mtimeMs'], 'change');
  if (c['mode'] !== undefined) checkUnsigned(operation, 'mode', c['mode'], 0o7777);
  for (const key of ['uid', 'gid']) {
    const v = c[key];
    if (v !== undefined && v !== -1) checkUnsigned(operation, key, v, 0xffff_fffe);
  }
  for (const key of ['atimeMs', 'mtimeMs']) {
    const v = c[key];
    if (v !== undefined && (typeof v !== 'number' || !Number.isFinite(v) || Math.abs(v) > TIME_MS_MAX)) {
      throw invalid(operation, `${key} must be a finite number of milliseconds`, { argument: key });
    }
  }
  return { ...(c as AttributeChange) };
}

/** A symbolic link's target: a string without NUL, at most {@link PATH_BYTES_MAX} bytes (else `ENAMETOOLONG`). */
export function checkSymlinkTarget(operation: string, target: unknown): string {
  if (typeof target !== 'string') throw invalid(operation, 'target must be a string', { argument: 'target' });
  if (target.includes('\0')) throw invalid(operation, 'target must not contain NUL', { argument: 'target' });
  if (utf8.encode(target).byteLength > PATH_BYTES_MAX) {
    throw new StorageError('ENAMETOOLONG', `${operation}: target too long`, { operation, limit: PATH_BYTES_MAX });
  }
  return target;
}

/**
 * {@link checkOptionKeys}, then every key of `allowed` read exactly once (own or inherited, in
 * `allowed` order; a throwing getter or Proxy trap is `ERR_INVALID_ARGUMENT` naming the key): the
 * result is a plain object of the values read, keys whose value is `undefined` left out. Callers
 * check and use only this snapshot, so a getter that changes its answer cannot pass a check with
 * one value and act with another, and later changes to the caller's object change nothing.
 */
export function snapshotOptions<T extends object>(operation: string, options: T, allowed: readonly string[], what?: string): T;
export function snapshotOptions<T extends object>(operation: string, options: T | undefined, allowed: readonly string[], what: string, optional: true): T | undefined;
export function snapshotOptions<T extends object>(operation: string, options: T | undefined, allowed: readonly string[], what = 'options', optional = false): T | undefined {
  checkOptionKeys(operation, options, allowed, what, optional);
  if (options === undefined) return undefined;
  const snapshot: Record<string, unknown> = {};
  for (const key of allowed) {
    const value = readCallerValue(operation, () => (options as Record<string, unknown>)[key], key, what);
    if (value !== undefined) snapshot[key] = value;
  }
  return snapshot as T;
}

/**
 * An options object (or `undefined` when `optional`) whose own keys are all in `allowed`. An
 * unknown key is `ERR_INVALID_ARGUMENT` naming it: a misspelt option (`sead` for `seed`) must never
 * be accepted and silently ignored. `what` names the object in the message (`options`, `fault
 * rule`...).
 */
export function checkOptionKeys(operation: string, options: unknown, allowed: readonly string[], what = 'options', optional = false): void {
  if (options === undefined && optional) return;
  // A Proxy's traps may throw, and a revoked Proxy makes even Array.isArray throw: a bad argument,
  // not a raw TypeError.
  if (typeof options !== 'object' || options === null) throw invalid(operation, `${what} must be an object`, { argument: what });
  // Try blocks rather than readCallerValue's closures: this runs per entry of a batch.
  let array: boolean;
  try {
    array = isArray(options);
  } catch (err) {
    throw readThrew(operation, what, what, err);
  }
  if (array) throw invalid(operation, `${what} must be an object`, { argument: what });
  let keys: string[];
  try {
    keys = Object.keys(options);
  } catch (err) {
    throw readThrew(operation, what, what, err);
  }
  for (const key of keys) {
    if (!allowed.includes(key)) throw invalid(operation, `unknown key '${key}' in ${what}`, { argument: key, allowed: [...allowed] });
  }
}
