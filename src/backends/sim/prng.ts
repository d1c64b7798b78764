/**
 * The simulator's pseudo-random numbers: xoshiro128** on four 32-bit words.
 *
 * Why not `Math.random`: it cannot be seeded. Why not pure-rand: measured side by side (5M draws,
 * this machine), pure-rand 8's xoroshiro128+ `next()` took 5.8-18 ns per draw and this class
 * 4.6-14 ns, i.e. the same order, slightly faster; xoshiro128** also has better low bits than
 * xoroshiro128+ (whose lowest bit is an LFSR), which matters because the simulator takes small
 * ranges (`below(n)`) from it. Both mutate in place and allocate nothing. Only 32-bit integer
 * operations, so streams are reproducible bit for bit on every platform.
 *
 * Streams: every independent consumer (each fault kind of each node, latency, crash choices, the
 * workload's `sim.random()`) gets its own generator derived from the seed and a label, so turning
 * one fault on or adding a workload draw does not shift the numbers another consumer sees.
 */
import { createHash } from 'node:crypto';
import { StorageError } from '../../interfaces/errors.js';

/** A simulation seed: a safe integer or a string. */
export type SimSeed = number | string;

/** The canonical text of a seed, used to derive every stream (and printed in replay commands). */
export function canonicalSeed(seed: unknown): string {
  if (typeof seed === 'number') {
    if (!Number.isSafeInteger(seed)) {
      throw new StorageError('ERR_INVALID_ARGUMENT', 'seed must be a safe integer or a string', { argument: 'seed' });
    }
    return `n:${seed}`;
  }
  if (typeof seed === 'string') return `s:${seed}`;
  throw new StorageError('ERR_INVALID_ARGUMENT', 'seed must be a safe integer or a string', { argument: 'seed' });
}

function rotl(x: number, k: number): number {
  return (x << k) | (x >>> (32 - k));
}

const TWO_POW_21 = 2 ** 21;
const TWO_POW_53 = 2 ** 53;

export class Prng {
  private s0: number;
  private s1: number;
  private s2: number;
  private s3: number;

  /** A generator whose state is derived from `seedText` and `label` (sha256, so labels never collide). */
  constructor(seedText: string, label: string) {
    const digest = createHash('sha256').update(seedText).update('\u0000').update(label).digest();
    this.s0 = digest.readUInt32LE(0) | 0;
    this.s1 = digest.readUInt32LE(4) | 0;
    this.s2 = digest.readUInt32LE(8) | 0;
    this.s3 = digest.readUInt32LE(12) | 0;
    // The all-zero state is the one fixed point of xoshiro; sha256 practically never yields it.
    if ((this.s0 | this.s1 | this.s2 | this.s3) === 0) this.s0 = 1;
  }

  /** A uniform unsigned 32-bit integer. */
  nextU32(): number {
    const result = Math.imul(rotl(Math.imul(this.s1, 5), 7), 9) >>> 0;
    const t = this.s1 << 9;
    this.s2 ^= this.s0;
    this.s3 ^= this.s1;
    this.s1 ^= this.s2;
    this.s0 ^= this.s3;
    this.s2 ^= t;
    this.s3 = rotl(this.s3, 11);
    return result;
  }

  /** A uniform number in [0, 1) with 53 random bits. */
  next(): number {
    const high = this.nextU32();
    const low = this.nextU32() >>> 11;
    return (high * TWO_POW_21 + low) / TWO_POW_53;
  }

  /** A uniform integer in [0, n) for 1 <= n <= 2^32 (rejection sampling: no modulo bias). */
  below(n: number): number {
    if (n <= 1) return 0;
    if (n > 0x1_0000_0000) return Math.floor(this.next() * n);
    const limit = 0x1_0000_0000 - (0x1_0000_0000 % n);
    // Bounded: each draw is accepted with probability > 1/2, 64 rejections in a row is ~2^-64.
    for (let attempt = 0; attempt < 64; attempt++) {
      const x = this.nextU32();
      if (x < limit) return x % n;
    }
    return this.nextU32() % n;
  }

  /** An exponentially distributed number with the given mean (0 when the mean is 0). */
  exponential(mean: number): number {
    if (mean <= 0) return 0;
    return -mean * Math.log(1 - this.next());
  }
}
