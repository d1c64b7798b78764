/**
 * Chunk index → chunk, for the chunks of one file image.
 *
 * Why not a `Map<number, Uint8Array>`: every read and write looks chunks up (a write two or three
 * times, a commit four), and a Map lookup hashes the key and walks a chain in a table the size of
 * the file; a JS array indexed by chunk number is one bounds check and one load. Files are mostly
 * dense from offset 0, so the array stays in V8's fast (holey) element mode; indexes past
 * `DENSE_INDEX_MAX` (a 64 GiB offset) go to a Map, so a write near the 16 TiB limit costs one Map
 * entry, not a giant array.
 */

/** Indexes below this live in the array. */
export const DENSE_INDEX_MAX = 1 << 24;
/** A gap of at most this many slots past the end is filled (keeps the array in fast mode). */
const FILL_GAP_MAX = 4096;

export class ChunkTable {
  private dense: (Uint8Array | undefined)[];
  private sparse: Map<number, Uint8Array> | undefined;
  /** Chunks stored. */
  size = 0;

  constructor(from?: ChunkTable) {
    if (from === undefined) {
      this.dense = [];
      this.sparse = undefined;
    } else {
      this.dense = from.isSparse() ? copySparse(from.dense) : from.dense.slice();
      this.sparse = from.sparse === undefined ? undefined : new Map(from.sparse);
      this.size = from.size;
    }
  }

  /**
   * True when the array part is mostly holes (V8 keeps it as a hash table then): walking it by
   * index, copying it with `slice` or filling it would cost its length, not its chunk count.
   */
  private isSparse(): boolean {
    return this.dense.length > 64 * this.size + FILL_GAP_MAX;
  }

  get(index: number): Uint8Array | undefined {
    if (index < DENSE_INDEX_MAX) return this.dense[index];
    return this.sparse?.get(index);
  }

  has(index: number): boolean {
    return this.get(index) !== undefined;
  }

  set(index: number, chunk: Uint8Array): void {
    if (index < DENSE_INDEX_MAX) {
      const dense = this.dense;
      const length = dense.length;
      if (index < length) {
        if (dense[index] === undefined) this.size++;
        dense[index] = chunk;
        return;
      }
      if (index - length <= FILL_GAP_MAX) {
        for (let i = length; i < index; i++) dense.push(undefined);
        dense.push(chunk);
      } else {
        dense[index] = chunk;
      }
      this.size++;
      return;
    }
    let sparse = this.sparse;
    if (sparse === undefined) {
      sparse = new Map();
      this.sparse = sparse;
    }
    if (!sparse.has(index)) this.size++;
    sparse.set(index, chunk);
  }

  delete(index: number): void {
    if (index < DENSE_INDEX_MAX) {
      if (index < this.dense.length && this.dense[index] !== undefined) {
        this.dense[index] = undefined;
        this.size--;
      }
      return;
    }
    if (this.sparse?.delete(index) === true) this.size--;
  }

  /** Removes every chunk at or past `index`. */
  dropFrom(index: number): void {
    const dense = this.dense;
    const from = Math.max(0, index);
    if (from < dense.length) {
      if (!this.isSparse()) {
        for (let i = from; i < dense.length; i++) if (dense[i] !== undefined) this.size--;
      } else {
        for (const key of Object.keys(dense)) {
          const i = Number(key);
          if (i >= from && dense[i] !== undefined) this.size--;
        }
      }
      dense.length = from;
    }
    const sparse = this.sparse;
    if (sparse !== undefined) {
      const drop: number[] = [];
      for (const i of sparse.keys()) if (i >= from) drop.push(i);
      for (const i of drop) sparse.delete(i);
      this.size -= drop.length;
    }
  }

  clear(): void {
    this.dense = [];
    this.sparse = undefined;
    this.size = 0;
  }

  /** Stored indexes in ascending order (deterministic regardless of insertion order). */
  keys(): number[] {
    const out: number[] = [];
    const dense = this.dense;
    if (this.size > 0) {
      if (!this.isSparse()) {
        for (let i = 0; i < dense.length; i++) if (dense[i] !== undefined) out.push(i);
      } else {
        // A sparse array (V8 dictionary mode): its own keys are far fewer than its length.
        for (const key of Object.keys(dense)) {
          const i = Number(key);
          if (dense[i] !== undefined) out.push(i);
        }
        out.sort((a, b) => a - b);
      }
    }
    if (this.sparse !== undefined && this.sparse.size > 0) {
      const high = [...this.sparse.keys()].sort((a, b) => a - b);
      for (const i of high) out.push(i);
    }
    return out;
  }
}

/** A copy of a mostly-empty array, visiting only its stored indexes. */
function copySparse(source: (Uint8Array | undefined)[]): (Uint8Array | undefined)[] {
  const out: (Uint8Array | undefined)[] = [];
  for (const key of Object.keys(source)) {
    const i = Number(key);
    const chunk = source[i];
    if (chunk !== undefined) out[i] = chunk;
  }
  return out;
}

/**
 * A few bits per chunk index (see `FileData`'s flags), next to a `ChunkTable`.
 *
 * Why not more `ChunkTable`s: every write asked three tables of object references about its
 * index (is the chunk shared with the durable image? pinned? recyclable?), each a random load in
 * a table of pointers the 4 KiB copies keep pushing out of the CPU caches; a byte per index
 * keeps all of them in a few KiB that stay cached. Indexes from `FLAGS_DENSE_MAX` (a 4 GiB
 * offset: at most 1 MiB of flags per file image) use a Map.
 */
export const FLAGS_DENSE_MAX = 1 << 20;

export class ChunkFlags {
  private dense = new Uint8Array(0);
  private sparse: Map<number, number> | undefined;

  get(index: number): number {
    if (index < this.dense.length) return this.dense[index] as number;
    if (index < FLAGS_DENSE_MAX) return 0;
    return this.sparse?.get(index) ?? 0;
  }

  set(index: number, bits: number): void {
    if (index < this.dense.length) {
      this.dense[index] = bits;
      return;
    }
    if (index < FLAGS_DENSE_MAX) {
      if (bits === 0) return;
      let length = Math.max(64, this.dense.length);
      while (length <= index) length *= 2;
      const grown = new Uint8Array(Math.min(length, FLAGS_DENSE_MAX));
      grown.set(this.dense);
      grown[index] = bits;
      this.dense = grown;
      return;
    }
    if (bits === 0) this.sparse?.delete(index);
    else (this.sparse ??= new Map()).set(index, bits);
  }

  /** Every index back to 0 (keeps the room). */
  clear(): void {
    this.dense.fill(0);
    this.sparse = undefined;
  }
}
