/**
 * An ordered set of free extents keyed by `(lengthBytes, offsetBytes)`, so the allocator can find
 * the best fit (the smallest extent at least as long as a request, lowest offset on ties) in
 * O(log n).
 *
 * A treap: a binary search tree on the key that is also a heap on a per-node priority. Priorities
 * come from a fixed-seed xorshift generator rather than `Math.random`, so a simulation that
 * allocates in the same order builds the same tree and stays reproducible. Expected depth is
 * O(log n) whatever the insertion order; recursion depth is bounded by the tree depth.
 */

interface Node {
  readonly lengthBytes: number;
  readonly offsetBytes: number;
  readonly priority: number;
  left: Node | undefined;
  right: Node | undefined;
}

function compare(aLength: number, aOffset: number, b: Node): number {
  if (aLength !== b.lengthBytes) return aLength < b.lengthBytes ? -1 : 1;
  if (aOffset !== b.offsetBytes) return aOffset < b.offsetBytes ? -1 : 1;
  return 0;
}

function rotateRight(node: Node): Node {
  const pivot = node.left!;
  node.left = pivot.right;
  pivot.right = node;
  return pivot;
}

function rotateLeft(node: Node): Node {
  const pivot = node.right!;
  node.right = pivot.left;
  pivot.left = node;
  return pivot;
}

function merge(left: Node | undefined, right: Node | undefined): Node | undefined {
  if (left === undefined) return right;
  if (right === undefined) return left;
  if (left.priority > right.priority) {
    left.right = merge(left.right, right);
    return left;
  }
  right.left = merge(left, right.left);
  return right;
}

/** Extents ordered by length then offset. Keys must be unique (offsets of free extents are). */
export class SizeIndex {
  private root: Node | undefined = undefined;
  private count = 0;
  private seed = 0x2545f491;

  /** Number of extents held. */
  get size(): number {
    return this.count;
  }

  /** Adds an extent. Adding a key already present is a bug in the caller (returns false). */
  insert(lengthBytes: number, offsetBytes: number): boolean {
    let added = false;
    const priority = this.nextPriority();
    const insertAt = (node: Node | undefined): Node => {
      if (node === undefined) {
        added = true;
        return { lengthBytes, offsetBytes, priority, left: undefined, right: undefined };
      }
      const order = compare(lengthBytes, offsetBytes, node);
      if (order === 0) return node;
      if (order < 0) {
        node.left = insertAt(node.left);
        if (node.left.priority > node.priority) return rotateRight(node);
      } else {
        node.right = insertAt(node.right);
        if (node.right.priority > node.priority) return rotateLeft(node);
      }
      return node;
    };
    this.root = insertAt(this.root);
    if (added) this.count += 1;
    return added;
  }

  /** Removes an extent; false when it was not present. */
  remove(lengthBytes: number, offsetBytes: number): boolean {
    let removed = false;
    const removeAt = (node: Node | undefined): Node | undefined => {
      if (node === undefined) return undefined;
      const order = compare(lengthBytes, offsetBytes, node);
      if (order === 0) {
        removed = true;
        return merge(node.left, node.right);
      }
      if (order < 0) node.left = removeAt(node.left);
      else node.right = removeAt(node.right);
      return node;
    };
    this.root = removeAt(this.root);
    if (removed) this.count -= 1;
    return removed;
  }

  /**
   * The smallest extent whose length is at least `lengthBytes` (lowest offset among equals), or
   * `undefined` when none is long enough.
   */
  bestFit(lengthBytes: number): { readonly lengthBytes: number; readonly offsetBytes: number } | undefined {
    let node = this.root;
    let found: Node | undefined;
    while (node !== undefined) {
      if (node.lengthBytes >= lengthBytes) {
        found = node;
        node = node.left;
      } else {
        node = node.right;
      }
    }
    return found === undefined ? undefined : { lengthBytes: found.lengthBytes, offsetBytes: found.offsetBytes };
  }

  /** The longest extent, or `undefined` when empty. */
  largest(): { readonly lengthBytes: number; readonly offsetBytes: number } | undefined {
    let node = this.root;
    if (node === undefined) return undefined;
    while (node.right !== undefined) node = node.right;
    return { lengthBytes: node.lengthBytes, offsetBytes: node.offsetBytes };
  }

  /** Removes everything. */
  clear(): void {
    this.root = undefined;
    this.count = 0;
  }

  private nextPriority(): number {
    // xorshift32: cheap, deterministic, good enough to balance a treap.
    let x = this.seed;
    x ^= x << 13;
    x ^= x >>> 17;
    x ^= x << 5;
    this.seed = x >>> 0;
    return this.seed;
  }
}
