/**
 * `Stats`, `BigIntStats` and `Dirent` built from an {@link InodeStat}. `Stats` and `Dirent` are
 * Node's own classes (captured when this module loads, so `instanceof fs.Stats` holds and a later
 * patch of `node:fs` cannot redirect them); `BigIntStats` is not exported by Node and is rebuilt.
 */
import * as fs from 'node:fs';
import type { InodeStat } from '../interfaces/namespace-io.js';

/**
 * Node's own Stats constructor, taken from the prototype `fs.Stats` shares with it: from Node 22
 * `fs.Stats` itself is a wrapper that warns (DEP0180) when called, which real `node:fs` never
 * does for a stat; the constructor behind it is the one Node's own stat calls use.
 */
const NodeStats = (fs.Stats.prototype as { constructor: unknown }).constructor as new (...args: number[]) => fs.Stats;
/**
 * Node 26's constructor takes each time as (seconds, nanoseconds within the second), for its
 * Temporal fields; earlier ones take milliseconds. Told apart by its arity (18 parameters, not
 * 14), the shape of an internal constructor rather than an answer of `node:fs`.
 */
const TIMES_AS_TIMESPEC = NodeStats.length === 18;
const NodeDirent = fs.Dirent as unknown as new (name: string | Buffer, type: number, path: string) => fs.Dirent;
const { S_IFMT, S_IFREG, S_IFDIR, S_IFLNK, S_IFBLK, S_IFCHR, S_IFIFO, S_IFSOCK } = fs.constants;

/** The device number every simulated disk reports. */
const DEV = 2049;
const BLKSIZE = 4096;

/** A time in milliseconds as the constructor takes it: itself, or (seconds, nanoseconds). */
function times(ms: number): number[] {
  if (!TIMES_AS_TIMESPEC) return [ms];
  const seconds = Math.floor(ms / 1000);
  return [seconds, Math.round((ms - seconds * 1000) * 1e6)];
}

/** Node's `Stats` for `st`. */
export function toStats(st: InodeStat): fs.Stats {
  return new NodeStats(DEV, st.mode, st.nlink, st.uid, st.gid, 0, BLKSIZE, st.ino, st.sizeBytes, st.blocks,
    ...times(st.atimeMs), ...times(st.mtimeMs), ...times(st.ctimeMs), ...times(st.birthtimeMs));
}

const NS_PER_MS = 1_000_000n;

function msToNs(ms: number): bigint {
  return BigInt(Math.floor(ms)) * NS_PER_MS + BigInt(Math.round((ms - Math.floor(ms)) * 1e6));
}

/** Node's `BigIntStats` shape: every number a bigint, plus the `*Ns` times. */
export class BigIntStats {
  readonly dev: bigint; readonly mode: bigint; readonly nlink: bigint; readonly uid: bigint; readonly gid: bigint;
  readonly rdev: bigint; readonly blksize: bigint; readonly ino: bigint; readonly size: bigint; readonly blocks: bigint;
  readonly atimeMs: bigint; readonly mtimeMs: bigint; readonly ctimeMs: bigint; readonly birthtimeMs: bigint;
  readonly atimeNs: bigint; readonly mtimeNs: bigint; readonly ctimeNs: bigint; readonly birthtimeNs: bigint;
  readonly atime: Date; readonly mtime: Date; readonly ctime: Date; readonly birthtime: Date;
  constructor(st: InodeStat) {
    this.dev = BigInt(DEV); this.mode = BigInt(st.mode); this.nlink = BigInt(st.nlink); this.uid = BigInt(st.uid);
    this.gid = BigInt(st.gid); this.rdev = 0n; this.blksize = BigInt(BLKSIZE); this.ino = BigInt(st.ino);
    this.size = BigInt(st.sizeBytes); this.blocks = BigInt(st.blocks);
    this.atimeMs = BigInt(Math.floor(st.atimeMs)); this.mtimeMs = BigInt(Math.floor(st.mtimeMs));
    this.ctimeMs = BigInt(Math.floor(st.ctimeMs)); this.birthtimeMs = BigInt(Math.floor(st.birthtimeMs));
    this.atimeNs = msToNs(st.atimeMs); this.mtimeNs = msToNs(st.mtimeMs);
    this.ctimeNs = msToNs(st.ctimeMs); this.birthtimeNs = msToNs(st.birthtimeMs);
    this.atime = new Date(st.atimeMs); this.mtime = new Date(st.mtimeMs);
    this.ctime = new Date(st.ctimeMs); this.birthtime = new Date(st.birthtimeMs);
  }
  private type(): bigint { return this.mode & BigInt(S_IFMT); }
  isFile(): boolean { return this.type() === BigInt(S_IFREG); }
  isDirectory(): boolean { return this.type() === BigInt(S_IFDIR); }
  isSymbolicLink(): boolean { return this.type() === BigInt(S_IFLNK); }
  isBlockDevice(): boolean { return this.type() === BigInt(S_IFBLK); }
  isCharacterDevice(): boolean { return this.type() === BigInt(S_IFCHR); }
  isFIFO(): boolean { return this.type() === BigInt(S_IFIFO); }
  isSocket(): boolean { return this.type() === BigInt(S_IFSOCK); }
}

/** Stats or BigIntStats, as `options.bigint` asks. */
export function statsFor(st: InodeStat, bigint: boolean): fs.Stats | BigIntStats {
  return bigint ? new BigIntStats(st) : toStats(st);
}

/** libuv's dirent types, as Node's `Dirent` takes them. */
const UV_DIRENT_FILE = 1;
const UV_DIRENT_DIR = 2;
const UV_DIRENT_LINK = 3;

/** Node's `Dirent` for an entry of `parentPath` described by `st` (an lstat). */
export function toDirent(name: string | Buffer, st: InodeStat, parentPath: string): fs.Dirent {
  const type = st.isSymbolicLink ? UV_DIRENT_LINK : st.isDirectory ? UV_DIRENT_DIR : UV_DIRENT_FILE;
  return new NodeDirent(name, type, parentPath);
}
