/**
 * A test Io that wraps another and (1) emulates O_DIRECT's alignment rules, so Storage's direct
 * mode can be tested on backends without O_DIRECT, and (2) makes reads and writes short at random
 * (seeded), so the retry loops are exercised; (3) calls a hook before each operation. Only for
 * tests of `src/storage/`.
 */
import { StorageError } from '../../src/interfaces/errors.js';
import type { FsyncOptions, Io, IoFeatures, IoMetrics, OpenFlags, Stat } from '../../src/interfaces/io.js';
import type { Clock } from '../../src/interfaces/clock.js';
import { writeThenSync } from '../../src/common/write-then-sync.js';
import { intrinsicByteLength, isDetached, isUint8Array, plainView } from '../../src/interfaces/validate.js';

/**
 * The caller's view as the engine sees it, as the buffer contract requires of every Io: a subclass
 * or own property lying about its length or methods changes nothing. Anything else goes to the
 * inner Io as it is, which reports it.
 */
function honest(buffer: Uint8Array): Uint8Array {
  if (!isUint8Array(buffer) || isDetached(buffer)) return buffer;
  try {
    return plainView(buffer, 0, intrinsicByteLength(buffer));
  } catch {
    return buffer;
  }
}

export interface WrappedIoOptions {
  /**
   * Emulate O_DIRECT with this alignment (offsets, lengths and buffer offsets must be multiples).
   * Without it, direct opens pass through to a backend that has direct I/O.
   */
  readonly directAlignmentBytes?: number;
  /** Probability in [0, 1] that a read or write transfers fewer bytes than asked. */
  readonly shortTransferRate?: number;
  /** Seed of the PRNG behind short transfers. */
  readonly seed?: number;
  /**
   * Called before every operation is passed on (e.g. to crash a simulated node at operation N).
   * What it throws becomes the operation's rejection (to inject an error).
   */
  readonly beforeOperation?: (operation: string) => void;
  /**
   * Pass writeDurable on as one call (the hook sees `writeDurable`) instead of as its write and
   * its fsync, to see which strategy a caller chose.
   */
  readonly passWriteDurable?: boolean;
}

export class WrappedIo implements Io {
  readonly features: IoFeatures;
  /** Counts of transfers made short, of misaligned direct transfers refused, and the most writes in flight at once. */
  readonly counters = { shortTransfers: 0, misaligned: 0, writesInFlightMax: 0 };
  private writesInFlight = 0;
  private readonly directFds = new Set<number>();
  private readonly alignmentBytes: number;
  private readonly shortRate: number;
  private state: number;
  private readonly hook: ((operation: string) => void) | undefined;
  private readonly passWriteDurable: boolean;

  constructor(private readonly inner: Io, options: WrappedIoOptions = {}) {
    this.hook = options.beforeOperation;
    this.passWriteDurable = options.passWriteDurable === true;
    this.alignmentBytes = options.directAlignmentBytes ?? 0;
    this.shortRate = options.shortTransferRate ?? 0;
    this.state = (options.seed ?? 1) >>> 0 || 1;
    this.features = {
      ...inner.features,
      backend: `${inner.features.backend}+wrapped`,
      direct: this.alignmentBytes > 0 || inner.features.direct,
      directAlignmentBytes: this.alignmentBytes > 0 ? this.alignmentBytes : inner.features.directAlignmentBytes,
    };
  }

  get clock(): Clock {
    return this.inner.clock;
  }

  get metrics(): IoMetrics {
    return this.inner.metrics;
  }

  private random(): number {
    let x = this.state;
    x ^= x << 13;
    x >>>= 0;
    x ^= x >>> 17;
    x ^= x << 5;
    x >>>= 0;
    this.state = x;
    return x / 0x1_0000_0000;
  }

  /** How many of `lengthBytes` to transfer this time (at least 1 when lengthBytes > 0). */
  private shortLength(lengthBytes: number): number {
    if (lengthBytes <= 1 || this.random() >= this.shortRate) return lengthBytes;
    this.counters.shortTransfers += 1;
    return 1 + Math.floor(this.random() * (lengthBytes - 1));
  }

  private checkAligned(fd: number, operation: string, buffers: readonly Uint8Array[], offsetBytes: number): void {
    if (!this.directFds.has(fd)) return;
    const a = this.alignmentBytes;
    const bad = offsetBytes % a !== 0 || buffers.some((b) => b.byteOffset % a !== 0 || b.byteLength % a !== 0);
    if (bad) {
      this.counters.misaligned += 1;
      throw new StorageError('EINVAL', `${operation}: misaligned direct transfer`, { operation, offsetBytes });
    }
  }

  private truncateList(buffers: readonly Uint8Array[]): Uint8Array[] {
    let totalBytes = 0;
    for (const b of buffers) totalBytes += b.byteLength;
    let keepBytes = this.shortLength(totalBytes);
    const out: Uint8Array[] = [];
    for (const b of buffers) {
      if (keepBytes <= 0) break;
      out.push(b.byteLength <= keepBytes ? b : b.subarray(0, keepBytes));
      keepBytes -= b.byteLength;
    }
    return out;
  }

  async open(path: string, flags?: OpenFlags): Promise<number> {
    this.hook?.('open');
    const direct = flags?.direct === true;
    if (direct && this.alignmentBytes === 0) {
      // No emulation asked for: a backend with real direct I/O gets the flag as is.
      if (!this.inner.features.direct) throw new StorageError('ERR_UNSUPPORTED', 'open: no direct I/O', { operation: 'open', path });
      return this.inner.open(path, flags);
    }
    const innerFlags: OpenFlags = { ...flags };
    delete (innerFlags as { direct?: boolean }).direct;
    const fd = await this.inner.open(path, innerFlags);
    if (direct) this.directFds.add(fd);
    else this.directFds.delete(fd);
    return fd;
  }

  async read(fd: number, caller: Uint8Array, offsetBytes: number): Promise<number> {
    this.hook?.('read');
    const buffer = honest(caller);
    this.checkAligned(fd, 'read', [buffer], offsetBytes);
    return this.inner.read(fd, buffer.subarray(0, this.shortLength(buffer.byteLength)), offsetBytes);
  }

  async write(fd: number, caller: Uint8Array, offsetBytes: number): Promise<number> {
    this.hook?.('write');
    const buffer = honest(caller);
    this.checkAligned(fd, 'write', [buffer], offsetBytes);
    this.writesInFlight += 1;
    this.counters.writesInFlightMax = Math.max(this.counters.writesInFlightMax, this.writesInFlight);
    try {
      return await this.inner.write(fd, buffer.subarray(0, this.shortLength(buffer.byteLength)), offsetBytes);
    } finally {
      this.writesInFlight -= 1;
    }
  }

  async readv(fd: number, buffers: readonly Uint8Array[], offsetBytes: number): Promise<number> {
    this.hook?.('readv');
    this.checkAligned(fd, 'readv', buffers, offsetBytes);
    return this.inner.readv(fd, this.truncateList(buffers), offsetBytes);
  }

  async writev(fd: number, buffers: readonly Uint8Array[], offsetBytes: number): Promise<number> {
    this.hook?.('writev');
    this.checkAligned(fd, 'writev', buffers, offsetBytes);
    return this.inner.writev(fd, this.truncateList(buffers), offsetBytes);
  }

  /** Passed on as the two operations, so the hook and the short transfers apply to each. */
  async writeDurable(fd: number, caller: Uint8Array, offsetBytes: number, options?: FsyncOptions): Promise<number> {
    const buffer = honest(caller);
    if (this.passWriteDurable && !this.directFds.has(fd)) {
      this.hook?.('writeDurable');
      const lengthBytes = this.shortLength(buffer.byteLength);
      // A short write syncs nothing (the contract): only the first part is written.
      if (lengthBytes < buffer.byteLength) return this.inner.write(fd, buffer.subarray(0, lengthBytes), offsetBytes);
      return this.inner.writeDurable(fd, buffer, offsetBytes, options);
    }
    // Its own state is the inner Io's: the write answers for it.
    return writeThenSync(this, fd, buffer, offsetBytes, options, () => false);
  }

  async fsync(fd: number, options?: FsyncOptions): Promise<void> {
    this.hook?.('fsync');
    return this.inner.fsync(fd, options);
  }

  async truncate(fd: number, lengthBytes: number): Promise<void> {
    this.hook?.('truncate');
    return this.inner.truncate(fd, lengthBytes);
  }

  async allocate(fd: number, offsetBytes: number, lengthBytes: number): Promise<void> {
    this.hook?.('allocate');
    return this.inner.allocate(fd, offsetBytes, lengthBytes);
  }

  async stat(pathOrFd: string | number): Promise<Stat> {
    this.hook?.('stat');
    return this.inner.stat(pathOrFd);
  }

  async rename(from: string, to: string): Promise<void> {
    this.hook?.('rename');
    return this.inner.rename(from, to);
  }

  async unlink(path: string): Promise<void> {
    this.hook?.('unlink');
    return this.inner.unlink(path);
  }

  async mkdir(path: string): Promise<void> {
    this.hook?.('mkdir');
    return this.inner.mkdir(path);
  }

  async rmdir(path: string): Promise<void> {
    this.hook?.('rmdir');
    return this.inner.rmdir(path);
  }

  async readdir(path: string): Promise<string[]> {
    this.hook?.('readdir');
    return this.inner.readdir(path);
  }

  async close(fd: number): Promise<void> {
    this.hook?.('close');
    await this.inner.close(fd);
    this.directFds.delete(fd);
  }

  allocAligned(lengthBytes: number): Uint8Array {
    return this.inner.allocAligned(lengthBytes);
  }

  shutdown(): Promise<void> {
    return this.inner.shutdown();
  }
}
