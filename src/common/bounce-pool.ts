/**
 * A bounded pool of I/O buffers ("bounce buffers"), so a region does not pay an aligned allocation
 * (posix_memalign, zeroing, an external ArrayBuffer for the GC to track) on every transfer.
 *
 * Buffers come in power-of-two size classes from `classMinBytes` to `classMaxBytes`; a request is
 * served by its class (the returned buffer may be longer than asked: callers take a subarray).
 * Requests above the largest class are allocated exactly and never pooled. The pool keeps at most
 * `buffersPerClassMax` idle buffers per class and `pooledBytesMax` idle bytes in all; anything
 * past either bound is dropped for the GC, so the pool never grows without limit.
 *
 * Memory safety: a buffer must be given back only once no I/O uses it any more, i.e. after the
 * operation's promise settled with a result or an operating-system error. A buffer whose operation
 * was abandoned (`ERR_CLOSED`, `ERR_CRASHED`) must not be given back: the kernel might still hold it.
 */

/** Options of {@link BouncePool}. */
export interface BouncePoolOptions {
  /** Allocates a zeroed buffer suitable for the transfers (aligned for direct I/O). */
  readonly allocate: (lengthBytes: number) => Uint8Array;
  /** Smallest class: a power of two (the direct I/O alignment). */
  readonly classMinBytes: number;
  /** Largest pooled class: a power of two >= `classMinBytes`. */
  readonly classMaxBytes: number;
  /** Idle buffers kept per class. */
  readonly buffersPerClassMax: number;
  /** Idle bytes kept over all classes. */
  readonly pooledBytesMax: number;
}

export class BouncePool {
  private readonly options: BouncePoolOptions;
  /** Idle buffers by class size. */
  private readonly idle = new Map<number, Uint8Array[]>();
  private pooledBytes = 0;

  constructor(options: BouncePoolOptions) {
    this.options = options;
  }

  /** Idle bytes held now (for tests and diagnostics). */
  get idleBytes(): number {
    return this.pooledBytes;
  }

  /**
   * A buffer of at least `lengthBytes` (exactly the class size, or exactly `lengthBytes` above the
   * largest class). Its contents are unspecified when it comes from the pool.
   */
  acquire(lengthBytes: number): Uint8Array {
    const classBytes = this.classOf(lengthBytes);
    if (classBytes === undefined) return this.options.allocate(lengthBytes);
    const list = this.idle.get(classBytes);
    const reused = list?.pop();
    if (reused !== undefined) {
      this.pooledBytes -= classBytes;
      return reused;
    }
    return this.options.allocate(classBytes);
  }

  /** Gives `buffer` back for reuse (see the memory-safety note above); over the bounds it is dropped. */
  release(buffer: Uint8Array): void {
    const classBytes = buffer.byteLength;
    if (this.classOf(classBytes) !== classBytes) return;
    if (this.pooledBytes + classBytes > this.options.pooledBytesMax) return;
    let list = this.idle.get(classBytes);
    if (list === undefined) {
      list = [];
      this.idle.set(classBytes, list);
    }
    if (list.length >= this.options.buffersPerClassMax) return;
    list.push(buffer);
    this.pooledBytes += classBytes;
  }

  /** Drops every idle buffer. */
  clear(): void {
    this.idle.clear();
    this.pooledBytes = 0;
  }

  /** The class serving `lengthBytes`, or `undefined` above the largest class. */
  private classOf(lengthBytes: number): number | undefined {
    if (lengthBytes > this.options.classMaxBytes) return undefined;
    let classBytes = this.options.classMinBytes;
    // At most log2(classMaxBytes / classMinBytes) doublings.
    while (classBytes < lengthBytes) classBytes *= 2;
    return classBytes;
  }
}
