/**
 * Aligned bounce buffers for direct (O_DIRECT) transfers, kept for reuse instead of one
 * `io.allocAligned` per operation: an aligned allocation is native memory with a finalizer, which
 * cost about as much as the 4 KiB transfer itself (measured with `bench/uring-reads.ts`: Storage's
 * direct reads at 0.6x of raw UringIo before the pool).
 *
 * Only small transfers use it (at most {@link POOLED_BOUNCE_BYTES}), and it keeps at most
 * {@link POOLED_BOUNCES_MAX} idle buffers, so the memory it holds is bounded per Io. A buffer is
 * back in the pool only after the Io operation that used it settled (the Io never touches a buffer
 * after that), and it never reaches a caller: its bytes are copied in or out.
 */
import type { Io } from '../interfaces/io.js';

/** Size of every pooled buffer; a transfer whose aligned length is larger allocates its own. */
export const POOLED_BOUNCE_BYTES = 16 * 1024;
/** Idle buffers kept (4 MiB at most per Io); more are released to the garbage collector. */
export const POOLED_BOUNCES_MAX = 256;

export class BouncePool {
  private readonly idle: Uint8Array[] = [];

  constructor(private readonly io: Io) {}

  /** A buffer of at least `lengthBytes` aligned bytes (the pool's size when `lengthBytes` fits it). */
  take(lengthBytes: number): Uint8Array {
    if (lengthBytes > POOLED_BOUNCE_BYTES) return this.io.allocAligned(lengthBytes);
    return this.idle.pop() ?? this.io.allocAligned(POOLED_BOUNCE_BYTES);
  }

  /** Gives back a buffer from {@link take} once nothing uses it any more. */
  give(buffer: Uint8Array): void {
    if (buffer.byteLength === POOLED_BOUNCE_BYTES && this.idle.length < POOLED_BOUNCES_MAX) this.idle.push(buffer);
  }
}
