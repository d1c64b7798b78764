/**
 * `createNodeFs(host)`: an object with the shape of `node:fs` (callback API, `*Sync` API,
 * `promises` with FileHandle, `constants`, `Stats`, `Dirent`, streams) whose every call reaches
 * the host's disk: on a simulated node, its simulated disk, with its latency, faults, crash model
 * and trace. Asynchronous calls go through the Io's promises (simulated time passes); `*Sync`
 * calls through its synchronous twin (no time passes). A `node:fs` member not offered here throws
 * `ERR_UNSUPPORTED` naming it: nothing ever falls through to the real disk.
 *
 * Paths: absolute paths name places from the disk's root `/`; relative paths resolve against `/`
 * (the simulated process's working directory). `..` is resolved lexically first, as
 * `path.resolve` does.
 */
import * as realFs from 'node:fs';
import realFsObject from 'node:fs';
import { promisify } from 'node:util';
import type { FsHost, InodeStat, SyncCapableIo } from '../interfaces/namespace-io.js';
import {
  checkBoolean, checkCallback, checkFd, checkFlags, checkId, checkInteger, checkMode, checkOptions, checkPath, checkRmdirOptions, checkRmOptions,
  checkTime, type FsPath,
} from './args.js';
import { FsContext, type Callback } from './context.js';
import { LINE } from './node-line.js';
import { Dir } from './dir.js';
import { invalidArgType, invalidArgValue, invalidSymlinkType, notOneOf, systemError, unsupported } from './errors.js';
import { FileHandle, type StreamFactory } from './file-handle.js';
import type { Op, ReaddirEntry, RmHow } from './operations.js';
import { buffersArg, checkWriteFileView, dataArg, loosePosition, readCallbackArgs, readSyncArgs, writeArgs } from './rw-args.js';
import { statsFor, toDirent } from './stats.js';
import { intrinsicByteLength } from '../interfaces/validate.js';

// Captured when this module loads: a later patch of `node:fs` (interception) cannot redirect them.
const { constants, createReadStream: realCreateReadStream, createWriteStream: realCreateWriteStream } = realFs;
const realKeys = Object.keys(realFs);
/**
 * `fs.F_OK`..`X_OK` as the running Node defines them: values on Node 20 and 22, deprecated
 * (DEP0176) non-enumerable getters on Node 24, gone on Node 26 (`fs.constants` has them).
 */
const accessDescriptors = (['F_OK', 'R_OK', 'W_OK', 'X_OK'] as const).flatMap((key) => {
  const real = Object.getOwnPropertyDescriptor(realFsObject, key);
  return real === undefined ? [] : [[key, { ...real, configurable: true }] as const];
});
const realPromiseKeys = Object.keys(realFs.promises);

/** The `node:fs` shape `createNodeFs` returns. */
export type NodeFs = typeof realFs;

type AnyFn = (...args: unknown[]) => unknown;

/** A tuple with its element types kept (for the argument parsers of `define`). */
function tuple<T extends unknown[]>(...items: T): T {
  return items;
}

function lastCallback(args: unknown[]): Callback {
  return checkCallback(args[args.length - 1]);
}

/** Node's `readdir`/`readlink`/`realpath` encodings: strings, or Buffers for `'buffer'`. */
function encodeName(name: string, encoding: unknown): string | Buffer {
  if (encoding === 'buffer') return Buffer.from(name, 'utf8');
  if (typeof encoding === 'string' && encoding !== '' && encoding !== 'utf8' && encoding !== 'utf-8') return Buffer.from(name, 'utf8').toString(encoding as BufferEncoding);
  return name;
}

function readdirResult(entries: ReaddirEntry[], withFileTypes: boolean, encoding: unknown): unknown[] {
  if (withFileTypes) return entries.map((e) => toDirent(encodeName(e.name, encoding), e.stat as InodeStat, e.parentPath));
  return entries.map((e) => encodeName(e.name, encoding));
}

/** As Node's readFile: a falsy encoding gives the Buffer; `'buffer'` is ERR_UNKNOWN_ENCODING. */
function decode(data: Buffer, encoding: unknown): Buffer | string {
  return encoding ? data.toString(encoding as BufferEncoding) : data;
}

/** `op`, decoded inside the operation: a decoding error is the call's error (callbacks too). */
function* decoded(op: Op<Buffer>, encoding: unknown): Op<Buffer | string> {
  return decode(yield* op, encoding);
}

/** A path, an fd or (promises API) a FileHandle of this facade (readFile, writeFile, appendFile). */
function pathOrFd(value: unknown): FsPath | number {
  if (typeof value === 'number' && Number.isInteger(value) && value >= 0 && value <= 0xffff_ffff) return value;
  if (value instanceof FileHandle) return value.fd < 0 ? 0x7fff_ffff : value.fd;
  return checkPath(value, 'path');
}

function statOptions(value: unknown): { bigint: boolean; throwIfNoEntry: boolean } {
  const o = (typeof value === 'object' && value !== null ? value : {}) as { bigint?: unknown; throwIfNoEntry?: unknown };
  return { bigint: o.bigint === true, throwIfNoEntry: o.throwIfNoEntry !== false };
}

function mkdirOptions(value: unknown): { recursive: boolean; mode: number } {
  if (typeof value === 'number' || typeof value === 'string') return { recursive: false, mode: checkMode(value, 0o777) };
  const o = (typeof value === 'object' && value !== null ? value : {}) as { recursive?: unknown; mode?: unknown };
  if (o.recursive !== undefined && typeof o.recursive !== 'boolean') throw invalidArgType('options.recursive', 'of type boolean', o.recursive);
  return { recursive: o.recursive === true, mode: checkMode(o.mode, 0o777) };
}

/** Builds a `node:fs`-shaped object over `host` (see the module comment). */
export function createNodeFs(host: FsHost): NodeFs {
  const ctx = new FsContext(host);
  const ops = ctx.ops;
  const sync = <T>(make: (io: SyncCapableIo) => Op<T>): T => ctx.sync(make);
  const promise = <T>(make: (io: SyncCapableIo) => Op<T>): Promise<T> => ctx.promise(make);
  const none = (): unknown[] => [];
  const fs: Record<string, unknown> = {};
  const promises: Record<string, unknown> = {};

  // ---- open / close ---------------------------------------------------------------------------

  // open: openSync checks path, flags, mode and fs.open path, mode, flags, callback; from Node 26
  // both check the path after the flags and the mode. promises.open: path, flags, mode.
  function openArgs(path: unknown, flags: unknown, mode: unknown): [FsPath, number, number] {
    return [checkPath(path), checkFlags(flags, 'r'), checkMode(mode, 0o666)];
  }
  fs['open'] = (...args: unknown[]): void => {
    let [path, flags, mode, callback] = args;
    const first = LINE.openFlagsBeforePath ? undefined : checkPath(path);
    let m = 0o666;
    if (args.length < 3) [callback, flags] = [flags, undefined];
    else if (typeof mode === 'function') callback = mode;
    else m = checkMode(mode, 0o666);
    const f = checkFlags(flags, 'r');
    const p = first ?? checkPath(path);
    const cb = checkCallback(callback);
    ctx.callback(cb, (io) => ops.open(io, p, f, m));
  };
  fs['openSync'] = (path: unknown, flags?: unknown, mode?: unknown): number => {
    let p: FsPath, f: number, m: number;
    if (LINE.openFlagsBeforePath) {
      f = checkFlags(flags, 'r');
      m = checkMode(mode, 0o666);
      p = checkPath(path);
    } else [p, f, m] = openArgs(path, flags, mode);
    return sync((io) => ops.open(io, p, f, m));
  };
  // Node's fd calls other than read/write (and, from Node 22, those too) leave the fd to the
  // binding: the callback and the other arguments are checked first.
  fs['close'] = (fd: unknown, cb?: unknown): void => {
    const callback = cb === undefined ? (): void => undefined : checkCallback(cb);
    const n = checkFd(fd);
    ctx.callback(callback, (io) => ops.close(io, n), none);
  };
  fs['closeSync'] = (fd: unknown): void => {
    const n = checkFd(fd);
    sync((io) => ops.close(io, n));
  };

  // ---- read / write -----------------------------------------------------------------------------

  fs['read'] = (fd: unknown, ...rest: unknown[]): void => {
    const n = checkFd(fd);
    // Node tells the shapes apart by the number of arguments.
    const { parsed, callback } = readCallbackArgs(rest);
    const cb = callback as Callback;
    const { target, buffer, position } = parsed;
    if (intrinsicByteLength(target) === 0) {
      process.nextTick(() => cb(null, 0, buffer));
      return;
    }
    ops.readLater(host.io, n, target, position).then((count) => cb(null, count, buffer), (err: unknown) => cb(err))
      .catch((err: unknown) => { process.nextTick(() => { throw err; }); });
  };
  // The sync read/write calls check the fd first on Node 20 and leave it to the binding, after
  // the other arguments (and not at all when nothing is read), from Node 22.
  const fdFirst = (fd: unknown): number | undefined => (LINE.syncFdCheckedLast ? undefined : checkFd(fd));
  fs['readSync'] = (fd: unknown, ...rest: unknown[]): number => {
    const first = fdFirst(fd);
    const { target, position: at } = readSyncArgs(rest.length + 1, rest[0], rest[1], rest[2], rest[3]);
    if (intrinsicByteLength(target) === 0) return 0;
    return ops.readNow(host.io, first ?? checkFd(fd), target, at);
  };
  fs['write'] = (fd: unknown, buffer: unknown, ...rest: unknown[]): void => {
    const n = checkFd(fd);
    const cb = lastCallback(rest);
    const args = rest.slice(0, -1);
    const { data, position } = writeArgs(buffer, args[0], args[1], args[2], true);
    ops.writeLater(host.io, n, data, position).then((count) => cb(null, count, buffer), (err: unknown) => cb(err))
      .catch((err: unknown) => { process.nextTick(() => { throw err; }); });
  };
  fs['writeSync'] = (fd: unknown, buffer: unknown, offsetOrOptions?: unknown, length?: unknown, position?: unknown): number => {
    const first = fdFirst(fd);
    const { data, position: at } = writeArgs(buffer, offsetOrOptions, length, position);
    return ops.writeNow(host.io, first ?? checkFd(fd), data, at);
  };
  // readv/writev: Node hands any position to its binding (a safe integer or -1). An empty list is
  // libuv's EINVAL for readv (before the fd is looked at) and 0 for writev (nothing is called).
  fs['readv'] = (fd: unknown, buffers: unknown, ...rest: unknown[]): void => {
    const n = checkFd(fd);
    const list = buffersArg(buffers);
    const cb = lastCallback(rest);
    const at = loosePosition(rest.length > 1 ? rest[0] : undefined);
    if (list.length === 0) {
      process.nextTick(() => cb(systemError('EINVAL', 'read'), 0, buffers));
      return;
    }
    ctx.callback(cb, (io) => ops.readv(io, n, list, at), (count) => [count, buffers]);
  };
  fs['readvSync'] = (fd: unknown, buffers: unknown, position?: unknown): number => {
    const first = fdFirst(fd);
    const list = buffersArg(buffers);
    const n = first ?? checkFd(fd);
    if (list.length === 0) throw systemError('EINVAL', 'read');
    return sync((io) => ops.readv(io, n, list, loosePosition(position)));
  };
  fs['writev'] = (fd: unknown, buffers: unknown, ...rest: unknown[]): void => {
    const n = checkFd(fd);
    const list = buffersArg(buffers);
    const cb = lastCallback(rest);
    const at = loosePosition(rest.length > 1 ? rest[0] : undefined);
    if (list.length === 0) {
      process.nextTick(() => cb(null, 0, buffers));
      return;
    }
    ctx.callback(cb, (io) => ops.writev(io, n, list, at), (count) => [count, buffers]);
  };
  fs['writevSync'] = (fd: unknown, buffers: unknown, position?: unknown): number => {
    const first = fdFirst(fd);
    const list = buffersArg(buffers);
    if (list.length === 0) return 0;
    const n = first ?? checkFd(fd);
    return sync((io) => ops.writev(io, n, list, loosePosition(position)));
  };

  // ---- fd calls -----------------------------------------------------------------------------------

  for (const [name, dataOnly] of [['fsync', false], ['fdatasync', true]] as const) {
    fs[name] = (fd: unknown, cb: unknown): void => {
      const callback = checkCallback(cb);
      const n = checkFd(fd);
      ctx.callback(callback, (io) => ops.fsync(io, n, dataOnly), none);
    };
    fs[`${name}Sync`] = (fd: unknown): void => {
      const n = checkFd(fd);
      sync((io) => ops.fsync(io, n, dataOnly));
    };
  }
  // Node's `validateInteger(len, 'len')` then `MathMax(0, len)`: only `undefined` means 0 (`null`,
  // strings, bigints are refused). Node checks len first, then the callback, then the fd.
  const lengthArg = (len: unknown): number => (len === undefined ? 0 : Math.max(0, checkInteger(len, 'len')));
  fs['ftruncate'] = (fd: unknown, len?: unknown, cb?: unknown): void => {
    if (typeof len === 'function') [cb, len] = [len, undefined];
    const l = lengthArg(len);
    const callback = checkCallback(cb);
    const n = checkFd(fd);
    ctx.callback(callback, (io) => ops.ftruncate(io, n, l), none);
  };
  fs['ftruncateSync'] = (fd: unknown, len?: unknown): void => {
    const l = lengthArg(len);
    const n = checkFd(fd);
    sync((io) => ops.ftruncate(io, n, l));
  };
  fs['fstat'] = (fd: unknown, ...rest: unknown[]): void => {
    const cb = lastCallback(rest);
    const o = statOptions(rest.length > 1 ? rest[0] : undefined);
    const n = checkFd(fd);
    ctx.callback(cb, (io) => ops.fstat(io, n), (st) => [statsFor(st, o.bigint)]);
  };
  fs['fstatSync'] = (fd: unknown, options?: unknown): unknown => {
    const n = checkFd(fd);
    return statsFor(sync((io) => ops.fstat(io, n)), statOptions(options).bigint);
  };
  fs['fchmod'] = (fd: unknown, mode: unknown, cb: unknown): void => {
    const bits = checkMode(mode, 0) & 0o7777;
    const callback = checkCallback(cb);
    const n = checkFd(fd);
    ctx.callback(callback, (io) => ops.fsetattr(io, n, { mode: bits }, 'fchmod'), none);
  };
  fs['fchmodSync'] = (fd: unknown, mode: unknown): void => {
    const bits = checkMode(mode, 0) & 0o7777;
    const n = checkFd(fd);
    sync((io) => ops.fsetattr(io, n, { mode: bits }, 'fchmod'));
  };
  fs['fchown'] = (fd: unknown, uid: unknown, gid: unknown, cb: unknown): void => {
    const change = { uid: checkId(uid, 'uid'), gid: checkId(gid, 'gid') };
    const callback = checkCallback(cb);
    const n = checkFd(fd);
    ctx.callback(callback, (io) => ops.fsetattr(io, n, change, 'fchown'), none);
  };
  fs['fchownSync'] = (fd: unknown, uid: unknown, gid: unknown): void => {
    const change = { uid: checkId(uid, 'uid'), gid: checkId(gid, 'gid') };
    const n = checkFd(fd);
    sync((io) => ops.fsetattr(io, n, change, 'fchown'));
  };
  fs['futimes'] = (fd: unknown, atime: unknown, mtime: unknown, cb: unknown): void => {
    const a = checkTime(atime, 'atime');
    const m = checkTime(mtime, 'mtime');
    const callback = checkCallback(cb);
    const n = checkFd(fd);
    ctx.callback(callback, (io) => ops.fsetattr(io, n, { atimeMs: a ?? io.clock.now(), mtimeMs: m ?? io.clock.now() }, 'futime'), none);
  };
  fs['futimesSync'] = (fd: unknown, atime: unknown, mtime: unknown): void => {
    const a = checkTime(atime, 'atime');
    const m = checkTime(mtime, 'mtime');
    const n = checkFd(fd);
    sync((io) => ops.fsetattr(io, n, { atimeMs: a ?? io.clock.now(), mtimeMs: m ?? io.clock.now() }, 'futime'));
  };

  // ---- path calls: each defined once for the three forms --------------------------------------------

  /**
   * Defines `fs[name]` (callback), `fs[name + 'Sync']` and `promises[name]` from one argument
   * parser (throws Node's argument errors) and one operation.
   */
  function define<A extends unknown[], T>(
    name: string,
    arity: number,
    parse: (...args: unknown[]) => A,
    make: (io: SyncCapableIo, ...args: NoInfer<A>) => Op<T>,
    resultOf?: (value: NoInfer<T>, ...args: NoInfer<A>) => unknown,
    options: {
      voidCallback?: boolean; promise?: boolean; promiseParse?: (...args: unknown[]) => A;
      /** The operation of the callback and promise forms, where Node's differs from the sync one. */
      asyncMake?: (io: SyncCapableIo, ...args: NoInfer<A>) => Op<T>;
    } = {},
  ): void {
    const result = resultOf ?? ((value: T): unknown => value);
    const asyncMake = options.asyncMake ?? make;
    fs[name] = (...args: unknown[]): void => {
      // Node takes the first function as the callback (optional arguments before it left out),
      // and otherwise checks the argument in the callback's own position.
      let at = args.findIndex((a, i) => i > 0 && typeof a === 'function');
      if (at < 0) at = arity;
      const cb = checkCallback(args[at]);
      const given = args.slice(0, at);
      const parsed = parse(...given);
      ctx.callback(cb, (io) => asyncMake(io, ...parsed), (value) => (options.voidCallback === true ? [] : [result(value, ...parsed)]));
    };
    fs[`${name}Sync`] = (...args: unknown[]): unknown => {
      const parsed = parse(...args.slice(0, arity));
      return result(sync((io) => make(io, ...parsed)), ...parsed);
    };
    if (options.promise !== false) {
      const promiseParse = options.promiseParse ?? parse;
      promises[name] = async (...args: unknown[]): Promise<unknown> => {
        const parsed = promiseParse(...args.slice(0, arity));
        return result(await promise((io) => asyncMake(io, ...parsed)), ...parsed);
      };
    }
  }
  const voidCb = { voidCallback: true };

  // ---- stat and lstat ------------------------------------------------------------------------------

  /** What `throwIfNoEntry: false` answers undefined for: ENOENT, and for stat from Node 22 ENOTDIR. */
  const noEntry = (err: unknown, follow: boolean): boolean => {
    const code = (err as { code?: unknown } | null)?.code;
    return code === 'ENOENT' || (follow && LINE.noEntryIncludesNotDir && code === 'ENOTDIR');
  };
  function* statOrNone(p: FsPath, follow: boolean, none: boolean): Op<InodeStat | undefined> {
    try {
      return yield* ops.stat(p, follow);
    } catch (err) {
      if (none && noEntry(err, follow)) return undefined;
      throw err;
    }
  }
  const statResult = (st: InodeStat | undefined, bigint: boolean): unknown => (st === undefined ? undefined : statsFor(st, bigint));
  for (const [name, follow] of [['stat', true], ['lstat', false]] as const) {
    fs[`${name}Sync`] = (path: unknown, options?: unknown): unknown => {
      const p = checkPath(path);
      const o = statOptions(options);
      return statResult(sync(() => statOrNone(p, follow, !o.throwIfNoEntry)), o.bigint);
    };
    // fs.stat/lstat(path, options?, callback): an options object goes through Node's getOptions
    // first (its encoding checked) from Node 24 for stat and 26 for lstat; stat honours
    // `throwIfNoEntry: false` from Node 24.
    const getsOptions = follow ? LINE.asyncStatNoEntry : LINE.statOptionsObject;
    const honoursNoEntry = follow && LINE.asyncStatNoEntry;
    fs[name] = (path: unknown, ...rest: unknown[]): void => {
      const options = typeof rest[0] === 'function' ? undefined : rest[0];
      if (getsOptions && typeof options === 'object' && options !== null) checkOptions(options, {});
      const cb = checkCallback(typeof rest[0] === 'function' ? rest[0] : rest[1]);
      const p = checkPath(path);
      const o = statOptions(options);
      ctx.callback(cb, () => statOrNone(p, follow, honoursNoEntry && !o.throwIfNoEntry), (st) => [statResult(st, o.bigint)]);
    };
    promises[name] = async (path: unknown, options?: unknown): Promise<unknown> => {
      // Node 26's validateObject(options) (undefined takes the defaults).
      if (LINE.statOptionsObject && options !== undefined && (typeof options !== 'object' || options === null || Array.isArray(options))) {
        throw invalidArgType('options', 'of type object', options);
      }
      const p = checkPath(path);
      const o = statOptions(options);
      return statResult(await promise(() => statOrNone(p, follow, honoursNoEntry && !o.throwIfNoEntry)), o.bigint);
    };
  }
  define('access', 2, (p, m) => tuple(checkPath(p), m === undefined ? constants.F_OK : checkInteger(m, 'mode', 0, 7)),
    (_io, p, m) => ops.access(p, m), () => undefined, voidCb);
  define('rename', 2, (a, b) => tuple(checkPath(a, 'oldPath'), checkPath(b, 'newPath')),
    (_io, a, b) => ops.rename(a, b), () => undefined, voidCb);
  define('unlink', 1, (p) => tuple(checkPath(p)), (_io, p) => ops.unlink(p), () => undefined, voidCb);
  // ---- rmdir and rm: each form removes as its Node line does (RmHow, FsLine) ------------------------

  /** How rmSync and a recursive rmdirSync remove a tree on this line; the other forms use rimraf-async. */
  const syncRemoval: RmHow = LINE.nativeRmSync ? 'native' : 'rimraf-sync';
  /** Node 26: any `options.recursive` but undefined is refused (read as Node does, inherited too). */
  const refuseRecursive = (options: unknown): void => {
    const recursive = (options as { recursive?: unknown } | null | undefined)?.recursive;
    if (recursive !== undefined) throw invalidArgValue('options.recursive', recursive, 'is no longer supported');
  };
  // rmdir (sync and callback, Node 20 to 24): a truthy `options?.recursive` (inherited keys
  // included) takes the recursive path, whose checks see only own keys (`{ ...options, force:
  // false }`): an inherited `recursive` then refuses a directory with ERR_FS_EISDIR.
  const rmdirOp = (path: FsPath, options: unknown, how: RmHow): (() => Op<void>) => {
    if (LINE.rmdirRecursiveRemoved || !(options as { recursive?: unknown } | null | undefined)?.recursive) {
      checkRmdirOptions(options);
      return () => ops.rmdir(path);
    }
    const recursive = checkRmOptions({ ...(options as object), force: false }).recursive;
    return () => ops.rmdirRecursive(path, recursive, false, how);
  };
  fs['rmdirSync'] = (path: unknown, options?: unknown): void => {
    const p = checkPath(path);
    if (LINE.rmdirRecursiveRemoved) refuseRecursive(options);
    sync(rmdirOp(p, options, syncRemoval));
  };
  fs['rmdir'] = (path: unknown, ...rest: unknown[]): void => {
    const options = typeof rest[0] === 'function' ? undefined : rest[0];
    if (LINE.rmdirRecursiveRemoved) refuseRecursive(options);
    const cb = checkCallback(typeof rest[0] === 'function' ? rest[0] : rest[1]);
    const make = rmdirOp(checkPath(path), options, 'rimraf-async');
    ctx.callback(cb, make, none);
  };
  // promises.rmdir checks own keys only, and stats (following a link) before a recursive removal.
  promises['rmdir'] = async (path: unknown, options?: unknown): Promise<void> => {
    const p = checkPath(path);
    if (LINE.rmdirRecursiveRemoved) refuseRecursive(options);
    const o = checkRmdirOptions(options);
    await promise(() => (o.recursive ? ops.rmdirRecursive(p, true, true, 'rimraf-async') : ops.rmdir(p)));
  };
  fs['rmSync'] = (path: unknown, options?: unknown): void => {
    // Node 24's rmSync checks its options before the path.
    const first = LINE.nativeRmSync ? checkRmOptions(options) : undefined;
    const p = checkPath(path);
    const o = first ?? checkRmOptions(options);
    sync(() => ops.rm(p, o.recursive, o.force, syncRemoval));
  };
  fs['rm'] = (path: unknown, ...rest: unknown[]): void => {
    const options = typeof rest[0] === 'function' ? undefined : rest[0];
    const p = checkPath(path);
    const o = checkRmOptions(options);
    // (Node never checks rm's callback; a missing one is refused here, not thrown later.)
    const cb = checkCallback(typeof rest[0] === 'function' ? rest[0] : rest[1]);
    ctx.callback(cb, () => ops.rm(p, o.recursive, o.force, 'rimraf-async'), none);
  };
  promises['rm'] = async (path: unknown, options?: unknown): Promise<void> => {
    const p = checkPath(path);
    const o = checkRmOptions(options);
    await promise(() => ops.rm(p, o.recursive, o.force, 'rimraf-async'));
  };
  // mkdir: from Node 22 the sync and callback forms read the options before the path.
  const mkdirArgs = (p: unknown, o: unknown): [FsPath, { recursive: boolean; mode: number }] => tuple(checkPath(p), mkdirOptions(o));
  define('mkdir', 2, (p, o) => {
    if (!LINE.mkdirOptionsBeforePath) return mkdirArgs(p, o);
    const options = mkdirOptions(o);
    return tuple(checkPath(p), options);
  }, (_io, p, o) => ops.mkdir(p, o.recursive, o.mode), undefined, {
    promiseParse: mkdirArgs, asyncMake: (_io, p, o) => ops.mkdir(p, o.recursive, o.mode, true),
  });
  // readdir: options before the path; `withFileTypes` and `recursive` count when truthy; the sync
  // and callback forms refuse a non-boolean `recursive` (other than null/undefined), promises not.
  // A recursive listing of names descends into links to directories; one of Dirents does from
  // Node 22 (sync, callback) and 26 (promises): FsLine.recursiveDirentsFollowLinks.
  const readdirOptions = (o: unknown): { encoding?: unknown; withFileTypes: unknown; recursive: unknown } =>
    checkOptions(o, { encoding: 'utf8' as BufferEncoding | 'buffer', withFileTypes: false as unknown, recursive: false as unknown });
  define('readdir', 2, (p, o) => {
    const options = readdirOptions(o);
    const path = checkPath(p);
    if (options.recursive !== null && options.recursive !== undefined) checkBoolean(options.recursive, 'options.recursive');
    return tuple(path, options);
  }, (_io, p, o) => ops.readdir(p, Boolean(o.withFileTypes), Boolean(o.recursive), !o.withFileTypes || LINE.recursiveDirentsFollowLinks),
  (entries, _p, o) => readdirResult(entries, Boolean(o.withFileTypes), o.encoding));
  promises['readdir'] = async (path: unknown, options?: unknown): Promise<unknown[]> => {
    const o = readdirOptions(options);
    const p = checkPath(path);
    const follow = !o.withFileTypes || LINE.promisesRecursiveDirentsFollowLinks;
    const entries = await promise(() => ops.readdir(p, Boolean(o.withFileTypes), Boolean(o.recursive), follow));
    return readdirResult(entries, Boolean(o.withFileTypes), o.encoding);
  };
  // readFile/writeFile/appendFile: the flag (and mode) only matter, and are only checked, when a
  // path is opened; writeFile and appendFile take a falsy flag as their default (`flag || 'w'`).
  define('readFile', 2, (p, o) => {
    const options = checkOptions(o, { encoding: null as BufferEncoding | null, flag: 'r' as string | number });
    const target = pathOrFd(p);
    return tuple(target, options, typeof target === 'number' ? 0 : checkFlags(options.flag, 'r'));
  }, (io, p, o, flags) => decoded(ops.readFile(io, p, flags), o.encoding));
  // The options, `flush` a boolean (null and undefined: false), and from Node 26 the mode whatever
  // the target (FsLine.writeFileModeFirst); a path then takes its flag and mode.
  const writeParse = (flag: string) => (p: unknown, d: unknown, o: unknown) => {
    const options = checkOptions(o, { encoding: 'utf8' as BufferEncoding, mode: 0o666 as number | string, flag: flag as string | number, flush: false });
    const flush = checkBoolean(options.flush ?? false, 'options.flush');
    if (LINE.writeFileModeFirst) checkMode(options.mode, 0o666);
    const target = pathOrFd(p);
    const byPath = typeof target !== 'number';
    return tuple(target, dataArg(d, options.encoding), byPath ? checkFlags(options.flag || flag, flag) : 0, byPath ? checkMode(options.mode, 0o666) : 0, flush);
  };
  define('writeFile', 3, writeParse('w'), (io, p, d, f, m, flush) => ops.writeFile(io, p, d, f, m, flush), () => undefined, voidCb);
  define('appendFile', 3, writeParse('a'), (io, p, d, f, m, flush) => ops.writeFile(io, p, d, f, m, flush), () => undefined, voidCb);
  // promises.writeFile/appendFile rebuild a view first, after opening the file: a detached one
  // rejects with the engine's TypeError once the file is open (and truncated, with 'w'). From
  // Node 26 a path without `flush` is written in one request, which sees the detached view as
  // empty: no TypeError (FsLine.promisesWriteFileOneRequest; a detached view has no bytes, so it
  // is always within that request's 512 KiB).
  for (const name of ['writeFile', 'appendFile']) {
    const base = promises[name] as (...args: unknown[]) => Promise<unknown>;
    promises[name] = async (path: unknown, data: unknown, options?: unknown): Promise<unknown> => {
      const result = await base(path, data, options);
      const flush = typeof options === 'object' && options !== null && (options as { flush?: unknown }).flush === true;
      if (!(LINE.promisesWriteFileOneRequest && !(path instanceof FileHandle) && !flush)) checkWriteFileView(data);
      return result;
    };
  }
  // truncate: a number is an fd (Node's deprecated form, gone in Node 24, where a number is a bad
  // path). The callback form checks len before
  // opening; truncateSync and promises.truncate open the file first and check len as ftruncate.
  fs['truncate'] = (path: unknown, len?: unknown, cb?: unknown): void => {
    if (typeof path === 'number' && LINE.truncateTakesFd) return (fs['ftruncate'] as AnyFn)(path, len, cb) as void;
    if (typeof len === 'function') [cb, len] = [len, undefined];
    const l = lengthArg(len);
    const callback = checkCallback(cb);
    const p = checkPath(path);
    ctx.callback(callback, (io) => ops.truncate(io, p, () => l), none);
  };
  fs['truncateSync'] = (path: unknown, len?: unknown): void => {
    if (typeof path === 'number' && LINE.truncateTakesFd) return (fs['ftruncateSync'] as AnyFn)(path, len) as void;
    const p = checkPath(path);
    sync((io) => ops.truncate(io, p, () => lengthArg(len)));
  };
  promises['truncate'] = async (path: unknown, len?: unknown): Promise<void> => {
    const p = checkPath(path);
    await promise((io) => ops.truncate(io, p, () => lengthArg(len)));
  };
  define('copyFile', 3, (a, b, m) => tuple(checkPath(a, 'src'), checkPath(b, 'dest'), m === undefined ? 0 : checkInteger(m, 'mode', 0, 7)),
    (io, a, b, m) => ops.copyFile(io, a, b, m), () => undefined, voidCb);
  define('link', 2, (a, b) => tuple(checkPath(a, 'existingPath'), checkPath(b, 'newPath')),
    (_io, a, b) => ops.link(a, b), () => undefined, voidCb);
  // symlink: Linux ignores the type; Node checks it (FsLine.symlinkTypeOneOf).
  const SYMLINK_TYPES: readonly unknown[] = ['dir', 'file', 'junction', null, undefined];
  define('symlink', 3, (t, p, type) => {
    if (LINE.symlinkTypeOneOf && !SYMLINK_TYPES.includes(type)) throw notOneOf('type', type, SYMLINK_TYPES);
    const parsed = tuple(checkPath(t, 'target').shown, checkPath(p));
    if (typeof type === 'string' && !SYMLINK_TYPES.includes(type)) throw invalidSymlinkType(type);
    return parsed;
  },
    (_io, t, p) => ops.symlink(t, p), () => undefined, voidCb);
  define('readlink', 2, (p, o) => tuple(checkPath(p), checkOptions(o, { encoding: 'utf8' as BufferEncoding | 'buffer' })),
    (_io, p, _o) => ops.readlink(p), (target, _p, o) => encodeName(target, o.encoding));
  define('realpath', 2, (p, o) => tuple(checkPath(p), checkOptions(o, { encoding: 'utf8' as BufferEncoding | 'buffer' })),
    (_io, p, _o) => ops.realpath(p), (resolved, _p, o) => encodeName(resolved, o.encoding));
  define('chmod', 2, (p, m) => tuple(checkPath(p), checkMode(m, 0) & 0o7777),
    (_io, p, m) => ops.setattr(p, { mode: m }, 'chmod'), () => undefined, voidCb);
  define('chown', 3, (p, u, g) => tuple(checkPath(p), checkId(u, 'uid'), checkId(g, 'gid')),
    (_io, p, u, g) => ops.setattr(p, { uid: u, gid: g }, 'chown'), () => undefined, voidCb);
  define('lchown', 3, (p, u, g) => tuple(checkPath(p), checkId(u, 'uid'), checkId(g, 'gid')),
    (_io, p, u, g) => ops.setattr(p, { uid: u, gid: g }, 'lchown', false), () => undefined, voidCb);
  define('lutimes', 3, (p, a, m) => tuple(checkPath(p), checkTime(a, 'atime'), checkTime(m, 'mtime')),
    (io, p, a, m) => ops.setattr(p, { atimeMs: a ?? io.clock.now(), mtimeMs: m ?? io.clock.now() }, 'lutime', false), () => undefined, voidCb);
  define('utimes', 3, (p, a, m) => tuple(checkPath(p), checkTime(a, 'atime'), checkTime(m, 'mtime')),
    (io, p, a, m) => ops.setattr(p, { atimeMs: a ?? io.clock.now(), mtimeMs: m ?? io.clock.now() }, 'utime'), () => undefined, voidCb);
  define('mkdtemp', 2, (p, o) => tuple(checkPath(p, 'prefix').shown, checkOptions(o, { encoding: 'utf8' as BufferEncoding | 'buffer' })),
    (_io, p, _o) => ops.mkdtemp(p), (made, _p, o) => encodeName(made, o.encoding));

  // util.promisify gives these multi-value callbacks their object results, as Node defines them.
  const custom = promisify.custom;
  const withCustom = (name: string, make: (...args: unknown[]) => Promise<unknown>): void => {
    Object.defineProperty(fs[name], custom, { value: make, enumerable: false });
  };
  withCustom('read', (...args) => new Promise((resolve, reject) => (fs['read'] as AnyFn)(...args, (err: unknown, bytesRead: number, buffer: unknown) => (err ? reject(err) : resolve({ bytesRead, buffer })))));
  withCustom('write', (...args) => new Promise((resolve, reject) => (fs['write'] as AnyFn)(...args, (err: unknown, bytesWritten: number, buffer: unknown) => (err ? reject(err) : resolve({ bytesWritten, buffer })))));
  withCustom('readv', (...args) => new Promise((resolve, reject) => (fs['readv'] as AnyFn)(...args, (err: unknown, bytesRead: number, buffers: unknown) => (err ? reject(err) : resolve({ bytesRead, buffers })))));
  withCustom('writev', (...args) => new Promise((resolve, reject) => (fs['writev'] as AnyFn)(...args, (err: unknown, bytesWritten: number, buffers: unknown) => (err ? reject(err) : resolve({ bytesWritten, buffers })))));

  // realpath(3): realpathSync.native, realpath.native and fs.promises.realpath. Unlike Node's
  // JavaScript realpath (realpathSync, fs.realpath), which resolves `path.resolve(p)`, it keeps a
  // trailing `/` or `/.` (the result must be a directory: ENOTDIR).
  const realpathOptions = (o: unknown): { encoding?: unknown } => checkOptions(o, { encoding: 'utf8' as BufferEncoding | 'buffer' });
  (fs['realpathSync'] as unknown as { native: AnyFn }).native = (path: unknown, options?: unknown): unknown => {
    const o = realpathOptions(options);
    const p = checkPath(path);
    return encodeName(sync(() => ops.realpath(p, true)), o.encoding);
  };
  (fs['realpath'] as unknown as { native: AnyFn }).native = (path: unknown, ...rest: unknown[]): void => {
    const cb = lastCallback(rest);
    const o = realpathOptions(rest.length > 1 ? rest[0] : undefined);
    const p = checkPath(path);
    ctx.callback(cb, () => ops.realpath(p, true), (resolved) => [encodeName(resolved, o.encoding)]);
  };
  promises['realpath'] = async (path: unknown, options?: unknown): Promise<unknown> => {
    const o = realpathOptions(options);
    const p = checkPath(path);
    return encodeName(await promise(() => ops.realpath(p, true)), o.encoding);
  };

  // exists: never throws; a bad path is simply "not there".
  fs['existsSync'] = (path: unknown): boolean => {
    let p: FsPath;
    try {
      p = checkPath(path);
    } catch {
      return false;
    }
    return sync(() => ops.exists(p));
  };
  fs['exists'] = (path: unknown, cb: unknown): void => {
    const callback = checkCallback(cb);
    let p: FsPath;
    try {
      p = checkPath(path);
    } catch {
      process.nextTick(() => callback(false));
      return;
    }
    promise(() => ops.exists(p)).then((found) => callback(found), () => callback(false));
  };
  Object.defineProperty(fs['exists'], promisify.custom, {
    value: (path: unknown): Promise<boolean> => new Promise((resolve) => (fs['exists'] as AnyFn)(path, resolve)),
    enumerable: false,
  });

  // ---- opendir ------------------------------------------------------------------------------------

  function* openDir(p: FsPath): Op<Dir> {
    let entries: ReaddirEntry[];
    try {
      entries = yield* ops.readdir(p, false, false);
    } catch (err) {
      // Node's opendir errors name the syscall without the path.
      const code = (err as { code?: string }).code;
      if (typeof (err as { errno?: unknown }).errno === 'number' && code !== undefined) throw systemError(code, 'opendir');
      throw err;
    }
    return new Dir(ctx, p.shown, p.io, entries.map((e) => e.name));
  }
  fs['opendir'] = (path: unknown, ...rest: unknown[]): void => {
    const cb = lastCallback(rest);
    const p = checkPath(path);
    ctx.callback(cb, () => openDir(p));
  };
  fs['opendirSync'] = (path: unknown): Dir => {
    const p = checkPath(path);
    return sync(() => openDir(p));
  };
  promises['opendir'] = async (path: unknown): Promise<Dir> => {
    const p = checkPath(path);
    return promise(() => openDir(p));
  };

  // ---- streams (Node's own classes, driven by this facade through their `fs` option) ----------------

  const streams: StreamFactory = {
    createReadStream(path: unknown, options: unknown): realFs.ReadStream {
      const o = typeof options === 'string' ? { encoding: options } : (options ?? {}) as Record<string, unknown>;
      return realCreateReadStream(path as realFs.PathLike, { ...o, fs } as unknown as BufferEncoding);
    },
    createWriteStream(path: unknown, options: unknown): realFs.WriteStream {
      const o = typeof options === 'string' ? { encoding: options } : (options ?? {}) as Record<string, unknown>;
      return realCreateWriteStream(path as realFs.PathLike, { ...o, fs } as unknown as BufferEncoding);
    },
  };
  fs['createReadStream'] = (path: unknown, options?: unknown): realFs.ReadStream => {
    if (path !== null && path !== undefined) checkPath(path);
    return streams.createReadStream(path, options);
  };
  fs['createWriteStream'] = (path: unknown, options?: unknown): realFs.WriteStream => {
    if (path !== null && path !== undefined) checkPath(path);
    return streams.createWriteStream(path, options);
  };

  // ---- promises: open gives a FileHandle ------------------------------------------------------------

  promises['open'] = async (path: unknown, flags?: unknown, mode?: unknown): Promise<FileHandle> => {
    const [p, f, m] = openArgs(path, flags, mode);
    const fd = await promise((io) => ops.open(io, p, f, m));
    return new FileHandle(ctx, fd, streams);
  };
  promises['constants'] = constants;

  // ---- classes, constants, and everything not offered -------------------------------------------------

  fs['constants'] = constants;
  for (const [key, descriptor] of accessDescriptors) Object.defineProperty(fs, key, descriptor);
  fs['Stats'] = realFs.Stats;
  fs['Dirent'] = realFs.Dirent;
  fs['Dir'] = Dir;
  // The stream classes bound to this facade: `new fs.ReadStream(path)` must not open the real disk.
  type StreamClass = new (path: unknown, options?: unknown) => object;
  const withFs = (options: unknown): Record<string, unknown> => {
    const o = typeof options === 'string' ? { encoding: options } : (options ?? {}) as Record<string, unknown>;
    return o['fs'] === undefined ? { ...o, fs } : o;
  };
  const BoundReadStream = class ReadStream extends (realFs.ReadStream as unknown as StreamClass) {
    constructor(path: unknown, options?: unknown) { super(path, withFs(options)); }
  };
  const BoundWriteStream = class WriteStream extends (realFs.WriteStream as unknown as StreamClass) {
    constructor(path: unknown, options?: unknown) { super(path, withFs(options)); }
  };
  fs['ReadStream'] = BoundReadStream;
  fs['WriteStream'] = BoundWriteStream;
  fs['FileReadStream'] = BoundReadStream;
  fs['FileWriteStream'] = BoundWriteStream;
  fs['promises'] = promises;
  for (const key of realKeys) {
    if (!(key in fs)) fs[key] = (): never => { throw unsupported(key); };
  }
  for (const key of realPromiseKeys) {
    if (!(key in promises)) promises[key] = async (): Promise<never> => { throw unsupported(`promises.${key}`); };
  }
  return fs as unknown as NodeFs;
}
