/** Summary statistics over the runs of one measurement. */

export interface Summary {
  readonly runs: number;
  readonly median: number;
  readonly min: number;
  readonly max: number;
  /** First and third quartiles (linear interpolation). */
  readonly q1: number;
  readonly q3: number;
  /** (max - min) / median: the noise figure the report warns about. */
  readonly spreadRatio: number;
}

function quantile(sorted: readonly number[], q: number): number {
  const position = (sorted.length - 1) * q;
  const below = Math.floor(position);
  const above = Math.ceil(position);
  const low = sorted[below]!;
  const high = sorted[above]!;
  return low + (high - low) * (position - below);
}

/** Summarises `values` (at least one, all finite). */
export function summarize(values: readonly number[]): Summary {
  if (values.length === 0) throw new RangeError('summarize needs at least one value');
  for (const v of values) if (!Number.isFinite(v)) throw new RangeError('summarize needs finite values');
  const sorted = [...values].sort((a, b) => a - b);
  const median = quantile(sorted, 0.5);
  const min = sorted[0]!;
  const max = sorted[sorted.length - 1]!;
  return {
    runs: sorted.length,
    median,
    min,
    max,
    q1: quantile(sorted, 0.25),
    q3: quantile(sorted, 0.75),
    spreadRatio: median > 0 ? (max - min) / median : 0,
  };
}
