/**
 * The file descriptors of one `node.fs`: each facade fd names an fd of the Io that was in service
 * when it was opened, with the file position Node's non-positional reads and writes advance. An fd
 * whose Io is no longer in service (the machine restarted) is dead: `EBADF`, like an fd from
 * before a reboot. Numbers start at 3 (0-2 are stdio in a real process) and the lowest free one is
 * reused, as the kernel does.
 */
import type { SyncCapableIo } from '../interfaces/namespace-io.js';
import { systemError } from './errors.js';

/** Most fds one facade holds open; past it `open` fails with `EMFILE` (as a process ulimit). */
export const NODE_FS_FD_COUNT_MAX = 65_536;
const FIRST_FD = 3;

export interface FdEntry {
  readonly io: SyncCapableIo;
  readonly ioFd: number;
  /** Where the next non-positional read or write starts. */
  position: number;
  /** O_APPEND: every write goes to the end. */
  readonly append: boolean;
  /** O_SYNC/O_DSYNC: every write is followed by fsync/fdatasync. */
  readonly syncWrites: 'none' | 'data' | 'all';
  /** The path given at open (for messages). */
  readonly path: string;
}

export class FdTable {
  private readonly entries: (FdEntry | undefined)[] = [];
  private lowestFree = 0;
  private count = 0;
  /** The Io of the last `add`: when it changes (a restart), the old entries are dropped. */
  private lastIo: SyncCapableIo | undefined;

  /** The live entry of `fd` on `io`, or `EBADF` (naming `syscall`). */
  get(fd: number, io: SyncCapableIo, syscall: string): FdEntry {
    const entry = this.entries[fd - FIRST_FD];
    if (entry === undefined || entry.io !== io) {
      if (entry !== undefined) this.drop(fd);
      throw systemError('EBADF', syscall);
    }
    return entry;
  }

  /** `EMFILE` unless one more fd fits. */
  checkRoom(syscall: string, path: string, current: SyncCapableIo): void {
    if (this.count >= NODE_FS_FD_COUNT_MAX) this.sweepExcept(current);
    if (this.count >= NODE_FS_FD_COUNT_MAX) throw systemError('EMFILE', syscall, path);
  }

  add(entry: FdEntry): number {
    // Entries of an Io no longer in service would keep its whole disk alive: forget them.
    if (this.lastIo !== entry.io) {
      if (this.lastIo !== undefined) this.sweepExcept(entry.io);
      this.lastIo = entry.io;
    }
    let index = this.lowestFree;
    while (index < this.entries.length && this.entries[index] !== undefined) index++;
    this.entries[index] = entry;
    this.lowestFree = index + 1;
    this.count++;
    return index + FIRST_FD;
  }

  drop(fd: number): void {
    const index = fd - FIRST_FD;
    if (this.entries[index] === undefined) return;
    this.entries[index] = undefined;
    this.count--;
    if (index < this.lowestFree) this.lowestFree = index;
  }

  /** Forgets every entry of an Io that is no longer `current`. */
  sweepExcept(current: SyncCapableIo): void {
    for (let i = 0; i < this.entries.length; i++) {
      const entry = this.entries[i];
      if (entry !== undefined && entry.io !== current) this.drop(i + FIRST_FD);
    }
  }
}
