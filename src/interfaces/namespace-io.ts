import type { FsyncOptions, Io, OpenFlags, Stat } from './io.js';

/**
 * Everything known about one inode, as `stat(2)` reports it. Times are milliseconds on the
 * backend's clock (simulated time under simulation).
 */
export interface InodeStat extends Stat {
  /** True for a symbolic link (only ever seen through `stat(path, { follow: false })`). */
  readonly isSymbolicLink: boolean;
  /** Inode number: unique among the inodes that exist on the disk at one time. */
  readonly ino: number;
  /** Names pointing at the inode (files: hard links; directories: 2 + subdirectories). */
  readonly nlink: number;
  /** `st_mode`: the type bits (`S_IFREG`, `S_IFDIR`, `S_IFLNK`) and the permission bits. */
  readonly mode: number;
  readonly uid: number;
  readonly gid: number;
  readonly atimeMs: number;
  readonly mtimeMs: number;
  readonly ctimeMs: number;
  readonly birthtimeMs: number;
  /** 512-byte blocks the data occupies. */
  readonly blocks: number;
}

/** Options of {@link NamespaceIo.statFull} and {@link NamespaceIo.setAttributes}. */
export interface StatFullOptions {
  /** Follow a symbolic link in the last component (`stat`), or describe the link itself (`lstat`). Default true. */
  readonly follow?: boolean;
}

/** One attribute change of {@link NamespaceIo.setAttributes}; fields left out are unchanged. */
export interface AttributeChange {
  /** Permission bits (0..0o7777); the type bits are kept. */
  readonly mode?: number;
  /** Owner; -1 keeps it (as chown(2)). */
  readonly uid?: number;
  /** Group; -1 keeps it. */
  readonly gid?: number;
  /** Access time in milliseconds. */
  readonly atimeMs?: number;
  /** Modification time in milliseconds. */
  readonly mtimeMs?: number;
}

/**
 * An {@link Io} whose namespace also has hard links, symbolic links and inode attributes: what a
 * POSIX-shaped facade (such as `node.fs`) needs beyond the core contract. Paths follow the same
 * rules as {@link Io} (relative to the root, normalized by the shared validation). A symbolic
 * link's target is stored verbatim; an absolute target names a place from the disk's root, and a
 * target whose `..` climbs above the root is `ERR_PATH_ESCAPE`. Resolution follows at most 40
 * links, then fails with `ELOOP`.
 *
 * Which calls follow a symbolic link in the last component: `open`, `stat`, `readdir`,
 * `setAttributes` and `statFull` (unless `follow: false`) do; `rename`, `unlink`, `mkdir`,
 * `rmdir`, `link`, `symlink` and `readlink` act on the link itself.
 *
 * Crash model: `link` and `symlink` are namespace operations with the same durability rule as
 * create and rename: durable once their directory is fsynced. Attribute changes (mode, owner,
 * times) are kept as they are at the moment of a crash.
 */
export interface NamespaceIo extends Io {
  /**
   * {@link Io.open} with the permission bits a created file gets (`mode`, default 0o644; unused
   * when the file exists). With `create` + `exclusive` a symbolic link in the last component is
   * `EEXIST` even when it dangles; with `create` alone a dangling link creates its target.
   */
  open(path: string, flags?: OpenFlags, mode?: number): Promise<number>;
  /** Describes a path or an open fd with every attribute. Errors as {@link Io.stat}, plus `ELOOP`. */
  statFull(pathOrFd: string | number, options?: StatFullOptions): Promise<InodeStat>;
  /**
   * Gives the file at `existingPath` a second name `newPath` (link(2); a symbolic link is linked
   * itself, not followed). `EEXIST` if `newPath` exists, `EPERM` on a directory, `ENOENT`.
   */
  link(existingPath: string, newPath: string): Promise<void>;
  /** Creates a symbolic link at `linkPath` holding `target` (not checked: it may dangle). `EEXIST`. */
  symlink(target: string, linkPath: string): Promise<void>;
  /** The target of the symbolic link at `path`. `EINVAL` when `path` is not a symbolic link. */
  readlink(path: string): Promise<string>;
  /**
   * chmod / chown / utimes on a path or an open fd. A symbolic link in the last component is
   * followed unless `options.follow` is false (lchown, lutimes: the link's own attributes).
   */
  setAttributes(pathOrFd: string | number, change: AttributeChange, options?: StatFullOptions): Promise<void>;
}

/**
 * The synchronous twin of {@link NamespaceIo}: the same methods with the same arguments, errors and
 * effects, returning their result instead of a promise (and throwing instead of rejecting). Each
 * call takes effect before it returns. A simulator provides it so that unmodified code calling
 * `fs.*Sync` sees the simulated disk; it draws faults exactly as the asynchronous call does and is
 * recorded in the trace the same way, but takes no simulated time.
 */
export interface SyncNamespaceIo {
  /** See {@link NamespaceIo.open}. */
  open(path: string, flags?: OpenFlags, mode?: number): number;
  /** See {@link Io.read}. */
  read(fd: number, buffer: Uint8Array, offsetBytes: number): number;
  /** See {@link Io.write}. */
  write(fd: number, buffer: Uint8Array, offsetBytes: number): number;
  /** See {@link Io.readv}. */
  readv(fd: number, buffers: readonly Uint8Array[], offsetBytes: number): number;
  /** See {@link Io.writev}. */
  writev(fd: number, buffers: readonly Uint8Array[], offsetBytes: number): number;
  /** See {@link Io.fsync}. */
  fsync(fd: number, options?: FsyncOptions): void;
  /** See {@link Io.truncate}. */
  truncate(fd: number, lengthBytes: number): void;
  /** See {@link Io.allocate}. */
  allocate(fd: number, offsetBytes: number, lengthBytes: number): void;
  /** See {@link Io.stat}. */
  stat(pathOrFd: string | number): Stat;
  /** See {@link NamespaceIo.statFull}. */
  statFull(pathOrFd: string | number, options?: StatFullOptions): InodeStat;
  /** See {@link Io.rename}. */
  rename(from: string, to: string): void;
  /** See {@link Io.unlink}. */
  unlink(path: string): void;
  /** See {@link Io.mkdir}. */
  mkdir(path: string): void;
  /** See {@link Io.rmdir}. */
  rmdir(path: string): void;
  /** See {@link Io.readdir}. */
  readdir(path: string): string[];
  /** See {@link Io.close}. */
  close(fd: number): void;
  /** See {@link NamespaceIo.link}. */
  link(existingPath: string, newPath: string): void;
  /** See {@link NamespaceIo.symlink}. */
  symlink(target: string, linkPath: string): void;
  /** See {@link NamespaceIo.readlink}. */
  readlink(path: string): string;
  /** See {@link NamespaceIo.setAttributes}. */
  setAttributes(pathOrFd: string | number, change: AttributeChange, options?: StatFullOptions): void;
}

/** A {@link NamespaceIo} that also offers its synchronous twin. */
export interface SyncCapableIo extends NamespaceIo {
  /** Synchronous access to the same files and fds (an fd from either side works on the other). */
  readonly sync: SyncNamespaceIo;
}

/**
 * What a POSIX-shaped facade runs on: the Io in service now (a machine that restarts gets a new
 * one, and fds of the old one are dead) and a seeded source of names.
 */
export interface FsHost {
  /** The Io in service now. Read it at each call: it changes when the machine restarts. */
  readonly io: SyncCapableIo;
  /** A number in [0, 1) from a seeded stream, for generated names (mkdtemp). */
  random(): number;
}
