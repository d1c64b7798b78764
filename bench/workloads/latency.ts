/**
 * A fixed-size latency histogram: log-linear buckets (8 per power of two) from 1 µs to about
 * 70 s, so recording is O(1), memory is bounded whatever the run length, and a percentile is
 * within 1/8 (12.5%) of the true value.
 */

const SUB_BUCKETS = 8;
/** Powers of two covered above 1 µs: 2^26 µs is about 67 s; anything slower lands in the last bucket. */
const OCTAVES = 26;
const BUCKETS = OCTAVES * SUB_BUCKETS + 1;

export class LatencyHistogram {
  private readonly counts = new Float64Array(BUCKETS);
  private total = 0;

  /** Records one operation that took `latencyMs` milliseconds. */
  record(latencyMs: number): void {
    this.counts[bucketOf(latencyMs * 1000)]! += 1;
    this.total += 1;
  }

  get count(): number {
    return this.total;
  }

  /** The latency (ms) below which a fraction `q` of the recorded operations fall; 0 when empty. */
  percentileMs(q: number): number {
    if (this.total === 0) return 0;
    const rank = Math.min(this.total, Math.max(1, Math.ceil(q * this.total)));
    let seen = 0;
    for (let i = 0; i < BUCKETS; i++) {
      seen += this.counts[i]!;
      if (seen >= rank) return upperBoundMicros(i) / 1000;
    }
    return upperBoundMicros(BUCKETS - 1) / 1000;
  }
}

function bucketOf(micros: number): number {
  if (!(micros > 1)) return 0;
  const octave = Math.floor(Math.log2(micros));
  if (octave >= OCTAVES) return BUCKETS - 1;
  const base = 2 ** octave;
  const sub = Math.min(SUB_BUCKETS - 1, Math.floor(((micros - base) / base) * SUB_BUCKETS));
  return 1 + octave * SUB_BUCKETS + sub;
}

/** Upper edge (µs) of bucket `index`: percentiles are reported conservatively. */
function upperBoundMicros(index: number): number {
  if (index === 0) return 1;
  const octave = Math.floor((index - 1) / SUB_BUCKETS);
  const sub = (index - 1) % SUB_BUCKETS;
  return 2 ** octave * (1 + (sub + 1) / SUB_BUCKETS);
}
