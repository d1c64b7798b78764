/**
 * The unsynced data operations of one file, and the arena that holds the bytes of pending writes.
 *
 * Why typed arrays: a pending write lives until the next fsync or kernel writeback, i.e. across
 * thousands of operations, so one object (plus one view into the arena) per write survived every
 * young-generation GC and made each of them copy megabytes. Here a pending operation is a row of
 * numbers in preallocated typed arrays (the GC never traces them) and its bytes are an arena
 * position; a `DataOp` object with a view is built only when a crash state is materialised.
 *
 * Bounds: a log grows by doubling up to `rowCountMax` rows (the disk writes back before any log
 * passes `PENDING_OPS_MAX`); the arena holds at most its capacity plus one slab.
 */
import { StorageError } from '../../interfaces/errors.js';
import { copyInto, intrinsicByteLength } from '../../interfaces/validate.js';

/** A data operation not yet durable (as crash materialisation sees it). */
export interface DataOp {
  readonly kind: 'write' | 'truncate' | 'grow';
  readonly offsetBytes: number;
  /** For `write`: a private copy of the bytes. */
  readonly data: Uint8Array | undefined;
  /** For `truncate`: the new size; for `grow`: the size it grows to at least. */
  readonly sizeBytes: number;
}

export const OP_WRITE = 0;
export const OP_TRUNCATE = 1;
export const OP_GROW = 2;
const KIND_NAMES = ['write', 'truncate', 'grow'] as const;

/** Where pending writes keep their bytes: 1 MiB slabs filled by a bump pointer. */
export const SLAB_BYTES = 1 << 20;

/**
 * Pending writes' private copies: slabs filled by a bump pointer and reused once no pending write
 * is left, instead of one allocation per write. A copy is named by its position
 * (`slab * SLAB_BYTES + offset`), so storing it allocates nothing.
 */
export class PendingArena {
  private readonly slabs: Uint8Array[] = [];
  private slabIndex = 0;
  private offsetBytes = 0;
  private readonly slabCountMax: number;

  constructor(capacityBytes: number) {
    this.slabCountMax = Math.max(1, Math.ceil(Math.min(capacityBytes, 2 ** 40) / SLAB_BYTES) + 1);
  }

  /** Largest copy the arena takes; bigger ones get their own array. */
  static readonly COPY_BYTES_MAX = SLAB_BYTES / 4;

  /** Copies `data` in; returns its position, or -1 when the arena is full. */
  copy(data: Uint8Array): number {
    // `data` may be a caller's own view (see FileData's memory-safety note): intrinsics only.
    const length = intrinsicByteLength(data);
    if (this.offsetBytes + length > SLAB_BYTES) {
      if (this.slabIndex + 1 >= this.slabCountMax) return -1;
      this.slabIndex++;
      this.offsetBytes = 0;
    }
    let slab = this.slabs[this.slabIndex];
    if (slab === undefined) {
      slab = new Uint8Array(SLAB_BYTES);
      this.slabs.push(slab);
    }
    copyInto(slab, data, this.offsetBytes);
    const position = this.slabIndex * SLAB_BYTES + this.offsetBytes;
    this.offsetBytes += length;
    return position;
  }

  /** A view of the copy at `position` (valid until the next `reset`). */
  view(position: number, lengthBytes: number): Uint8Array {
    const slabIndex = Math.floor(position / SLAB_BYTES);
    const offset = position - slabIndex * SLAB_BYTES;
    return (this.slabs[slabIndex] as Uint8Array).subarray(offset, offset + lengthBytes);
  }

  /** Forgets every copy (the caller guarantees no pending write refers to one). */
  reset(): void {
    this.slabIndex = 0;
    this.offsetBytes = 0;
  }
}

const ROWS_INITIAL = 16;
/**
 * `pushWrite` position of a write whose bytes are a whole page-cache chunk pinned for it (see
 * `Disk.write`) rather than an arena copy or a private array.
 */
export const PINNED = -2;

export class PendingLog {
  private kinds = new Uint8Array(ROWS_INITIAL);
  private offsets = new Float64Array(ROWS_INITIAL);
  /** `write`: its length; `truncate`/`grow`: the size. */
  private values = new Float64Array(ROWS_INITIAL);
  /** `write`: arena position, or -1 when the bytes are in `own`. */
  private positions = new Float64Array(ROWS_INITIAL);
  /** Bytes of writes kept outside the arena, by row (sparse: only large or fallback copies). */
  private own: (Uint8Array | undefined)[] = [];
  private ownCount = 0;
  count = 0;

  constructor(private readonly rowCountMax: number) {}

  private room(): void {
    if (this.count < this.kinds.length) return;
    const rows = this.kinds.length * 2;
    if (this.count >= this.rowCountMax) {
      throw new StorageError('ERR_LIMIT_EXCEEDED', 'too many pending operations on one file', { limit: this.rowCountMax });
    }
    const grow = <T extends Uint8Array | Float64Array>(old: T, make: (n: number) => T): T => {
      const next = make(rows);
      next.set(old);
      return next;
    };
    this.kinds = grow(this.kinds, (n) => new Uint8Array(n));
    this.offsets = grow(this.offsets, (n) => new Float64Array(n));
    this.values = grow(this.values, (n) => new Float64Array(n));
    this.positions = grow(this.positions, (n) => new Float64Array(n));
  }

  /** Appends a write whose bytes are at arena `position`, or in `data` when `position` is -1 or `PINNED`. */
  pushWrite(offsetBytes: number, lengthBytes: number, position: number, data: Uint8Array | undefined): void {
    this.room();
    const i = this.count++;
    this.kinds[i] = OP_WRITE;
    this.offsets[i] = offsetBytes;
    this.values[i] = lengthBytes;
    this.positions[i] = position;
    if (position < 0) {
      this.own[i] = data;
      this.ownCount++;
    }
  }

  /** Appends a truncate or grow to `sizeBytes`. */
  pushResize(kind: typeof OP_TRUNCATE | typeof OP_GROW, sizeBytes: number): void {
    this.room();
    const i = this.count++;
    this.kinds[i] = kind;
    this.offsets[i] = 0;
    this.values[i] = sizeBytes;
    this.positions[i] = -1;
  }

  kindAt(i: number): number { return this.kinds[i] as number; }
  offsetAt(i: number): number { return this.offsets[i] as number; }
  /** Length of a write, size of a truncate or grow. */
  valueAt(i: number): number { return this.values[i] as number; }

  /** The bytes of write `i`. */
  dataAt(i: number, arena: PendingArena): Uint8Array {
    const position = this.positions[i] as number;
    if (position < 0) return this.own[i] as Uint8Array;
    return arena.view(position, this.values[i] as number);
  }

  /** Row `i` as an object (for crash materialisation). */
  op(i: number, arena: PendingArena): DataOp {
    const kind = this.kinds[i] as number;
    if (kind === OP_WRITE) {
      return { kind: 'write', offsetBytes: this.offsets[i] as number, data: this.dataAt(i, arena), sizeBytes: 0 };
    }
    return { kind: KIND_NAMES[kind] as 'truncate' | 'grow', offsetBytes: 0, data: undefined, sizeBytes: this.values[i] as number };
  }

  /** The chunk write `i` uses as its bytes when it was pushed with `PINNED`, else undefined. */
  pinnedAt(i: number): Uint8Array | undefined {
    return this.positions[i] === PINNED ? this.own[i] : undefined;
  }

  clear(): void {
    if (this.ownCount > 0) {
      // Emptied in place (its length stays within the row bound): a new array per writeback
      // regrew, and copied, its way back to the log's usual length every time.
      this.own.fill(undefined, 0, this.count);
      this.ownCount = 0;
    }
    this.count = 0;
  }

  /** fsyncgate: drops every write, keeps truncates and grows in order. Returns the rows kept. */
  dropWrites(): number {
    let kept = 0;
    for (let i = 0; i < this.count; i++) {
      if (this.kinds[i] === OP_WRITE) continue;
      this.kinds[kept] = this.kinds[i] as number;
      this.offsets[kept] = this.offsets[i] as number;
      this.values[kept] = this.values[i] as number;
      this.positions[kept] = -1;
      kept++;
    }
    this.count = kept;
    this.own = [];
    this.ownCount = 0;
    return kept;
  }
}
