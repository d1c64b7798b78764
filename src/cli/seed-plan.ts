/**
 * Which seeds a campaign runs, by index: a range (`--from S --seeds N`), one shard of a range
 * (`--shard K/N`), or a seeded stream for continuous runs (`--duration`, `--until-failures`).
 * Every plan is a pure function of its parameters, so a shard or a stream is the same on every
 * machine, and each seed's replay line stays the plain `--seed S`.
 */

export interface SeedPlan {
  /** Seeds in the plan (for a stream, the most one campaign may draw). */
  readonly count: number;
  /** The seed at `index` (0-based). */
  seedAt(index: number): number;
  /** A range's first seed (what a resume command starts from); undefined for a stream. */
  readonly rangeFrom: number | undefined;
}

export function rangePlan(from: number, count: number): SeedPlan {
  return { count, rangeFrom: from, seedAt: (index) => from + index };
}

/**
 * Shard `k` of `n` (1-based) of the range `from..from+count-1`: a contiguous block, the blocks
 * disjoint and covering the range, sizes differing by at most one. Contiguous, so a shard is
 * itself a range (resumable with `--from`, listed compactly).
 */
export function shardRange(from: number, count: number, k: number, n: number): { from: number; count: number } {
  const start = Math.floor(((k - 1) * count) / n);
  const end = Math.floor((k * count) / n);
  return { from: from + start, count: end - start };
}

/** This run's part of the range `from..from+count-1`: the whole range, or shard `shard` of it. */
export function partOfRange(from: number, count: number, shard: { readonly k: number; readonly n: number } | undefined): { from: number; count: number } {
  return shard === undefined ? { from, count } : shardRange(from, count, shard.k, shard.n);
}

/** A 32-bit avalanche of `x` (murmur3's finaliser). */
function mix32(x: number): number {
  let h = x | 0;
  h = Math.imul(h ^ (h >>> 16), 0x85ebca6b);
  h = Math.imul(h ^ (h >>> 13), 0xc2b2ae35);
  return (h ^ (h >>> 16)) >>> 0;
}

/** Largest seed a stream draws: 2^53 - 1, what `--seed` accepts. */
const STREAM_SEED_HIGH_BITS = 0x1fffff;

/**
 * The stream keyed by `key`: seed `index` is a hash of (key, index) spread over 53 bits, so
 * nightly runs with different keys explore different seeds, and the same key draws the same seeds
 * in the same order. Index-addressable (no state), so any worker layout gives the same seeds.
 */
export function streamPlan(key: number, countMax: number): SeedPlan {
  const keyLow = mix32(key >>> 0);
  const keyHigh = mix32(Math.floor(key / 0x1_0000_0000) ^ 0x9e3779b9);
  return {
    count: countMax,
    rangeFrom: undefined,
    seedAt(index: number): number {
      const low = mix32(mix32(index ^ keyLow) ^ keyHigh);
      const high = mix32(mix32((index + 0x7f4a7c15) ^ keyHigh) ^ keyLow) & STREAM_SEED_HIGH_BITS;
      return high * 0x1_0000_0000 + low;
    },
  };
}
