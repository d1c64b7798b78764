/** A tiny seeded PRNG (xorshift32) for offsets: cheap enough not to show up in the measurement. */
export class XorShift32 {
  private state: number;

  constructor(seed: number) {
    // xorshift has one fixed point (0); any other start works.
    this.state = (seed >>> 0) || 0x9e3779b9;
  }

  /** Next value in [0, 2^32). */
  next(): number {
    let x = this.state;
    x ^= x << 13;
    x ^= x >>> 17;
    x ^= x << 5;
    this.state = x >>> 0;
    return this.state;
  }

  /** Uniform-ish integer in [0, bound) for bound <= 2^32 (modulo bias is irrelevant here). */
  below(bound: number): number {
    return this.next() % bound;
  }
}

/** `new XorShift32(seed).next` as a plain function: an offset stream, identical for every contender. */
export function xorshiftStream(seed: number): () => number {
  const rng = new XorShift32(seed);
  return () => rng.next();
}

/** Fills `buffer` with pseudo-random bytes so no layer can shortcut zero pages. */
export function fillPseudoRandom(buffer: Uint8Array, seed: number): void {
  const rng = new XorShift32(seed);
  const words = Math.floor(buffer.byteLength / 4);
  const view = new DataView(buffer.buffer, buffer.byteOffset, buffer.byteLength);
  for (let i = 0; i < words; i++) view.setUint32(i * 4, rng.next(), true);
  for (let i = words * 4; i < buffer.byteLength; i++) buffer[i] = rng.next() & 0xff;
}
