import { expect } from 'chai';
import fc from 'fast-check';
import { ScratchAllocator, type ScratchExtent } from '../../src/scratch/allocator.js';
import { SizeIndex } from '../../src/scratch/size-index.js';
import { StorageError } from '../../src/interfaces/errors.js';

const BLOCK = 4096;

function codeOf(fn: () => unknown): string | undefined {
  try {
    fn();
  } catch (err) {
    if (err instanceof StorageError) return err.code;
    throw err;
  }
  return undefined;
}

function mustAllocate(allocator: ScratchAllocator, lengthBytes: number): ScratchExtent {
  const extent = allocator.tryAllocate(lengthBytes);
  if (extent === undefined) throw new Error(`allocation of ${lengthBytes} bytes failed`);
  return extent;
}

describe('scratch allocator', () => {
  describe('options', () => {
    it('rejects an alignment that is not a power of two', () => {
      for (const alignmentBytes of [0, 3, 4095, -4096, 1.5]) {
        expect(codeOf(() => new ScratchAllocator({ alignmentBytes, capacityBytes: BLOCK }))).to.equal('ERR_INVALID_ARGUMENT');
      }
    });

    it('rejects a zero, negative or fractional capacity and a maximum below the capacity', () => {
      expect(codeOf(() => new ScratchAllocator({ alignmentBytes: BLOCK, capacityBytes: 0 }))).to.equal('ERR_INVALID_ARGUMENT');
      expect(codeOf(() => new ScratchAllocator({ alignmentBytes: BLOCK, capacityBytes: -1 }))).to.equal('ERR_INVALID_ARGUMENT');
      expect(codeOf(() => new ScratchAllocator({ alignmentBytes: BLOCK, capacityBytes: 10.5 }))).to.equal('ERR_INVALID_ARGUMENT');
      expect(codeOf(() => new ScratchAllocator({ alignmentBytes: BLOCK, capacityBytes: 8 * BLOCK, maxCapacityBytes: 4 * BLOCK })))
        .to.equal('ERR_INVALID_ARGUMENT');
      expect(codeOf(() => new ScratchAllocator({ alignmentBytes: BLOCK, capacityBytes: 2 ** 45 }))).to.equal('ERR_LIMIT_EXCEEDED');
    });

    it('rounds the capacity up to the alignment and keeps a maximum equal to the request usable', () => {
      const allocator = new ScratchAllocator({ alignmentBytes: BLOCK, capacityBytes: 1000, maxCapacityBytes: 1000 });
      expect(allocator.capacityBytes).to.equal(BLOCK);
      expect(allocator.maxCapacityBytes).to.equal(BLOCK);
      expect(mustAllocate(allocator, 1000)).to.deep.equal({ offsetBytes: 0, lengthBytes: BLOCK });
    });

    it('rejects zero and negative request lengths', () => {
      const allocator = new ScratchAllocator({ alignmentBytes: BLOCK, capacityBytes: BLOCK });
      expect(codeOf(() => allocator.tryAllocate(0))).to.equal('ERR_INVALID_ARGUMENT');
      expect(codeOf(() => allocator.tryAllocate(-5))).to.equal('ERR_INVALID_ARGUMENT');
      expect(codeOf(() => allocator.tryAllocate(Number.NaN))).to.equal('ERR_INVALID_ARGUMENT');
    });

    it('paddedLength refuses anything but a non-negative integer with ERR_INVALID_ARGUMENT', () => {
      const allocator = new ScratchAllocator({ alignmentBytes: BLOCK, capacityBytes: 2 * BLOCK });
      const revoked = Proxy.revocable({}, {});
      revoked.revoke();
      const bad: unknown[] = [
        '4096', Number.NaN, Number.POSITIVE_INFINITY, -1, 1.5, 4096n, Symbol('n'), null, undefined, {}, new Number(4096),
        new Proxy({}, { get() { throw new Error('trap'); } }), revoked.proxy,
      ];
      for (const value of bad) {
        expect(codeOf(() => allocator.paddedLength(value as number)), String(typeof value)).to.equal('ERR_INVALID_ARGUMENT');
      }
      expect(codeOf(() => allocator.paddedLength(2 ** 53))).to.equal('ERR_LIMIT_EXCEEDED');
      expect([0, 1, BLOCK, BLOCK + 1, 70_000].map((n) => allocator.paddedLength(n))).to.deep.equal([0, BLOCK, BLOCK, 2 * BLOCK, 18 * BLOCK]);
      // Nothing was allocated or grown by the refusals.
      expect(allocator.usedBytes).to.equal(0);
      expect(allocator.capacityBytes).to.equal(2 * BLOCK);
    });
  });

  it('bump-allocates padded, aligned extents in order', () => {
    const allocator = new ScratchAllocator({ alignmentBytes: BLOCK, capacityBytes: 16 * BLOCK });
    const a = mustAllocate(allocator, 1);
    const b = mustAllocate(allocator, BLOCK);
    const c = mustAllocate(allocator, BLOCK + 1);
    expect([a, b, c]).to.deep.equal([
      { offsetBytes: 0, lengthBytes: BLOCK },
      { offsetBytes: BLOCK, lengthBytes: BLOCK },
      { offsetBytes: 2 * BLOCK, lengthBytes: 2 * BLOCK },
    ]);
    expect(allocator.usedBytes).to.equal(4 * BLOCK);
    expect(allocator.endBytes).to.equal(4 * BLOCK);
    expect(allocator.allocatedCount).to.equal(3);
  });

  it('returns undefined when full, without changing anything', () => {
    const allocator = new ScratchAllocator({ alignmentBytes: BLOCK, capacityBytes: 2 * BLOCK });
    mustAllocate(allocator, BLOCK);
    expect(allocator.tryAllocate(BLOCK + 1)).to.equal(undefined);
    expect(allocator.usedBytes).to.equal(BLOCK);
    expect(mustAllocate(allocator, BLOCK).offsetBytes).to.equal(BLOCK);
    expect(allocator.tryAllocate(1)).to.equal(undefined);
  });

  it('reuses a freed extent before bumping', () => {
    const allocator = new ScratchAllocator({ alignmentBytes: BLOCK, capacityBytes: 16 * BLOCK });
    const extents = [1, 2, 3].map(() => mustAllocate(allocator, BLOCK));
    expect(allocator.release(extents[1]!.offsetBytes)).to.equal(BLOCK);
    expect(allocator.freeExtentCount).to.equal(1);
    expect(mustAllocate(allocator, 100).offsetBytes).to.equal(BLOCK);
    expect(allocator.freeExtentCount).to.equal(0);
    expect(mustAllocate(allocator, 100).offsetBytes).to.equal(3 * BLOCK);
  });

  it('picks the best fit, lowest offset on ties, and keeps the remainder free', () => {
    const allocator = new ScratchAllocator({ alignmentBytes: BLOCK, capacityBytes: 64 * BLOCK });
    // Holes of 3, 1, 2 and 1 blocks separated by live one-block extents.
    const layout = [3, 1, 1, 1, 2, 1, 1, 1];
    const extents = layout.map((blocks) => mustAllocate(allocator, blocks * BLOCK));
    for (const index of [0, 2, 4, 6]) allocator.release(extents[index]!.offsetBytes);
    expect(allocator.freeExtents().map((e) => e.lengthBytes / BLOCK)).to.deep.equal([3, 1, 2, 1]);

    expect(mustAllocate(allocator, 2 * BLOCK).offsetBytes).to.equal(extents[4]!.offsetBytes);
    expect(mustAllocate(allocator, BLOCK).offsetBytes).to.equal(extents[2]!.offsetBytes);
    expect(mustAllocate(allocator, BLOCK).offsetBytes).to.equal(extents[6]!.offsetBytes);
    // Only the 3-block hole is left: a one-block request splits it from the front.
    expect(mustAllocate(allocator, BLOCK).offsetBytes).to.equal(0);
    expect(allocator.freeExtents()).to.deep.equal([{ offsetBytes: BLOCK, lengthBytes: 2 * BLOCK }]);
  });

  it('coalesces adjacent free extents on both sides', () => {
    const allocator = new ScratchAllocator({ alignmentBytes: BLOCK, capacityBytes: 16 * BLOCK });
    const extents = [1, 2, 3, 4].map(() => mustAllocate(allocator, BLOCK));
    allocator.release(extents[0]!.offsetBytes);
    allocator.release(extents[2]!.offsetBytes);
    expect(allocator.freeExtentCount).to.equal(2);
    allocator.release(extents[1]!.offsetBytes);
    expect(allocator.freeExtents()).to.deep.equal([{ offsetBytes: 0, lengthBytes: 3 * BLOCK }]);
    // The merged hole serves a request larger than any of its parts.
    expect(mustAllocate(allocator, 3 * BLOCK).offsetBytes).to.equal(0);
  });

  it('moves the bump pointer back when the tail is freed', () => {
    const allocator = new ScratchAllocator({ alignmentBytes: BLOCK, capacityBytes: 4 * BLOCK });
    const extents = [1, 2, 3, 4].map(() => mustAllocate(allocator, BLOCK));
    allocator.release(extents[2]!.offsetBytes);
    allocator.release(extents[3]!.offsetBytes);
    expect(allocator.endBytes).to.equal(2 * BLOCK);
    expect(allocator.freeExtentCount).to.equal(0);
    expect(allocator.largestFreeBytes).to.equal(2 * BLOCK);
    expect(mustAllocate(allocator, 2 * BLOCK).offsetBytes).to.equal(2 * BLOCK);
  });

  it('reports ERR_INVALID_SLOT for a double or unknown release and changes nothing', () => {
    const allocator = new ScratchAllocator({ alignmentBytes: BLOCK, capacityBytes: 4 * BLOCK });
    const a = mustAllocate(allocator, BLOCK);
    mustAllocate(allocator, BLOCK);
    allocator.release(a.offsetBytes);
    expect(codeOf(() => allocator.release(a.offsetBytes))).to.equal('ERR_INVALID_SLOT');
    expect(codeOf(() => allocator.release(123))).to.equal('ERR_INVALID_SLOT');
    expect(allocator.usedBytes).to.equal(BLOCK);
    expect(allocator.freeExtents()).to.deep.equal([{ offsetBytes: 0, lengthBytes: BLOCK }]);
  });

  describe('growth', () => {
    it('doubles until the request fits, capped at the maximum', () => {
      const allocator = new ScratchAllocator({ alignmentBytes: BLOCK, capacityBytes: 2 * BLOCK, maxCapacityBytes: 12 * BLOCK });
      mustAllocate(allocator, BLOCK);
      expect(allocator.growthFor(BLOCK)).to.equal(2 * BLOCK);
      expect(allocator.growthFor(2 * BLOCK)).to.equal(4 * BLOCK);
      expect(allocator.growthFor(4 * BLOCK)).to.equal(8 * BLOCK);
      expect(allocator.growthFor(8 * BLOCK)).to.equal(12 * BLOCK);
      allocator.grow(allocator.growthFor(4 * BLOCK));
      expect(allocator.capacityBytes).to.equal(8 * BLOCK);
      expect(mustAllocate(allocator, 4 * BLOCK).offsetBytes).to.equal(BLOCK);
    });

    it('refuses a request past the maximum with ERR_LIMIT_EXCEEDED and keeps every extent', () => {
      const allocator = new ScratchAllocator({ alignmentBytes: BLOCK, capacityBytes: 2 * BLOCK, maxCapacityBytes: 4 * BLOCK });
      const a = mustAllocate(allocator, 2 * BLOCK);
      expect(codeOf(() => allocator.growthFor(3 * BLOCK))).to.equal('ERR_LIMIT_EXCEEDED');
      expect(allocator.capacityBytes).to.equal(2 * BLOCK);
      expect(allocator.allocatedExtents()).to.deep.equal([a]);
      expect(allocator.growthFor(2 * BLOCK)).to.equal(4 * BLOCK);
    });

    it('does not ask for growth when a free extent fits', () => {
      const allocator = new ScratchAllocator({ alignmentBytes: BLOCK, capacityBytes: 2 * BLOCK, maxCapacityBytes: 8 * BLOCK });
      const a = mustAllocate(allocator, BLOCK);
      mustAllocate(allocator, BLOCK);
      allocator.release(a.offsetBytes);
      expect(allocator.growthFor(BLOCK)).to.equal(2 * BLOCK);
    });

    it('rejects growth that shrinks, passes the maximum, or is misaligned', () => {
      const allocator = new ScratchAllocator({ alignmentBytes: BLOCK, capacityBytes: 2 * BLOCK, maxCapacityBytes: 8 * BLOCK });
      expect(codeOf(() => allocator.grow(BLOCK))).to.equal('ERR_INVALID_ARGUMENT');
      expect(codeOf(() => allocator.grow(16 * BLOCK))).to.equal('ERR_INVALID_ARGUMENT');
      expect(codeOf(() => allocator.grow(3 * BLOCK + 1))).to.equal('ERR_INVALID_ARGUMENT');
      expect(allocator.capacityBytes).to.equal(2 * BLOCK);
    });
  });

  it('the size index finds the smallest fitting extent', () => {
    const index = new SizeIndex();
    const entries: [number, number][] = [];
    for (let i = 0; i < 2000; i += 1) entries.push([((i * 7919) % 97) + 1, i * 1000]);
    for (const [length, offset] of entries) expect(index.insert(length, offset)).to.equal(true);
    expect(index.insert(entries[0]![0], entries[0]![1])).to.equal(false);
    expect(index.size).to.equal(entries.length);
    for (const want of [1, 5, 50, 97, 98]) {
      const candidates = entries.filter(([length]) => length >= want).sort((a, b) => a[0] - b[0] || a[1] - b[1]);
      const expected = candidates[0];
      const got = index.bestFit(want);
      expect(got === undefined ? undefined : [got.lengthBytes, got.offsetBytes]).to.deep.equal(expected);
    }
    for (const [length, offset] of entries.slice(0, 1000)) expect(index.remove(length, offset)).to.equal(true);
    expect(index.remove(entries[0]![0], entries[0]![1])).to.equal(false);
    expect(index.size).to.equal(1000);
  });

  describe('against a model (fast-check)', () => {
    type Command =
      | { readonly kind: 'allocate'; readonly lengthBytes: number }
      | { readonly kind: 'release'; readonly pick: number }
      | { readonly kind: 'grow'; readonly lengthBytes: number };

    const ALIGN = 512;
    const command: fc.Arbitrary<Command> = fc.oneof(
      { weight: 5, arbitrary: fc.integer({ min: 1, max: 6 * ALIGN }).map((lengthBytes) => ({ kind: 'allocate' as const, lengthBytes })) },
      { weight: 4, arbitrary: fc.nat().map((pick) => ({ kind: 'release' as const, pick })) },
      { weight: 1, arbitrary: fc.integer({ min: 1, max: 16 * ALIGN }).map((lengthBytes) => ({ kind: 'grow' as const, lengthBytes })) },
    );

    /** The model: only the list of live extents; holes and the bump pointer are derived from it. */
    function expectedPlacement(live: ScratchExtent[], paddedBytes: number, capacityBytes: number): number | undefined {
      const sorted = [...live].sort((a, b) => a.offsetBytes - b.offsetBytes);
      let cursor = 0;
      let best: { offsetBytes: number; lengthBytes: number } | undefined;
      for (const extent of sorted) {
        const holeBytes = extent.offsetBytes - cursor;
        if (holeBytes >= paddedBytes && (best === undefined || holeBytes < best.lengthBytes)) best = { offsetBytes: cursor, lengthBytes: holeBytes };
        cursor = extent.offsetBytes + extent.lengthBytes;
      }
      if (best !== undefined) return best.offsetBytes;
      return cursor + paddedBytes <= capacityBytes ? cursor : undefined;
    }

    function holesOf(live: ScratchExtent[]): ScratchExtent[] {
      const sorted = [...live].sort((a, b) => a.offsetBytes - b.offsetBytes);
      const holes: ScratchExtent[] = [];
      let cursor = 0;
      for (const extent of sorted) {
        if (extent.offsetBytes > cursor) holes.push({ offsetBytes: cursor, lengthBytes: extent.offsetBytes - cursor });
        cursor = extent.offsetBytes + extent.lengthBytes;
      }
      return holes;
    }

    it('places every extent where best fit says, never overlapping, and coalesces fully', () => {
      fc.assert(fc.property(
        fc.integer({ min: 1, max: 16 }),
        fc.integer({ min: 0, max: 4 }),
        fc.array(command, { maxLength: 200 }),
        (initialBlocks, doublings, commands) => {
          const capacityBytes = initialBlocks * ALIGN;
          const maxCapacityBytes = capacityBytes * 2 ** doublings;
          const allocator = new ScratchAllocator({ alignmentBytes: ALIGN, capacityBytes, maxCapacityBytes });
          const live: ScratchExtent[] = [];
          for (const step of commands) {
            if (step.kind === 'allocate') {
              const paddedBytes = Math.ceil(step.lengthBytes / ALIGN) * ALIGN;
              const expected = expectedPlacement(live, paddedBytes, allocator.capacityBytes);
              const got = allocator.tryAllocate(step.lengthBytes);
              expect(got?.offsetBytes).to.equal(expected);
              if (got !== undefined) {
                expect(got.lengthBytes).to.equal(paddedBytes);
                live.push(got);
              }
            } else if (step.kind === 'release') {
              if (live.length === 0) continue;
              const [victim] = live.splice(step.pick % live.length, 1);
              expect(allocator.release(victim!.offsetBytes)).to.equal(victim!.lengthBytes);
            } else {
              const before = allocator.capacityBytes;
              let target: number;
              try {
                target = allocator.growthFor(step.lengthBytes);
              } catch (err) {
                expect((err as StorageError).code).to.equal('ERR_LIMIT_EXCEEDED');
                expect(allocator.capacityBytes).to.equal(before);
                continue;
              }
              expect(target).to.be.at.least(before).and.at.most(allocator.maxCapacityBytes);
              allocator.grow(target);
              // After growing to the target the request must fit.
              const got = allocator.tryAllocate(step.lengthBytes);
              expect(got).to.not.equal(undefined);
              live.push(got!);
            }
            const sorted = [...live].sort((a, b) => a.offsetBytes - b.offsetBytes);
            for (let i = 1; i < sorted.length; i += 1) {
              expect(sorted[i]!.offsetBytes).to.be.at.least(sorted[i - 1]!.offsetBytes + sorted[i - 1]!.lengthBytes);
            }
            for (const extent of sorted) {
              expect(extent.offsetBytes % ALIGN).to.equal(0);
              expect(extent.offsetBytes + extent.lengthBytes).to.be.at.most(allocator.capacityBytes);
            }
            expect(allocator.allocatedExtents()).to.deep.equal(sorted);
            expect(allocator.freeExtents()).to.deep.equal(holesOf(live));
            expect(allocator.usedBytes).to.equal(live.reduce((sum, e) => sum + e.lengthBytes, 0));
            const last = sorted[sorted.length - 1];
            expect(allocator.endBytes).to.equal(last === undefined ? 0 : last.offsetBytes + last.lengthBytes);
          }
        },
      ), { numRuns: 300 });
    });
  });
});
