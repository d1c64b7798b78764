/**
 * The table of file descriptors an {@link FsIo} hands out. Numbers are the lowest free ones (as
 * POSIX does), independent of the fs module's own numbers, so every fs-compatible module gives the
 * same small integers and a closed number is never confused with a descriptor opened elsewhere in
 * the process.
 */
import { StorageError } from '../../interfaces/errors.js';

/** One open file as the backend sees it. */
export interface FdEntry {
  /** The descriptor number of the underlying fs module. */
  readonly osFd: number;
  /** The normalized path it was opened with (for error details only: it may since have been renamed). */
  readonly path: string;
  readonly readable: boolean;
  readonly writable: boolean;
  /** Opened with O_DIRECT: transfers use aligned bounce buffers. */
  readonly direct: boolean;
  /** True when opened with `directory: true` or known to be a directory. */
  readonly isDirectory: boolean;
  /** Operations using this entry that have not settled; the fs fd is closed only once this is 0. */
  pendingCount: number;
  /** Resolves the waiter of a close that is waiting for `pendingCount` to reach 0. */
  onDrained: (() => void) | undefined;
}

export class FdTable {
  private readonly entries = new Map<number, FdEntry>();
  /** Freed numbers below `nextFd`, kept as a min-heap so allocation takes the lowest. */
  private readonly freeHeap: number[] = [];
  private nextFd = 0;

  constructor(private readonly countMax: number) {}

  get size(): number {
    return this.entries.size;
  }

  /** Registers `entry` under the lowest free number. `EMFILE` when the table is full. */
  add(entry: FdEntry): number {
    if (this.entries.size >= this.countMax) {
      throw StorageError.fromErrno('EMFILE', 'open', { path: entry.path, limit: this.countMax });
    }
    const fd = this.freeHeap.length > 0 ? this.popFree() : this.nextFd++;
    this.entries.set(fd, entry);
    return fd;
  }

  get(fd: number): FdEntry | undefined {
    return this.entries.get(fd);
  }

  /** Removes `fd` and returns its entry (undefined when not open). */
  remove(fd: number): FdEntry | undefined {
    const entry = this.entries.get(fd);
    if (entry === undefined) return undefined;
    this.entries.delete(fd);
    this.pushFree(fd);
    return entry;
  }

  /** Removes every entry and returns them. */
  removeAll(): FdEntry[] {
    const all = [...this.entries.values()];
    this.entries.clear();
    this.freeHeap.length = 0;
    this.nextFd = 0;
    return all;
  }

  private pushFree(fd: number): void {
    const heap = this.freeHeap;
    heap.push(fd);
    let i = heap.length - 1;
    while (i > 0) {
      const parent = (i - 1) >> 1;
      if (heap[parent]! <= heap[i]!) break;
      [heap[parent], heap[i]] = [heap[i]!, heap[parent]!];
      i = parent;
    }
  }

  private popFree(): number {
    const heap = this.freeHeap;
    const top = heap[0]!;
    const last = heap.pop()!;
    if (heap.length > 0) {
      heap[0] = last;
      let i = 0;
      for (;;) {
        const left = 2 * i + 1;
        const right = left + 1;
        let smallest = i;
        if (left < heap.length && heap[left]! < heap[smallest]!) smallest = left;
        if (right < heap.length && heap[right]! < heap[smallest]!) smallest = right;
        if (smallest === i) break;
        [heap[smallest], heap[i]] = [heap[i]!, heap[smallest]!];
        i = smallest;
      }
    }
    return top;
  }
}
