/**
 * `io.posix`: a SimIo seen by a POSIX process (what `node.fs` runs on). Every call is forwarded
 * to the SimIo unchanged (same fds, faults, trace and crash model) with one difference the Io
 * contract cannot have: a symbolic link whose `..` climbs above the disk's root stays at the root,
 * as Linux answers on a whole disk, where the Io contract refuses it with `ERR_PATH_ESCAPE`.
 * The flag is raised only for the synchronous part of a call, where SimIo records it in the
 * operation it creates.
 */
import type { FsyncOptions, OpenFlags } from '../../interfaces/io.js';
import type { AttributeChange, StatFullOptions, SyncCapableIo, SyncNamespaceIo } from '../../interfaces/namespace-io.js';
import type { SimIo } from './sim-io.js';

export function posixViewOf(io: SimIo): SyncCapableIo {
  const posix = <T>(call: () => T): T => {
    io.posixCall = true;
    try {
      return call();
    } finally {
      io.posixCall = false;
    }
  };
  const s = io.sync;
  const sync: SyncNamespaceIo = {
    open: (path: string, flags?: OpenFlags, mode?: number) => posix(() => s.open(path, flags, mode)),
    // fd calls need no flag: the very functions, without a wrapper (readSync/writeSync are hot).
    read: s.read,
    write: s.write,
    readv: (fd, buffers, offsetBytes) => s.readv(fd, buffers, offsetBytes),
    writev: (fd, buffers, offsetBytes) => s.writev(fd, buffers, offsetBytes),
    fsync: (fd: number, options?: FsyncOptions) => s.fsync(fd, options),
    truncate: (fd, lengthBytes) => s.truncate(fd, lengthBytes),
    allocate: (fd, offsetBytes, lengthBytes) => s.allocate(fd, offsetBytes, lengthBytes),
    stat: (pathOrFd) => posix(() => s.stat(pathOrFd)),
    statFull: (pathOrFd, options?: StatFullOptions) => posix(() => s.statFull(pathOrFd, options)),
    rename: (from, to) => posix(() => s.rename(from, to)),
    unlink: (path) => posix(() => s.unlink(path)),
    mkdir: (path) => posix(() => s.mkdir(path)),
    rmdir: (path) => posix(() => s.rmdir(path)),
    readdir: (path) => posix(() => s.readdir(path)),
    close: (fd) => s.close(fd),
    link: (existingPath, newPath) => posix(() => s.link(existingPath, newPath)),
    symlink: (target, linkPath) => posix(() => s.symlink(target, linkPath)),
    readlink: (path) => posix(() => s.readlink(path)),
    setAttributes: (pathOrFd, change: AttributeChange, options?: StatFullOptions) => posix(() => s.setAttributes(pathOrFd, change, options)),
  };
  return {
    get clock() { return io.clock; },
    get metrics() { return io.metrics; },
    get features() { return io.features; },
    sync,
    open: (path, flags, mode) => posix(() => io.open(path, flags, mode)),
    read: (fd, buffer, offsetBytes) => io.read(fd, buffer, offsetBytes),
    write: (fd, buffer, offsetBytes) => io.write(fd, buffer, offsetBytes),
    writeDurable: (fd, buffer, offsetBytes, options) => io.writeDurable(fd, buffer, offsetBytes, options),
    readv: (fd, buffers, offsetBytes) => io.readv(fd, buffers, offsetBytes),
    writev: (fd, buffers, offsetBytes) => io.writev(fd, buffers, offsetBytes),
    fsync: (fd, options) => io.fsync(fd, options),
    truncate: (fd, lengthBytes) => io.truncate(fd, lengthBytes),
    allocate: (fd, offsetBytes, lengthBytes) => io.allocate(fd, offsetBytes, lengthBytes),
    stat: (pathOrFd) => posix(() => io.stat(pathOrFd)),
    statFull: (pathOrFd, options) => posix(() => io.statFull(pathOrFd, options)),
    rename: (from, to) => posix(() => io.rename(from, to)),
    unlink: (path) => posix(() => io.unlink(path)),
    mkdir: (path) => posix(() => io.mkdir(path)),
    rmdir: (path) => posix(() => io.rmdir(path)),
    readdir: (path) => posix(() => io.readdir(path)),
    close: (fd) => io.close(fd),
    link: (existingPath, newPath) => posix(() => io.link(existingPath, newPath)),
    symlink: (target, linkPath) => posix(() => io.symlink(target, linkPath)),
    readlink: (path) => posix(() => io.readlink(path)),
    setAttributes: (pathOrFd, change, options) => posix(() => io.setAttributes(pathOrFd, change, options)),
    allocAligned: (lengthBytes) => io.allocAligned(lengthBytes),
    shutdown: () => io.shutdown(),
  };
}
