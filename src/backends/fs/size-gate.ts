/**
 * Serializes the emulated `allocate` (stat, then grow) against size-changing operations. node:fs
 * has no fallocate, so allocate reads the size and extends with ftruncate; a write or truncate
 * landing between the two would be cut off by the ftruncate. Writes and truncates hold the gate
 * shared (no await on the fast path, so they cost nothing while no allocate runs); allocate holds
 * it exclusively. One gate per Io: allocate is rare (segment preallocation), so a coarse gate is
 * cheaper than tracking inodes.
 */
export class SizeGate {
  private sharedCount = 0;
  private exclusivePendingCount = 0;
  /** Settles when the latest queued exclusive holder releases. */
  private tail: Promise<void> = Promise.resolve();
  private onSharedDrained: (() => void) | undefined;

  /** True when a shared holder may enter at once (no allocate queued or running). */
  get open(): boolean {
    return this.exclusivePendingCount === 0;
  }

  /** Enters shared without waiting; only valid when {@link open}. */
  enterSharedNow(): void {
    this.sharedCount += 1;
  }

  /** Waits until no exclusive holder is queued, then enters shared. */
  async enterShared(): Promise<void> {
    // Each turn waits for the allocations queued at that moment; the loop ends once none are,
    // which happens because exclusive holders never wait on shared newcomers.
    while (this.exclusivePendingCount > 0) await this.tail;
    this.sharedCount += 1;
  }

  leaveShared(): void {
    this.sharedCount -= 1;
    if (this.sharedCount === 0 && this.onSharedDrained !== undefined) {
      const wake = this.onSharedDrained;
      this.onSharedDrained = undefined;
      wake();
    }
  }

  /** Runs `body` with no shared holder inside and other exclusive holders queued behind it. */
  async exclusive<T>(body: () => Promise<T>): Promise<T> {
    this.exclusivePendingCount += 1;
    const previous = this.tail;
    let release!: () => void;
    this.tail = new Promise<void>((resolve) => { release = resolve; });
    try {
      await previous;
      if (this.sharedCount > 0) await new Promise<void>((resolve) => { this.onSharedDrained = resolve; });
      return await body();
    } finally {
      this.exclusivePendingCount -= 1;
      release();
    }
  }
}
