/**
 * The extent allocator behind a scratch region: pure bookkeeping, no I/O, so it can be tested and
 * reasoned about on its own.
 *
 * Layout: the file is `[0, capacityBytes)`. Everything below `endBytes` (the bump pointer) is either
 * an allocated extent or a free extent; everything from `endBytes` to `capacityBytes` is untouched.
 * Every extent starts and ends on a multiple of `alignmentBytes`, so two extents never share an
 * aligned block and a padded direct write to one never touches another.
 *
 * Policy: a request (rounded up to the alignment) takes the best-fitting free extent (the smallest
 * one long enough, lowest offset on ties) and leaves the remainder free; only when no free extent
 * fits does it bump `endBytes`. A released extent is merged with the free extents on both sides;
 * if the result reaches `endBytes`, the bump pointer moves back instead, so free extents are always
 * strictly inside `[0, endBytes)` and never adjacent to one another.
 *
 * Costs: allocate and release are O(log f) where f is the number of free extents (the best-fit
 * search is a treap; neighbours for coalescing are found in O(1) through maps keyed by start and
 * by end). Memory is O(a + f) for a allocated extents; f <= a + 1 because free extents are
 * separated by allocated ones, and a <= capacityBytes / alignmentBytes.
 *
 * Growth is split in two so the caller can do the I/O in between: {@link ScratchAllocator.growthFor}
 * says how large the file must become (doubling, capped at `maxCapacityBytes`), and
 * {@link ScratchAllocator.grow} records it once the space is actually reserved on disk. If the
 * reservation fails, nothing in the allocator changed.
 */
import { StorageError } from '../interfaces/errors.js';
import { checkLength, checkUnsigned, snapshotOptions } from '../interfaces/validate.js';
import { FILE_SIZE_MAX_BYTES } from '../interfaces/limits.js';
import { SizeIndex } from './size-index.js';

/** A contiguous byte range of the scratch file. */
export interface ScratchExtent {
  readonly offsetBytes: number;
  readonly lengthBytes: number;
}

/** Options of {@link ScratchAllocator}. */
export interface ScratchAllocatorOptions {
  /** Granularity of every extent: a power of two >= 1. */
  readonly alignmentBytes: number;
  /** Initial size of the managed range; rounded up to the alignment. Must be > 0. */
  readonly capacityBytes: number;
  /** Largest size growth may reach; rounded down to the alignment. Default: `capacityBytes`. */
  readonly maxCapacityBytes?: number;
}

/** Rounds `valueBytes` up to a multiple of `alignmentBytes` (a power of two). */
export function alignUp(valueBytes: number, alignmentBytes: number): number {
  const remainder = valueBytes % alignmentBytes;
  return remainder === 0 ? valueBytes : valueBytes + (alignmentBytes - remainder);
}

/** Rounds `valueBytes` down to a multiple of `alignmentBytes`. */
export function alignDown(valueBytes: number, alignmentBytes: number): number {
  return valueBytes - (valueBytes % alignmentBytes);
}

function isPowerOfTwo(value: number): boolean {
  return Number.isInteger(value) && value >= 1 && value <= 2 ** 30 && (value & (value - 1)) === 0;
}

export class ScratchAllocator {
  /** Granularity of every extent. */
  readonly alignmentBytes: number;
  /** Largest size growth may reach. */
  readonly maxCapacityBytes: number;

  private capacity: number;
  private end = 0;
  private used = 0;
  /** Allocated extents: offset -> length. The authority for what may be released. */
  private readonly allocated = new Map<number, number>();
  /** Free extents: start -> length, end -> start, and ordered by (length, start). */
  private readonly freeByStart = new Map<number, number>();
  private readonly freeByEnd = new Map<number, number>();
  private readonly freeBySize = new SizeIndex();

  /**
   * Throws `ERR_INVALID_ARGUMENT` for a non-power-of-two alignment, a zero or non-integer
   * capacity, or a maximum below the capacity; `ERR_LIMIT_EXCEEDED` past the file size limit.
   */
  constructor(callerOptions: ScratchAllocatorOptions) {
    const operation = 'scratch.allocator';
    const options = snapshotOptions(operation, callerOptions, ['alignmentBytes', 'capacityBytes', 'maxCapacityBytes']);
    if (!isPowerOfTwo(options.alignmentBytes)) {
      throw new StorageError('ERR_INVALID_ARGUMENT', `${operation}: alignmentBytes must be a power of two`, {
        operation, argument: 'alignmentBytes', alignmentBytes: options.alignmentBytes,
      });
    }
    this.alignmentBytes = options.alignmentBytes;
    const capacityBytes = checkUnsigned(operation, 'capacityBytes', options.capacityBytes, FILE_SIZE_MAX_BYTES);
    if (capacityBytes === 0) {
      throw new StorageError('ERR_INVALID_ARGUMENT', `${operation}: capacityBytes must be > 0`, { operation, argument: 'capacityBytes' });
    }
    this.capacity = alignUp(capacityBytes, this.alignmentBytes);
    const maxRequested = options.maxCapacityBytes === undefined
      ? this.capacity
      : checkUnsigned(operation, 'maxCapacityBytes', options.maxCapacityBytes, FILE_SIZE_MAX_BYTES);
    // The initial capacity was rounded up; a maximum equal to the requested capacity must still hold it.
    const maxAligned = Math.max(alignDown(maxRequested, this.alignmentBytes), maxRequested >= capacityBytes ? this.capacity : 0);
    if (maxAligned < this.capacity) {
      throw new StorageError('ERR_INVALID_ARGUMENT', `${operation}: maxCapacityBytes must be >= capacityBytes`, {
        operation, argument: 'maxCapacityBytes', capacityBytes, maxCapacityBytes: maxRequested,
      });
    }
    if (maxAligned > FILE_SIZE_MAX_BYTES) {
      throw new StorageError('ERR_LIMIT_EXCEEDED', `${operation}: maxCapacityBytes is past the file size limit`, {
        operation, argument: 'maxCapacityBytes', limit: FILE_SIZE_MAX_BYTES,
      });
    }
    this.maxCapacityBytes = maxAligned;
  }

  /** Current size of the managed range. */
  get capacityBytes(): number {
    return this.capacity;
  }

  /** The bump pointer: everything at or past it has never been allocated (or was given back). */
  get endBytes(): number {
    return this.end;
  }

  /** Sum of the (padded) lengths of the allocated extents. */
  get usedBytes(): number {
    return this.used;
  }

  /** Number of allocated extents. */
  get allocatedCount(): number {
    return this.allocated.size;
  }

  /** Number of free extents below the bump pointer (a measure of fragmentation). */
  get freeExtentCount(): number {
    return this.freeBySize.size;
  }

  /** Length of the longest request that would succeed now without growth. */
  get largestFreeBytes(): number {
    const largest = this.freeBySize.largest()?.lengthBytes ?? 0;
    return Math.max(largest, this.capacity - this.end);
  }

  /**
   * The padded length a request of `lengthBytes` occupies (0 for 0). Throws `ERR_INVALID_ARGUMENT`
   * unless `lengthBytes` is a non-negative integer, `ERR_LIMIT_EXCEEDED` past the file size limit.
   */
  paddedLength(lengthBytes: number): number {
    // Checked like a request: alignUp's arithmetic would turn a string, NaN or -1 into a length.
    return alignUp(checkLength('scratch.paddedLength', lengthBytes, FILE_SIZE_MAX_BYTES), this.alignmentBytes);
  }

  /**
   * Reserves an extent for `lengthBytes` (> 0) without growing: the best-fitting free extent, else
   * space at the bump pointer. Returns `undefined` when neither fits (see {@link growthFor}).
   */
  tryAllocate(lengthBytes: number): ScratchExtent | undefined {
    const paddedBytes = this.checkRequest('scratch.allocate', lengthBytes);
    const fit = this.freeBySize.bestFit(paddedBytes);
    let offsetBytes: number;
    if (fit !== undefined) {
      this.removeFree(fit.offsetBytes, fit.lengthBytes);
      offsetBytes = fit.offsetBytes;
      const remainderBytes = fit.lengthBytes - paddedBytes;
      if (remainderBytes > 0) this.addFree(offsetBytes + paddedBytes, remainderBytes);
    } else if (this.end + paddedBytes <= this.capacity) {
      offsetBytes = this.end;
      this.end += paddedBytes;
    } else {
      return undefined;
    }
    this.allocated.set(offsetBytes, paddedBytes);
    this.used += paddedBytes;
    return { offsetBytes, lengthBytes: paddedBytes };
  }

  /**
   * The capacity the range must grow to so that a request of `lengthBytes` fits at the bump
   * pointer: the current capacity doubled as many times as needed, capped at
   * {@link maxCapacityBytes}. Returns the current capacity when the request already fits.
   * Throws `ERR_LIMIT_EXCEEDED` when even the maximum cannot hold it; nothing changes then.
   */
  growthFor(lengthBytes: number): number {
    const paddedBytes = this.checkRequest('scratch.grow', lengthBytes);
    if (this.freeBySize.bestFit(paddedBytes) !== undefined) return this.capacity;
    const neededBytes = this.end + paddedBytes;
    if (neededBytes <= this.capacity) return this.capacity;
    if (neededBytes > this.maxCapacityBytes) {
      throw new StorageError('ERR_LIMIT_EXCEEDED', 'scratch: the region is full and at its maximum capacity', {
        operation: 'scratch.write', lengthBytes, paddedBytes, capacityBytes: this.capacity,
        maxCapacityBytes: this.maxCapacityBytes, usedBytes: this.used, limit: this.maxCapacityBytes,
      });
    }
    let targetBytes = this.capacity;
    // At most log2(FILE_SIZE_MAX_BYTES) doublings: the loop is bounded.
    while (targetBytes < neededBytes) targetBytes *= 2;
    return Math.min(targetBytes, this.maxCapacityBytes);
  }

  /** Records that the range now extends to `capacityBytes` (between the current and the maximum). */
  grow(capacityBytes: number): void {
    if (!Number.isInteger(capacityBytes) || capacityBytes < this.capacity || capacityBytes > this.maxCapacityBytes
      || capacityBytes % this.alignmentBytes !== 0) {
      throw new StorageError('ERR_INVALID_ARGUMENT', 'scratch.grow: capacity must be aligned, >= the current one and <= the maximum', {
        operation: 'scratch.grow', capacityBytes, currentBytes: this.capacity, maxCapacityBytes: this.maxCapacityBytes,
      });
    }
    this.capacity = capacityBytes;
  }

  /**
   * Gives back the extent that starts at `offsetBytes` and returns its length. `ERR_INVALID_SLOT`
   * when no allocated extent starts there (never allocated, or already released).
   */
  release(offsetBytes: number): number {
    const lengthBytes = this.allocated.get(offsetBytes);
    if (lengthBytes === undefined) {
      throw new StorageError('ERR_INVALID_SLOT', 'scratch.release: no allocated extent starts at this offset', {
        operation: 'scratch.release', offsetBytes,
      });
    }
    this.allocated.delete(offsetBytes);
    this.used -= lengthBytes;
    let startBytes = offsetBytes;
    let endBytes = offsetBytes + lengthBytes;
    const previousStart = this.freeByEnd.get(startBytes);
    if (previousStart !== undefined) {
      this.removeFree(previousStart, startBytes - previousStart);
      startBytes = previousStart;
    }
    const nextLength = this.freeByStart.get(endBytes);
    if (nextLength !== undefined) {
      this.removeFree(endBytes, nextLength);
      endBytes += nextLength;
    }
    if (endBytes === this.end) this.end = startBytes;
    else this.addFree(startBytes, endBytes - startBytes);
    return lengthBytes;
  }

  /** The free extents, by offset (a copy; for tests and diagnostics, O(f log f)). */
  freeExtents(): ScratchExtent[] {
    return [...this.freeByStart].map(([offsetBytes, lengthBytes]) => ({ offsetBytes, lengthBytes }))
      .sort((a, b) => a.offsetBytes - b.offsetBytes);
  }

  /** The allocated extents, by offset (a copy; for tests and diagnostics). */
  allocatedExtents(): ScratchExtent[] {
    return [...this.allocated].map(([offsetBytes, lengthBytes]) => ({ offsetBytes, lengthBytes }))
      .sort((a, b) => a.offsetBytes - b.offsetBytes);
  }

  private checkRequest(operation: string, lengthBytes: number): number {
    checkUnsigned(operation, 'lengthBytes', lengthBytes, FILE_SIZE_MAX_BYTES);
    if (lengthBytes === 0) {
      throw new StorageError('ERR_INVALID_ARGUMENT', `${operation}: lengthBytes must be > 0`, { operation, argument: 'lengthBytes' });
    }
    return alignUp(lengthBytes, this.alignmentBytes);
  }

  private addFree(offsetBytes: number, lengthBytes: number): void {
    this.freeByStart.set(offsetBytes, lengthBytes);
    this.freeByEnd.set(offsetBytes + lengthBytes, offsetBytes);
    this.freeBySize.insert(lengthBytes, offsetBytes);
  }

  private removeFree(offsetBytes: number, lengthBytes: number): void {
    this.freeByStart.delete(offsetBytes);
    this.freeByEnd.delete(offsetBytes + lengthBytes);
    this.freeBySize.remove(lengthBytes, offsetBytes);
  }
}
