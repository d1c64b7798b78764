/**
 * Every `node:fs` operation, written once as a generator over Io requests and driven either
 * synchronously (through the Io's synchronous twin, for `*Sync`) or asynchronously (through the
 * Io's promises, for callbacks and `fs.promises`). One body per operation keeps the three API
 * forms identical in what they do, in which Io calls they make (and so in the trace), and in
 * their errors. Arguments are checked before an operation starts (see `args.ts`); what happens
 * here is what Node reports from the system call: `ENOENT`, `EBADF`... as Node errors.
 */
import { constants as fsConstants } from 'node:fs';
import type { OpenFlags } from '../interfaces/io.js';
import { FILE_SIZE_MAX_BYTES, IO_BYTES_MAX, IOV_COUNT_MAX, OFFSET_MAX_BYTES } from '../interfaces/limits.js';
import type { AttributeChange, InodeStat, SyncCapableIo, SyncNamespaceIo } from '../interfaces/namespace-io.js';
import { StorageError } from '../interfaces/errors.js';
import { intrinsicByteLength, plainView, truncateBuffers } from '../interfaces/validate.js';
import { ioPathOf, type FsPath } from './args.js';
import { fileTooLarge, fsEisdir, isSystemError, rmSyncError, systemError, toNodeError } from './errors.js';
import { FdTable, type FdEntry } from './fd-table.js';

type Method = keyof SyncNamespaceIo;

/** One Io call an operation asks its driver to make. */
export interface IoRequest {
  readonly method: Method;
  readonly args: readonly unknown[];
  /** The system call Node would name in an error, and the paths it would show. */
  readonly syscall: string;
  readonly path: string | undefined;
  readonly dest: string | undefined;
}

/** An operation in progress: yields Io requests, receives their results. */
export type Op<T> = Generator<IoRequest, T, unknown>;

function* call<T>(method: Method, args: readonly unknown[], syscall: string, path?: string, dest?: string): Op<T> {
  return (yield { method, args, syscall, path, dest }) as T;
}

/** Drives `op` through the synchronous twin of `io`: every request completes before the next. */
export function runSync<T>(io: SyncCapableIo, op: Op<T>): T {
  const sync = io.sync as unknown as Record<Method, (...args: readonly unknown[]) => unknown>;
  let step = op.next();
  while (step.done !== true) {
    const request = step.value;
    let value: unknown;
    try {
      value = sync[request.method](...request.args);
    } catch (err) {
      step = op.throw(toNodeError(err, request.syscall, request.path, request.dest));
      continue;
    }
    step = op.next(value);
  }
  return step.value;
}

/** Drives `op` through the asynchronous Io; errors (including the first step's) reject. */
export async function runAsync<T>(io: SyncCapableIo, op: Op<T>): Promise<T> {
  const asyncIo = io as unknown as Record<Method, (...args: readonly unknown[]) => Promise<unknown>>;
  let step = op.next();
  while (step.done !== true) {
    const request = step.value;
    let value: unknown;
    try {
      value = await asyncIo[request.method](...request.args);
    } catch (err) {
      step = op.throw(toNodeError(err, request.syscall, request.path, request.dest));
      continue;
    }
    step = op.next(value);
  }
  return step.value;
}

const {
  O_WRONLY, O_RDWR, O_CREAT, O_EXCL, O_TRUNC, O_APPEND, O_DIRECTORY, O_NOFOLLOW, O_SYNC, O_DSYNC, X_OK, COPYFILE_EXCL,
} = fsConstants;

/**
 * The position of a read whose range ends past 2^63 - 1, which Node 20 lets through for a bigint
 * (see `FsLine.bigintPositionUpToLength`): the kernel's EINVAL.
 */
export const POSITION_OVERFLOW = Number.POSITIVE_INFINITY;

/** Linux's O_PATH and O_CLOEXEC (not in Node's constants). */
const O_PATH = 0o1000_0000;
const O_CLOEXEC = 0o200_0000;
/** The umask a simulated process runs with (fixed, so runs do not depend on the real process). */
export const UMASK = 0o022;
/** Bytes moved per Io call by readFile/writeFile/copyFile loops. */
const CHUNK_BYTES_MAX = 1 << 20;
/** Most names mkdtemp tries before giving up with EEXIST. */
const MKDTEMP_TRIES_MAX = 100;
/** Most symbolic links realpath follows (Linux's MAXSYMLINKS). */
const SYMLINKS_MAX = 40;
const NAME_CHARS = 'abcdefghijklmnopqrstuvwxyzABCDEFGHIJKLMNOPQRSTUVWXYZ0123456789';

function codeOf(err: unknown): string | undefined {
  return typeof err === 'object' && err !== null ? (err as { code?: string }).code : undefined;
}

/** How numeric open flags map onto the Io's flags. */
export interface DecodedFlags {
  readonly io: OpenFlags;
  readonly append: boolean;
  readonly nofollow: boolean;
  readonly syncWrites: 'none' | 'data' | 'all';
}

export function decodeFlags(flags: number): DecodedFlags {
  const access = flags & 3;
  const write = access === O_WRONLY || access === O_RDWR;
  const read = access !== O_WRONLY;
  const create = (flags & O_CREAT) !== 0;
  // O_DIRECT is accepted and ignored: callers' buffers are not the simulator's aligned ones, and
  // the page-cache model is what the crash states describe anyway.
  const io: OpenFlags = {
    read, write, create,
    exclusive: create && (flags & O_EXCL) !== 0,
    truncate: write && (flags & O_TRUNC) !== 0,
    directory: (flags & O_DIRECTORY) !== 0,
  };
  const syncWrites = (flags & O_SYNC) === O_SYNC ? 'all' : (flags & O_DSYNC) !== 0 ? 'data' : 'none';
  return { io, append: (flags & O_APPEND) !== 0, nofollow: (flags & O_NOFOLLOW) !== 0, syncWrites };
}

/** Joins an Io path (relative, `'.'` for the root) into the absolute form Node shows. */
function shownOf(ioPath: string): string {
  return ioPath === '.' ? '/' : `/${ioPath}`;
}

function childOf(ioPath: string, name: string): string {
  return ioPath === '.' ? name : `${ioPath}/${name}`;
}

/**
 * Where a read at `at` goes: Linux reads nothing past the largest file size, however far; the Io
 * refuses offsets past its own limit, where it would also read nothing.
 */
function readAt(at: number): number {
  return at > OFFSET_MAX_BYTES ? OFFSET_MAX_BYTES : at;
}

/**
 * A write of `data` at `at` as Linux bounds it: at most MAX_RW_COUNT bytes, cut at the largest
 * file size; one starting at or past it keeps one byte at the limit, which the Io answers with
 * Linux's EFBIG after its own fd checks (a 0-byte write is never checked, and moves nothing).
 */
function writeBounds(at: number, data: Uint8Array): { readonly at: number; readonly data: Uint8Array } {
  // `data` may be the caller's own view (see `viewBytesInPlace`): only the intrinsics touch it.
  const lengthBytes = intrinsicByteLength(data);
  if (lengthBytes === 0) return { at: Math.min(at, FILE_SIZE_MAX_BYTES), data };
  if (at >= FILE_SIZE_MAX_BYTES) return { at: FILE_SIZE_MAX_BYTES, data: plainView(data, 0, 1) };
  const most = Math.min(IO_BYTES_MAX, FILE_SIZE_MAX_BYTES - at);
  return { at, data: lengthBytes > most ? plainView(data, 0, most) : data };
}

/** The part of a buffer list one readv/writev system call takes: IOV_MAX buffers, MAX_RW_COUNT bytes. */
function iovBatch(buffers: readonly Uint8Array[], maxBytes: number): readonly Uint8Array[] {
  const batch = buffers.length > IOV_COUNT_MAX ? buffers.slice(0, IOV_COUNT_MAX) : buffers;
  let total = 0;
  for (const b of batch) total += b.byteLength;
  return total > maxBytes ? truncateBuffers(batch, maxBytes) : batch;
}

/** `buffers` less their first `count` bytes (whole buffers dropped, a partly written one trimmed). */
function advanceBuffers(buffers: readonly Uint8Array[], count: number): readonly Uint8Array[] {
  let i = 0;
  let left = count;
  while (i < buffers.length && left >= (buffers[i] as Uint8Array).byteLength) left -= (buffers[i++] as Uint8Array).byteLength;
  const rest = buffers.slice(i);
  if (left > 0 && rest.length > 0) rest[0] = (rest[0] as Uint8Array).subarray(left);
  return rest;
}

/** A read whose buffer was detached or shrunk while in flight: its memory is gone, nothing reached it. */
function isDetachedInFlight(err: unknown): boolean {
  return err instanceof StorageError && err.code === 'ERR_DETACHED_BUFFER';
}

/**
 * For a path whose last component is `.` or `..` as written: which, and the directory before it
 * (as an FsPath that must name a directory). Undefined for any other path.
 */
function dotPrefixOf(path: FsPath): (FsPath & { readonly dots: '.' | '..' }) | undefined {
  const shown = path.shown;
  if (!shown.endsWith('.')) {
    if (!shown.endsWith('/')) return undefined;
  }
  const trimmed = shown.replace(/\/+$/, '');
  const slash = trimmed.lastIndexOf('/');
  const dots = trimmed.slice(slash + 1);
  if (dots !== '.' && dots !== '..') return undefined;
  const before = slash < 0 ? '.' : trimmed.slice(0, slash) === '' ? '/' : trimmed.slice(0, slash);
  return { shown: before, io: ioPathOf(before), mustBeDir: true, dots };
}

/**
 * How rm and a recursive rmdir remove a tree: Node's JavaScript rimraf, synchronous (rmSync on
 * Node 20 and 22) or asynchronous (the callback and promise forms, every line), or Node 24's
 * rmSync in C++ (see `FsLine.nativeRmSync`).
 */
export type RmHow = 'rimraf-sync' | 'rimraf-async' | 'native';

/** What readdir gives back for one entry. */
export interface ReaddirEntry {
  /** The name, or the path relative to the listed directory for a recursive listing. */
  readonly name: string;
  /** lstat of the entry, when types were asked for. */
  readonly stat: InodeStat | undefined;
  /** The directory holding the entry, as Node shows it (`Dirent.parentPath`). */
  readonly parentPath: string;
}

/** The shape of a plain `read`/`write` promise: the count itself. */
const sameCount = (count: number): number => count;

/** The operations of one `node.fs`, over the fds it has open. */
export class Operations {
  readonly fds = new FdTable();

  constructor(private readonly random: () => number) {}

  /**
   * Linux's rule for a path ending in `/`: it must resolve to a directory (`ENOTDIR` otherwise).
   * Returns the directory's stat, or undefined when the path does not exist (or has no slash).
   */
  private *slash(path: FsPath, syscall: string, dest?: FsPath): Op<InodeStat | undefined> {
    if (!path.mustBeDir) return undefined;
    const [shown, shownDest] = dest === undefined ? [path.shown, undefined] : [path.shown, dest.shown];
    let st: InodeStat;
    try {
      st = yield* call<InodeStat>('statFull', [path.io], syscall, shown, shownDest);
    } catch (err) {
      if (codeOf(err) === 'ENOENT') return undefined;
      throw err;
    }
    if (!st.isDirectory) throw systemError('ENOTDIR', syscall, shown, shownDest);
    return st;
  }

  /** The parent of `path` must resolve to a directory: ENOENT or ENOTDIR otherwise. */
  private *parentDir(path: FsPath, syscall: string, shown: string, dest?: string): Op<void> {
    const slash = path.io.lastIndexOf('/');
    if (slash < 0) return;
    const parent = yield* call<InodeStat>('statFull', [path.io.slice(0, slash)], syscall, shown, dest);
    if (!parent.isDirectory) throw systemError('ENOTDIR', syscall, shown, dest);
  }

  /** lstat (or stat) that answers undefined for a missing path; other errors name `syscall`. */
  private *tryStat(ioPath: string, follow: boolean, syscall: string, shown: string, dest?: string): Op<InodeStat | undefined> {
    try {
      return yield* call<InodeStat>('statFull', [ioPath, { follow }], syscall, shown, dest);
    } catch (err) {
      if (codeOf(err) === 'ENOENT') return undefined;
      throw err;
    }
  }

  private static noEmpty(path: FsPath, syscall: string): void {
    if (path.io === '') throw systemError('ENOENT', syscall, path.shown);
  }

  /**
   * A last component `.` or `..` as written (Linux's LAST_DOT / LAST_DOTDOT; the Io path has it
   * resolved lexically): walks the directory before it as Linux does (ENOENT, ENOTDIR) and says
   * which it was. Undefined, with no Io call, for any other path.
   */
  private *dotLast(path: FsPath, syscall: string, shown = path.shown, dest?: string): Op<'.' | '..' | undefined> {
    const prefix = dotPrefixOf(path);
    if (prefix === undefined) return undefined;
    const st = yield* call<InodeStat>('statFull', [prefix.io], syscall, shown, dest);
    if (!st.isDirectory) throw systemError('ENOTDIR', syscall, shown, dest);
    return prefix.dots;
  }

  // ---- fds -------------------------------------------------------------------------------------

  *open(io: SyncCapableIo, path: FsPath, flags: number, mode: number): Op<number> {
    Operations.noEmpty(path, 'open');
    // Linux's open(2) keeps only these flags beside O_PATH (-1 or 0x7fffffff is an O_PATH open
    // with O_DIRECTORY: ENOTDIR on a file).
    if ((flags & O_PATH) !== 0) flags &= O_PATH | O_DIRECTORY | O_NOFOLLOW | O_CLOEXEC;
    const f = decodeFlags(flags);
    // `dir/.` names the directory itself: with O_CREAT that is EEXIST (O_EXCL) or EISDIR.
    if ((yield* this.dotLast(path, 'open')) !== undefined && f.io.create === true) {
      throw systemError(f.io.exclusive === true ? 'EEXIST' : 'EISDIR', 'open', path.shown);
    }
    if (path.mustBeDir && f.io.create === true) {
      // Linux: O_CREAT with a trailing slash is EISDIR once the parent resolves.
      const slash = path.io.lastIndexOf('/');
      if (slash > 0) {
        const parent = yield* call<InodeStat>('statFull', [path.io.slice(0, slash)], 'open', path.shown);
        if (!parent.isDirectory) throw systemError('ENOTDIR', 'open', path.shown);
      }
      throw systemError('EISDIR', 'open', path.shown);
    }
    if (path.mustBeDir) yield* this.slash(path, 'open');
    if (f.nofollow) {
      let st: InodeStat | undefined;
      try {
        st = yield* call<InodeStat>('statFull', [path.io, { follow: false }], 'open', path.shown);
      } catch (err) {
        if (codeOf(err) !== 'ENOENT') throw err;
      }
      if (st?.isSymbolicLink === true) throw systemError('ELOOP', 'open', path.shown);
    }
    this.fds.checkRoom('open', path.shown, io);
    const ioFd = yield* call<number>('open', [path.io, f.io, mode & ~UMASK & 0o7777], 'open', path.shown);
    if ((flags & O_TRUNC) !== 0 && f.io.write !== true) {
      // Linux truncates a regular file opened O_RDONLY|O_TRUNC (and refuses a directory with
      // EISDIR, as any open asking to write); the Io's truncate needs a writable fd: a second one.
      try {
        const st = yield* call<InodeStat>('statFull', [ioFd], 'open', path.shown);
        if (st.isDirectory) throw systemError('EISDIR', 'open', path.shown);
        if (st.isFile) {
          const writer = yield* call<number>('open', [path.io, { write: true }, 0], 'open', path.shown);
          try {
            yield* call<void>('truncate', [writer, 0], 'open', path.shown);
          } finally {
            yield* call<void>('close', [writer], 'close');
          }
        }
      } catch (err) {
        yield* call<void>('close', [ioFd], 'close');
        throw err;
      }
    }
    return this.fds.add({ io, ioFd, position: 0, append: f.append, syncWrites: f.syncWrites, path: path.shown });
  }

  *close(io: SyncCapableIo, fd: number): Op<void> {
    const entry = this.fds.get(fd, io, 'close');
    this.fds.drop(fd);
    yield* call<void>('close', [entry.ioFd], 'close');
  }

  /** Reads at `position`, or at the fd's position (advancing it) when `position` is -1. */
  *read(io: SyncCapableIo, fd: number, buffer: Uint8Array, position: number): Op<number> {
    const entry = this.fds.get(fd, io, 'read');
    const at = position < 0 ? entry.position : position;
    const count = yield* call<number>('read', [entry.ioFd, buffer, readAt(at)], 'read');
    if (position < 0) entry.position = at + count;
    return count;
  }

  // Hot paths: read and write without a generator (the per-call objects of a generator showed up
  // as a quarter of the time of 4 KiB random I/O). Same Io calls and errors as `read`/`write`.

  /** `read`, synchronously. */
  readNow(io: SyncCapableIo, fd: number, buffer: Uint8Array, position: number): number {
    const entry = this.fds.get(fd, io, 'read');
    if (position === POSITION_OVERFLOW) return runSync(io, this.readPastInt64(entry));
    const at = position < 0 ? entry.position : position;
    let count: number;
    try {
      count = io.sync.read(entry.ioFd, buffer, readAt(at));
    } catch (err) {
      throw toNodeError(err, 'read');
    }
    if (position < 0) entry.position = at + count;
    return count;
  }

  /**
   * A read whose range ends past 2^63 - 1 ({@link POSITION_OVERFLOW}): Linux checks that the fd
   * reads (EBADF), then refuses the range (EINVAL) before looking at the file.
   */
  private *readPastInt64(entry: FdEntry): Op<number> {
    try {
      yield* call<number>('read', [entry.ioFd, new Uint8Array(0), 0], 'read');
    } catch (err) {
      if (codeOf(err) === 'EBADF') throw err;
    }
    throw systemError('EINVAL', 'read');
  }

  /** `read`, as a promise. */
  readLater(io: SyncCapableIo, fd: number, buffer: Uint8Array, position: number): Promise<number> {
    return this.readShaped(io, fd, buffer, position, sameCount);
  }

  /**
   * `FileHandle.read`'s promise: `readLater` with the `{ bytesRead, buffer }` result built in the
   * same reaction (one promise and one microtask per call instead of two: the hot path of
   * FileHandle I/O).
   */
  readResult<B>(io: SyncCapableIo, fd: number, target: Uint8Array, position: number, buffer: B): Promise<{ bytesRead: number; buffer: B }> {
    return this.readShaped(io, fd, target, position, (bytesRead) => ({ bytesRead, buffer }));
  }

  /** `read` as a promise of `shape(bytesRead)`, shaped in the reaction that advances the position. */
  private readShaped<R>(io: SyncCapableIo, fd: number, target: Uint8Array, position: number, shape: (count: number) => R): Promise<R> {
    let entry: FdEntry;
    try {
      entry = this.fds.get(fd, io, 'read');
    } catch (err) {
      return Promise.reject(err);
    }
    if (position === POSITION_OVERFLOW) return runAsync(io, this.readPastInt64(entry)).then(shape);
    const at = position < 0 ? entry.position : position;
    return io.read(entry.ioFd, target, readAt(at)).then((count) => {
      if (position < 0) entry.position = at + count;
      return shape(count);
    }, (err: unknown) => {
      if (isDetachedInFlight(err)) return shape(0);
      throw toNodeError(err, 'read');
    });
  }

  /** `write`, synchronously. */
  writeNow(io: SyncCapableIo, fd: number, buffer: Uint8Array, position: number): number {
    const entry = this.fds.get(fd, io, 'write');
    if (entry.append || entry.syncWrites !== 'none') return runSync(io, this.write(io, fd, buffer, position));
    const { at, data } = writeBounds(position < 0 ? entry.position : position, buffer);
    let count: number;
    try {
      count = io.sync.write(entry.ioFd, data, at);
    } catch (err) {
      throw toNodeError(err, 'write');
    }
    if (position < 0) entry.position = at + count;
    return count;
  }

  /** `write`, as a promise. */
  writeLater(io: SyncCapableIo, fd: number, buffer: Uint8Array, position: number): Promise<number> {
    return this.writeShaped(io, fd, buffer, position, sameCount);
  }

  /** `FileHandle.write`'s promise: `writeLater` with the `{ bytesWritten, buffer }` result built in one reaction. */
  writeResult<B>(io: SyncCapableIo, fd: number, data: Uint8Array, position: number, buffer: B): Promise<{ bytesWritten: number; buffer: B }> {
    return this.writeShaped(io, fd, data, position, (bytesWritten) => ({ bytesWritten, buffer }));
  }

  /** `write` as a promise of `shape(bytesWritten)`; appends and sync-mode fds take the general path. */
  private writeShaped<R>(io: SyncCapableIo, fd: number, data: Uint8Array, position: number, shape: (count: number) => R): Promise<R> {
    let entry: FdEntry;
    try {
      entry = this.fds.get(fd, io, 'write');
    } catch (err) {
      return Promise.reject(err);
    }
    if (entry.append || entry.syncWrites !== 'none') return runAsync(io, this.write(io, fd, data, position)).then(shape);
    const bounded = writeBounds(position < 0 ? entry.position : position, data);
    const at = bounded.at;
    return io.write(entry.ioFd, bounded.data, at).then((count) => {
      if (position < 0) entry.position = at + count;
      return shape(count);
    }, (err: unknown) => { throw toNodeError(err, 'write'); });
  }

  *readv(io: SyncCapableIo, fd: number, buffers: readonly Uint8Array[], position: number): Op<number> {
    const entry = this.fds.get(fd, io, 'read');
    const at = position < 0 ? entry.position : position;
    // One readv call, as libuv makes it: at most IOV_MAX buffers (the rest stay unread).
    let count: number;
    try {
      count = yield* call<number>('readv', [entry.ioFd, iovBatch(buffers, IO_BYTES_MAX), readAt(at)], 'read');
    } catch (err) {
      if (isDetachedInFlight(err)) return 0;
      throw err;
    }
    if (position < 0) entry.position = at + count;
    return count;
  }

  private *writeStart(entry: FdEntry, position: number): Op<number> {
    if (entry.append) {
      const st = yield* call<{ sizeBytes: number }>('stat', [entry.ioFd], 'write');
      return st.sizeBytes;
    }
    return position < 0 ? entry.position : position;
  }

  private *afterWrite(entry: FdEntry): Op<void> {
    if (entry.syncWrites !== 'none') yield* call<void>('fsync', [entry.ioFd, { dataOnly: entry.syncWrites === 'data' }], 'write');
  }

  /** Writes at `position` (the fd's position when -1; the end with O_APPEND). May be short. */
  *write(io: SyncCapableIo, fd: number, buffer: Uint8Array, position: number): Op<number> {
    const entry = this.fds.get(fd, io, 'write');
    const bounded = writeBounds(yield* this.writeStart(entry, position), buffer);
    const at = bounded.at;
    const count = yield* call<number>('write', [entry.ioFd, bounded.data, at], 'write');
    if (position < 0 || entry.append) entry.position = at + count;
    yield* this.afterWrite(entry);
    return count;
  }

  /**
   * libuv's `uv__fs_write_all`: writev calls of at most IOV_MAX buffers until all are written, a
   * call is short, or one fails (its error is the answer only when nothing was written before).
   */
  *writev(io: SyncCapableIo, fd: number, buffers: readonly Uint8Array[], position: number): Op<number> {
    const entry = this.fds.get(fd, io, 'write');
    let total = 0;
    let rest = buffers;
    while (rest.length > 0) {
      const start = yield* this.writeStart(entry, position < 0 ? -1 : position + total);
      const at = start >= FILE_SIZE_MAX_BYTES ? FILE_SIZE_MAX_BYTES : start;
      // Past the largest file size: one byte, which the Io answers with EFBIG (see writeBounds).
      const room = start >= FILE_SIZE_MAX_BYTES ? 1 : FILE_SIZE_MAX_BYTES - at;
      const batch = iovBatch(rest, Math.min(IO_BYTES_MAX, room));
      let wanted = 0;
      for (const b of batch) wanted += b.byteLength;
      let count: number;
      try {
        count = yield* call<number>('writev', [entry.ioFd, batch, at], 'write');
      } catch (err) {
        if (total === 0) throw err;
        break;
      }
      if (position < 0 || entry.append) entry.position = at + count;
      total += count;
      if (count < wanted || count === 0) break;
      rest = advanceBuffers(rest, count);
    }
    yield* this.afterWrite(entry);
    return total;
  }

  /** Writes all of `data` (looping over short writes), at the fd's position or from `position`. */
  *writeAll(io: SyncCapableIo, fd: number, data: Uint8Array, position: number): Op<void> {
    let done = 0;
    while (done < data.byteLength) {
      const piece = data.subarray(done, Math.min(data.byteLength, done + CHUNK_BYTES_MAX));
      const count = yield* this.write(io, fd, piece, position < 0 ? -1 : position + done);
      // A write that moves nothing would loop forever: report it as the kernel's EIO.
      if (count <= 0) throw systemError('EIO', 'write');
      done += count;
    }
  }

  /** Reads to the end from the fd's position. */
  *readAll(io: SyncCapableIo, fd: number): Op<Buffer> {
    const entry = this.fds.get(fd, io, 'read');
    const st = yield* call<InodeStat>('statFull', [entry.ioFd], 'fstat');
    // Node refuses before reading anything (its kIoMaxLength).
    if (st.isFile && st.sizeBytes > 0x7fff_ffff) throw fileTooLarge(st.sizeBytes);
    const pieces: Buffer[] = [];
    let total = 0;
    let want = Math.min(CHUNK_BYTES_MAX, Math.max(st.sizeBytes - entry.position, 0) || 8192);
    for (;;) {
      const piece = Buffer.allocUnsafe(want);
      const count = yield* this.read(io, fd, piece, -1);
      if (count === 0) break;
      pieces.push(count === want ? piece : piece.subarray(0, count));
      total += count;
      want = Math.min(CHUNK_BYTES_MAX, 64 * 1024);
    }
    return pieces.length === 1 ? pieces[0] as Buffer : Buffer.concat(pieces, total);
  }

  *fsync(io: SyncCapableIo, fd: number, dataOnly: boolean): Op<void> {
    const entry = this.fds.get(fd, io, dataOnly ? 'fdatasync' : 'fsync');
    yield* call<void>('fsync', [entry.ioFd, { dataOnly }], dataOnly ? 'fdatasync' : 'fsync');
  }

  *ftruncate(io: SyncCapableIo, fd: number, lengthBytes: number): Op<void> {
    const entry = this.fds.get(fd, io, 'ftruncate');
    // Past the largest file size every length is Linux's EFBIG (after its EBADF/EINVAL checks),
    // which the Io answers for any length just past it; larger ones would pass its own offset limit.
    yield* call<void>('truncate', [entry.ioFd, Math.min(lengthBytes, FILE_SIZE_MAX_BYTES + 1)], 'ftruncate');
  }

  *fstat(io: SyncCapableIo, fd: number): Op<InodeStat> {
    const entry = this.fds.get(fd, io, 'fstat');
    return yield* call<InodeStat>('statFull', [entry.ioFd], 'fstat');
  }

  *fsetattr(io: SyncCapableIo, fd: number, change: AttributeChange, syscall: string): Op<void> {
    const entry = this.fds.get(fd, io, syscall);
    yield* call<void>('setAttributes', [entry.ioFd, change], syscall);
  }

  // ---- paths -----------------------------------------------------------------------------------

  *stat(path: FsPath, follow: boolean): Op<InodeStat> {
    const syscall = follow ? 'stat' : 'lstat';
    Operations.noEmpty(path, syscall);
    yield* this.slash(path, syscall);
    return yield* call<InodeStat>('statFull', [path.io, { follow: follow || path.mustBeDir }], syscall, path.shown);
  }

  *exists(path: FsPath): Op<boolean> {
    if (path.io === '') return false;
    try {
      const st = yield* call<InodeStat>('statFull', [path.io], 'stat', path.shown);
      return !path.mustBeDir || st.isDirectory;
    } catch (err) {
      // A crashed or shut-down disk is not "no such file": only system errors mean false.
      if (codeOf(err) === 'ERR_CRASHED' || codeOf(err) === 'ERR_CLOSED') throw err;
      return false;
    }
  }

  *access(path: FsPath, mode: number): Op<void> {
    Operations.noEmpty(path, 'access');
    yield* this.slash(path, 'access');
    const st = yield* call<InodeStat>('statFull', [path.io], 'access', path.shown);
    // The simulated process is the owner of everything: only a missing execute bit refuses.
    if ((mode & X_OK) !== 0 && !st.isDirectory && (st.mode & 0o111) === 0) throw systemError('EACCES', 'access', path.shown);
  }

  *setattr(path: FsPath, change: AttributeChange, syscall: string, follow = true): Op<void> {
    Operations.noEmpty(path, syscall);
    yield* this.slash(path, syscall);
    yield* call<void>('setAttributes', [path.io, change, { follow: follow || path.mustBeDir }], syscall, path.shown);
  }

  *rename(from: FsPath, to: FsPath): Op<void> {
    if (from.io === '' || to.io === '') throw systemError('ENOENT', 'rename', from.shown, to.shown);
    if (dotPrefixOf(from) !== undefined || dotPrefixOf(to) !== undefined) {
      // Linux resolves both parents, then refuses a `.` or `..` on either side with EBUSY.
      for (const side of [from, to]) {
        if ((yield* this.dotLast(side, 'rename', from.shown, to.shown)) !== undefined) continue;
        const slash = side.io.lastIndexOf('/');
        if (slash < 0) continue;
        const parent = yield* call<InodeStat>('statFull', [side.io.slice(0, slash)], 'rename', from.shown, to.shown);
        if (!parent.isDirectory) throw systemError('ENOTDIR', 'rename', from.shown, to.shown);
      }
      throw systemError('EBUSY', 'rename', from.shown, to.shown);
    }
    if (from.io === '.' || to.io === '.') throw systemError('EBUSY', 'rename', from.shown, to.shown);
    if (from.mustBeDir || to.mustBeDir) {
      // rename never follows the last components; a trailing slash on either side demands a
      // directory source. Both parents resolve first.
      for (const side of [from, to]) {
        const slash = side.io.lastIndexOf('/');
        if (slash < 0) continue;
        const parent = yield* call<InodeStat>('statFull', [side.io.slice(0, slash)], 'rename', from.shown, to.shown);
        if (!parent.isDirectory) throw systemError('ENOTDIR', 'rename', from.shown, to.shown);
      }
      const source = yield* call<InodeStat>('statFull', [from.io, { follow: false }], 'rename', from.shown, to.shown);
      if (!source.isDirectory) throw systemError('ENOTDIR', 'rename', from.shown, to.shown);
      // A directory source: the rename below gives Linux's answer for the destination.
    }
    yield* call<void>('rename', [from.io, to.io], 'rename', from.shown, to.shown);
  }

  *unlink(path: FsPath): Op<void> {
    Operations.noEmpty(path, 'unlink');
    if ((yield* this.dotLast(path, 'unlink')) !== undefined) throw systemError('EISDIR', 'unlink', path.shown);
    if (path.mustBeDir) {
      // Linux's unlinkat with a trailing slash: nothing is ENOENT, a directory EISDIR, anything
      // else (a link is not followed) ENOTDIR.
      const st = yield* this.tryStat(path.io, false, 'unlink', path.shown);
      throw systemError(st === undefined ? 'ENOENT' : st.isDirectory ? 'EISDIR' : 'ENOTDIR', 'unlink', path.shown);
    }
    yield* call<void>('unlink', [path.io], 'unlink', path.shown);
  }

  *rmdir(path: FsPath): Op<void> {
    Operations.noEmpty(path, 'rmdir');
    const dots = yield* this.dotLast(path, 'rmdir');
    if (dots !== undefined) throw systemError(dots === '.' ? 'EINVAL' : 'ENOTEMPTY', 'rmdir', path.shown);
    if (path.io === '.') throw systemError('EBUSY', 'rmdir', path.shown);
    // rmdir does not follow a link in the last component, slash or not: the checks below suffice.
    const st = yield* call<InodeStat>('statFull', [path.io, { follow: false }], 'rmdir', path.shown);
    if (!st.isDirectory) throw systemError('ENOTDIR', 'rmdir', path.shown);
    yield* call<void>('rmdir', [path.io], 'rmdir', path.shown);
  }

  /**
   * mkdir; with `recursive`, every missing parent too, returning the first directory made.
   * `callbackForm`: fs.mkdir and fs.promises.mkdir, whose recursive walk (Node's MKDirpAsync)
   * answers ENOTDIR for a parent name taken by something stat cannot resolve (a dangling link)
   * where mkdirSync's (MKDirpSync) answers what stat says.
   */
  *mkdir(path: FsPath, recursive: boolean, mode: number, callbackForm = false): Op<string | undefined> {
    Operations.noEmpty(path, 'mkdir');
    const prefix = dotPrefixOf(path);
    if (prefix !== undefined) {
      // `dir/.` exists once `dir` does: EEXIST; Node's recursive mkdir makes `dir` first (its
      // mkdir of `dir/.` then finds a directory), and a non-directory there is ENOTDIR.
      if (recursive) return yield* this.mkdir(prefix, true, mode, callbackForm);
      yield* this.dotLast(path, 'mkdir');
      throw systemError('EEXIST', 'mkdir', path.shown);
    }
    const bits = mode & ~UMASK & 0o7777;
    if (!recursive) {
      yield* call<void>('mkdir', [path.io], 'mkdir', path.shown);
      if (bits !== 0o755) yield* call<void>('setAttributes', [path.io, { mode: bits }], 'mkdir', path.shown);
      return undefined;
    }
    const parts = path.io === '.' ? [] : path.io.split('/');
    let first: string | undefined;
    for (let i = 1; i <= parts.length; i++) {
      const sub = parts.slice(0, i).join('/');
      let st: InodeStat | undefined;
      try {
        st = yield* call<InodeStat>('statFull', [sub], 'mkdir', path.shown);
      } catch (err) {
        if (codeOf(err) !== 'ENOENT') throw err;
      }
      if (st !== undefined) {
        // Node's mkdirp: the last name taken by a non-directory is EEXIST, unless a trailing slash
        // made stat itself fail with ENOTDIR.
        if (!st.isDirectory) throw systemError(i === parts.length && !path.mustBeDir ? 'EEXIST' : 'ENOTDIR', 'mkdir', path.shown);
        continue;
      }
      try {
        yield* call<void>('mkdir', [sub], 'mkdir', path.shown);
      } catch (err) {
        // EEXIST on a name that stat did not find: a dangling symbolic link. Node's mkdirp then
        // reports what stat says (ENOENT), its asynchronous one ENOTDIR for a parent.
        if (codeOf(err) === 'EEXIST') {
          if (callbackForm && i < parts.length) throw systemError('ENOTDIR', 'mkdir', path.shown);
          yield* call<InodeStat>('statFull', [sub], 'mkdir', path.shown);
        }
        throw err;
      }
      if (bits !== 0o755) yield* call<void>('setAttributes', [sub, { mode: bits }], 'mkdir', path.shown);
      // Node answers with the path as given when the last component is the first made, else
      // with the prefix made first.
      first ??= i === parts.length ? path.shown : path.shown.startsWith('/') ? shownOf(sub) : sub;
    }
    return first;
  }

  /**
   * readdir; `recursive` descends breadth first into directories, and with `followLinks` into
   * symbolic links that resolve to one too (Node's `internalModuleStat`, which follows links:
   * a dangling or looping link, ELOOP past 40 links, is not descended into).
   */
  *readdir(path: FsPath, withTypes: boolean, recursive: boolean, followLinks = false): Op<ReaddirEntry[]> {
    Operations.noEmpty(path, 'scandir');
    yield* this.slash(path, 'scandir');
    const out: ReaddirEntry[] = [];
    // Breadth first, as Node's recursive readdir. Bounded by the directories on the disk.
    const queue: { io: string; relative: string }[] = [{ io: path.io, relative: '' }];
    for (let q = 0; q < queue.length; q++) {
      const dir = queue[q] as { io: string; relative: string };
      const names = yield* call<string[]>('readdir', [dir.io], 'scandir', q === 0 ? path.shown : shownOf(dir.io));
      const parentPath = q === 0 ? path.shown : `${path.shown.replace(/\/+$/, '')}/${dir.relative}`;
      for (const name of names) {
        const relative = dir.relative === '' ? name : `${dir.relative}/${name}`;
        let stat: InodeStat | undefined;
        if (withTypes || recursive) stat = yield* call<InodeStat>('statFull', [childOf(dir.io, name), { follow: false }], 'lstat', shownOf(childOf(dir.io, name)));
        out.push({ name: recursive && !withTypes ? relative : name, stat, parentPath });
        if (!recursive) continue;
        let descend = stat?.isDirectory === true;
        if (!descend && followLinks && stat?.isSymbolicLink === true) {
          try {
            descend = (yield* call<InodeStat>('statFull', [childOf(dir.io, name), { follow: true }], 'stat', shownOf(childOf(dir.io, name)))).isDirectory;
          } catch (err) {
            if (!isSystemError(err)) throw err;
          }
        }
        if (descend) queue.push({ io: childOf(dir.io, name), relative });
      }
    }
    return out;
  }

  *link(existing: FsPath, created: FsPath): Op<void> {
    if (existing.io === '' || created.io === '') throw systemError('ENOENT', 'link', existing.shown, created.shown);
    if (dotPrefixOf(created) !== undefined && !existing.mustBeDir) {
      // The source resolves first (a link in it is not followed), then `dir/.` exists: EEXIST.
      yield* call<InodeStat>('statFull', [existing.io, { follow: false }], 'link', existing.shown, created.shown);
      yield* this.dotLast(created, 'link', existing.shown, created.shown);
      throw systemError('EEXIST', 'link', existing.shown, created.shown);
    }
    if (existing.mustBeDir) {
      // The slash resolves the source to a directory (or fails); then the new name must not exist
      // (EEXIST) and a directory cannot be linked (EPERM).
      if ((yield* this.slash(existing, 'link', created)) === undefined) throw systemError('ENOENT', 'link', existing.shown, created.shown);
      yield* this.parentDir(created, 'link', existing.shown, created.shown);
      const there = yield* this.tryStat(created.io, false, 'link', existing.shown, created.shown);
      throw systemError(there !== undefined ? 'EEXIST' : created.mustBeDir ? 'ENOENT' : 'EPERM', 'link', existing.shown, created.shown);
    }
    if (created.mustBeDir) {
      const st = yield* this.tryStat(existing.io, false, 'link', existing.shown, created.shown);
      if (st === undefined) throw systemError('ENOENT', 'link', existing.shown, created.shown);
      yield* this.parentDir(created, 'link', existing.shown, created.shown);
      const there = yield* this.tryStat(created.io, false, 'link', existing.shown, created.shown);
      throw systemError(there === undefined ? 'ENOENT' : 'EEXIST', 'link', existing.shown, created.shown);
    }
    yield* call<void>('link', [existing.io, created.io], 'link', existing.shown, created.shown);
  }

  *symlink(target: string, path: FsPath): Op<void> {
    Operations.noEmpty(path, 'symlink');
    if ((yield* this.dotLast(path, 'symlink', target, path.shown)) !== undefined) throw systemError('EEXIST', 'symlink', target, path.shown);
    if (path.mustBeDir) {
      // A new name with a trailing slash: what exists is EEXIST, what does not cannot be a link.
      const existing = yield* this.tryStat(path.io, false, 'symlink', target, path.shown);
      throw systemError(existing === undefined ? 'ENOENT' : 'EEXIST', 'symlink', target, path.shown);
    }
    yield* call<void>('symlink', [target, path.io], 'symlink', target, path.shown);
  }

  *readlink(path: FsPath): Op<string> {
    Operations.noEmpty(path, 'readlink');
    if (path.mustBeDir) {
      // The slash follows the link: what is left is a directory (EINVAL) or nothing (ENOENT).
      throw systemError((yield* this.slash(path, 'readlink')) === undefined ? 'ENOENT' : 'EINVAL', 'readlink', path.shown);
    }
    return yield* call<string>('readlink', [path.io], 'readlink', path.shown);
  }

  /**
   * The canonical absolute path (every symbolic link resolved, `.` and `..` gone) of the
   * lexically resolved path, as Node's JavaScript realpath walks it; `native`:
   * realpath(3) (uv_fs_realpath), for which a trailing `/`, `/.` or `/..` must name a directory
   * (ENOENT, ENOTDIR) and every error names the `realpath` syscall.
   */
  *realpath(path: FsPath, native = false): Op<string> {
    if (!native) return yield* this.realpathWalk(path);
    try {
      Operations.noEmpty(path, 'realpath');
      yield* this.dotLast(path, 'realpath');
      const resolved = yield* this.realpathWalk(path);
      if (path.mustBeDir && !(yield* call<InodeStat>('statFull', [ioPathOf(resolved)], 'realpath', path.shown)).isDirectory) {
        throw systemError('ENOTDIR', 'realpath', path.shown);
      }
      return resolved;
    } catch (err) {
      if (isSystemError(err)) throw systemError(err.code, 'realpath', path.shown);
      throw err;
    }
  }

  private *realpathWalk(path: FsPath): Op<string> {
    Operations.noEmpty(path, 'lstat');
    let pending = path.io === '.' ? [] : path.io.split('/');
    let resolved: string[] = [];
    let followed = 0;
    while (pending.length > 0) {
      const part = pending.shift() as string;
      if (part === '' || part === '.') continue;
      if (part === '..') { resolved.pop(); continue; }
      const candidate = [...resolved, part].join('/');
      const st = yield* call<InodeStat>('statFull', [candidate, { follow: false }], 'lstat', shownOf(candidate));
      if (!st.isSymbolicLink) {
        resolved.push(part);
        continue;
      }
      if (++followed > SYMLINKS_MAX) throw systemError('ELOOP', 'realpath', path.shown);
      const target = yield* call<string>('readlink', [candidate], 'readlink', shownOf(candidate));
      if (target.startsWith('/')) resolved = [];
      pending = [...target.split('/'), ...pending];
    }
    if (resolved.length > 0) {
      // The last component must exist (realpath(3) fails on a missing file).
      yield* call<InodeStat>('statFull', [resolved.join('/')], 'lstat', shownOf(resolved.join('/')));
    }
    return shownOf(resolved.length === 0 ? '.' : resolved.join('/'));
  }

  // ---- whole files ------------------------------------------------------------------------------

  *readFile(io: SyncCapableIo, target: FsPath | number, flags: number): Op<Buffer> {
    if (typeof target === 'number') return yield* this.readAll(io, target);
    const fd = yield* this.open(io, target, flags, 0o666);
    try {
      return yield* this.readAll(io, fd);
    } finally {
      yield* this.close(io, fd);
    }
  }

  *writeFile(io: SyncCapableIo, target: FsPath | number, data: Uint8Array, flags: number, mode: number, flush: boolean): Op<void> {
    if (typeof target === 'number') {
      yield* this.writeAll(io, target, data, -1);
      if (flush) yield* this.fsync(io, target, false);
      return;
    }
    const fd = yield* this.open(io, target, flags, mode);
    try {
      yield* this.writeAll(io, fd, data, -1);
      if (flush) yield* this.fsync(io, fd, false);
    } finally {
      yield* this.close(io, fd);
    }
  }

  /** `lengthBytes` is asked for once the file is open (Node checks the length only then). */
  *truncate(io: SyncCapableIo, path: FsPath, lengthBytes: () => number): Op<void> {
    const fd = yield* this.open(io, path, O_WRONLY, 0o666);
    try {
      yield* this.ftruncate(io, fd, lengthBytes());
    } finally {
      yield* this.close(io, fd);
    }
  }

  /** copyfile(2)-like: errors name `copyfile` with both paths, as Node's do. */
  *copyFile(io: SyncCapableIo, src: FsPath, dst: FsPath, mode: number): Op<void> {
    try {
      yield* this.copyFileSteps(io, src, dst, mode);
    } catch (err) {
      const code = codeOf(err);
      if (typeof (err as { errno?: unknown }).errno === 'number' && code !== undefined) throw systemError(code, 'copyfile', src.shown, dst.shown);
      throw err;
    }
  }

  private *copyFileSteps(io: SyncCapableIo, src: FsPath, dst: FsPath, mode: number): Op<void> {
    const from = yield* this.open(io, src, 0, 0);
    try {
      const st = yield* this.fstat(io, from);
      // As libuv: open without O_TRUNC, stop if it is the source itself, then truncate and give it
      // the source's permission bits; on any failure after that the destination is removed.
      const exclusive = (mode & COPYFILE_EXCL) !== 0;
      const to = yield* this.open(io, dst, O_WRONLY | O_CREAT | (exclusive ? O_EXCL : 0), st.mode & 0o7777 | UMASK);
      let failure: unknown;
      try {
        const same = !exclusive && (yield* this.fstat(io, to)).ino === st.ino;
        if (!same) {
          if (!exclusive) yield* this.ftruncate(io, to, 0);
          yield* this.fsetattr(io, to, { mode: st.mode & 0o7777 }, 'fchmod');
          const buffer = Buffer.allocUnsafe(Math.min(CHUNK_BYTES_MAX, Math.max(st.sizeBytes, 1)));
          for (;;) {
            const count = yield* this.read(io, from, buffer, -1);
            if (count === 0) break;
            yield* this.writeAll(io, to, buffer.subarray(0, count), -1);
          }
        }
      } catch (err) {
        failure = err;
      }
      yield* this.close(io, to);
      if (failure !== undefined) {
        try {
          yield* call<void>('unlink', [dst.io], 'unlink', dst.shown);
        } catch { /* as libuv: the copy's own error is the one reported */ }
        throw failure;
      }
    } finally {
      yield* this.close(io, from);
    }
  }

  /** A new directory named `prefix` + six characters drawn from the seeded stream. */
  *mkdtemp(prefix: string): Op<string> {
    for (let attempt = 0; attempt < MKDTEMP_TRIES_MAX; attempt++) {
      let suffix = '';
      for (let i = 0; i < 6; i++) suffix += NAME_CHARS[Math.floor(this.random() * NAME_CHARS.length)];
      const shown = `${prefix}${suffix}`;
      try {
        yield* call<void>('mkdir', [ioPathOf(shown)], 'mkdtemp', `${prefix}XXXXXX`);
        return shown;
      } catch (err) {
        if (codeOf(err) !== 'EEXIST') throw err;
      }
    }
    throw systemError('EEXIST', 'mkdtemp', `${prefix}XXXXXX`);
  }

  /**
   * rm after its option checks. First Node's lstat (with `force`, a missing path is nothing to
   * remove): the asynchronous forms always make it, rmSync unless `force` and `recursive` both.
   * A directory without `recursive` is ERR_FS_EISDIR. Then the removal `how` says.
   */
  *rm(path: FsPath, recursive: boolean, force: boolean, how: RmHow): Op<void> {
    const sync = how !== 'rimraf-async';
    // With `force`, Node's lstat of '' (ENOENT) is "nothing to remove".
    if (path.io === '' && force) return;
    Operations.noEmpty(path, 'lstat');
    if (!sync || !force || !recursive) {
      let st: InodeStat | undefined;
      try {
        yield* this.dotLast(path, 'lstat');
        yield* this.slash(path, 'lstat');
        st = yield* call<InodeStat>('statFull', [path.io, { follow: path.mustBeDir }], 'lstat', path.shown);
      } catch (err) {
        if (!(force && codeOf(err) === 'ENOENT')) throw err;
      }
      if (st?.isDirectory === true && !recursive) throw fsEisdir(path.shown);
    }
    if (how === 'native') return yield* this.removeNative(path, recursive);
    // The root (EBUSY) and `dir/.` (EINVAL) are refused by rimraf's own rmdir.
    yield* this.rimraf(path, !sync);
  }

  /**
   * rmdir with a truthy `recursive` (deprecated, gone in Node 26): what is not a directory gets a
   * plain rmdir (ENOTDIR...), a directory is removed with its contents `how` says, unless
   * `recursive` was only inherited (Node's checks read own keys: ERR_FS_EISDIR). The sync and
   * callback forms lstat first; `promises.rmdir` stats (following a link).
   */
  *rmdirRecursive(path: FsPath, recursive: boolean, follow: boolean, how: RmHow): Op<void> {
    const syscall = follow ? 'stat' : 'lstat';
    Operations.noEmpty(path, syscall);
    yield* this.slash(path, syscall);
    const st = yield* call<InodeStat>('statFull', [path.io, { follow: follow || path.mustBeDir }], syscall, path.shown);
    if (!st.isDirectory) return yield* this.rmdir(path);
    if (!recursive) throw fsEisdir(path.shown);
    if (how === 'native') return yield* this.removeNative(path, true);
    yield* this.rimraf(path, how === 'rimraf-async');
  }

  /**
   * Node's JavaScript rimraf (lib/internal/fs/rimraf.js): unlink what is not a directory, empty
   * and remove what is. `lenient`: the asynchronous rimraf, whose rmdir of a path its lstat found
   * to be a directory answers ENOTDIR (a link to one, written with a trailing slash) with success
   * where the synchronous one (Node 20 and 22's rmSync) throws it.
   */
  private *rimraf(path: FsPath, lenient: boolean): Op<void> {
    let st: InodeStat | undefined;
    try {
      yield* this.dotLast(path, 'lstat');
      st = yield* call<InodeStat>('statFull', [path.io, { follow: path.mustBeDir }], 'lstat', path.shown);
    } catch (err) {
      if (codeOf(err) === 'ENOENT') return;
      // Other lstat errors are left to the unlink below to report, as Node's rimraf does.
    }
    try {
      if (st?.isDirectory === true) yield* this.rmdirTree(path, undefined, lenient);
      else yield* this.unlink(path);
    } catch (err) {
      const code = codeOf(err);
      if (code === 'ENOENT') return;
      if (code !== 'EISDIR' && code !== 'EPERM') throw err;
      yield* this.rmdirTree(path, err, lenient);
    }
  }

  /**
   * Node 24's rmSync once its JavaScript checks passed (`binding.rmSync` in src/node_file.cc,
   * over libstdc++'s std::filesystem, as an strace of the official binaries shows):
   * - `symlink_status`: a path that does not resolve (ENOENT, ENOTDIR) is nothing to remove;
   * - `remove_all` (recursive) opens the path as a directory without following a last link (a
   *   trailing slash or `/.` still reaches the directory behind it): every entry that is a
   *   directory is emptied and removed, anything else unlinked; a path that is gone (ENOENT) is
   *   done, one that is no directory (ENOTDIR, ELOOP) is removed as a file;
   * - `remove`: unlink, then rmdir if that says EISDIR; ENOENT is done.
   * The first error stops it, and keeps its code only for EPERM, ENOTEMPTY, ENOTDIR and EACCES
   * ({@link rmSyncError}). The binding retries EBUSY, EMFILE, ENFILE, ENOTEMPTY and EPERM
   * `maxRetries` times: nothing on a simulated disk changes between tries, so it does not.
   */
  private *removeNative(path: FsPath, recursive: boolean): Op<void> {
    try {
      try {
        yield* this.dotLast(path, 'rm');
        yield* this.slash(path, 'rm');
        yield* call<InodeStat>('statFull', [path.io, { follow: path.mustBeDir }], 'rm', path.shown);
      } catch (err) {
        const code = codeOf(err);
        if (code === 'ENOENT' || code === 'ENOTDIR') return;
        if (!isSystemError(err)) throw err;
      }
      if (recursive) yield* this.removeAll(path);
      else yield* this.removeOne(path);
    } catch (err) {
      if (isSystemError(err)) throw rmSyncError(err.code, path.shown);
      throw err;
    }
  }

  /** libstdc++'s `remove_all` (see {@link removeNative}). */
  private *removeAll(path: FsPath): Op<void> {
    let st: InodeStat;
    try {
      yield* this.dotLast(path, 'rm');
      yield* this.slash(path, 'rm');
      st = yield* call<InodeStat>('statFull', [path.io, { follow: path.mustBeDir || dotPrefixOf(path) !== undefined }], 'rm', path.shown);
    } catch (err) {
      const code = codeOf(err);
      if (code === 'ENOENT') return;
      if (code !== 'ENOTDIR' && code !== 'ELOOP') throw err;
      return yield* this.removeOne(path);
    }
    if (st.isDirectory) yield* this.emptyTree(path.io, path.shown.replace(/\/+$/, ''));
    yield* this.removeOne(path);
  }

  /** Removes what the directory `io` holds, depth first, without following links. */
  private *emptyTree(io: string, shown: string): Op<void> {
    const names = yield* call<string[]>('readdir', [io], 'rm', shown);
    for (const name of names) {
      const child = childOf(io, name);
      const childShown = `${shown}/${name}`;
      const st = yield* call<InodeStat>('statFull', [child, { follow: false }], 'rm', childShown);
      if (st.isDirectory) {
        yield* this.emptyTree(child, childShown);
        yield* call<void>('rmdir', [child], 'rm', childShown);
      } else {
        yield* call<void>('unlink', [child], 'rm', childShown);
      }
    }
  }

  /** libstdc++'s `remove`: unlink, or rmdir when that says EISDIR; ENOENT is done. */
  private *removeOne(path: FsPath): Op<void> {
    try {
      yield* this.unlink(path);
    } catch (err) {
      const code = codeOf(err);
      if (code === 'ENOENT') return;
      if (code !== 'EISDIR') throw err;
      try {
        yield* this.rmdir(path);
      } catch (again) {
        if (codeOf(again) !== 'ENOENT') throw again;
      }
    }
  }

  private *rmdirTree(path: FsPath, original: unknown, lenient: boolean): Op<void> {
    try {
      yield* this.rmdir(path);
      return;
    } catch (err) {
      const code = codeOf(err);
      if (code === 'ENOENT') return;
      if (code === 'ENOTDIR') {
        if (original === undefined && lenient) return;
        throw original ?? err;
      }
      if (code !== 'ENOTEMPTY' && code !== 'EEXIST' && code !== 'EPERM') throw err;
    }
    const names = yield* call<string[]>('readdir', [path.io], 'scandir', path.shown);
    const base = path.shown.replace(/\/+$/, '');
    for (const name of names) yield* this.rimraf({ shown: `${base}/${name}`, io: childOf(path.io, name), mustBeDir: false }, lenient);
    try {
      yield* this.rmdir(path);
    } catch (err) {
      // As Node's rimraf: gone already is done (`dir/..` once `dir` went with the rest).
      if (codeOf(err) !== 'ENOENT') throw err;
    }
  }
}
