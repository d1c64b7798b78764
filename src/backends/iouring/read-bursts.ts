/**
 * Which reads arrive together: UringIo's `coalesceReads` sends a read to the ring rather than
 * answering it at the call when it is part of a burst, so that the burst costs one io_uring_enter
 * instead of a preadv2 per read.
 *
 * A burst is the reads taken during one run of the microtask queue: the first read arms a
 * microtask, and every read taken before it runs belongs to the same burst. The reads a batch of
 * completions sets off (each awaiting caller's continuation runs in that batch's microtask run), a
 * `Promise.all` of reads and a readBatch are bursts; a loop awaiting one read at a time makes
 * bursts of one, because the marker queued by its read runs before the continuation that issues
 * the next. Whether a read is alone cannot be known when it arrives, so the last closed burst
 * predicts it, and a burst that has grown past one read is one already.
 *
 * Why a microtask rather than a count of reads in flight: a read answered at the call is never in
 * flight, so with every read answered at the call that count is zero at any depth. Cost: one
 * promise reaction per burst (per read in a loop of lone reads), and only while coalescing is on.
 */
const settled = Promise.resolve();

export class ReadBursts {
  private readsNow = 0;
  private readsLast = 0;
  private armed = false;
  private readonly close = (): void => {
    this.readsLast = this.readsNow;
    this.readsNow = 0;
    this.armed = false;
  };

  /** Counts `reads` more reads (a read, or a batch's entries) into the current burst. */
  note(reads: number): void {
    this.readsNow += reads;
    if (this.armed) return;
    this.armed = true;
    // A reaction on a settled promise, not queueMicrotask: Node's queueMicrotask makes an async
    // resource and a bound function per call, which cost 0.3 µs per read in a loop of lone reads.
    void settled.then(this.close);
  }

  /**
   * Whether the read just noted looks alone: the current burst holds only it, and the last closed
   * burst was a single read (or there was none).
   */
  get alone(): boolean {
    return this.readsNow <= 1 && this.readsLast <= 1;
  }
}
