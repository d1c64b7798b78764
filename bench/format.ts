/** Number formatting shared by the tables and the charts. */

/** 3 significant digits with k/M/G suffixes: 1234 -> "1.23k". */
export function formatCount(value: number): string {
  if (value === 0) return '0';
  const abs = Math.abs(value);
  const units: readonly [number, string][] = [[1e9, 'G'], [1e6, 'M'], [1e3, 'k']];
  for (const [scale, suffix] of units) {
    if (abs >= scale) return `${(value / scale).toPrecision(3)}${suffix}`;
  }
  return abs >= 100 ? value.toFixed(0) : value.toPrecision(3);
}

/** Bytes per second as MB/s (10^6), 3 significant digits. */
export function formatMegabytesPerSec(bytesPerSec: number): string {
  const mb = bytesPerSec / 1e6;
  return mb >= 100 ? mb.toFixed(0) : mb.toPrecision(3);
}

/** Bytes with binary units: 67108864 -> "64.0 MiB". */
export function formatBytes(bytes: number): string {
  const abs = Math.abs(bytes);
  const units: readonly [number, string][] = [[2 ** 30, 'GiB'], [2 ** 20, 'MiB'], [2 ** 10, 'KiB']];
  for (const [scale, suffix] of units) {
    if (abs >= scale) {
      const scaled = bytes / scale;
      return `${Number.isInteger(scaled) ? scaled.toFixed(0) : scaled.toFixed(1)} ${suffix}`;
    }
  }
  return `${bytes.toFixed(0)} B`;
}

/** A ratio as "1.23×". */
export function formatRatio(ratio: number): string {
  return `${ratio >= 10 ? ratio.toFixed(1) : ratio.toFixed(2)}×`;
}

/** A latency: microseconds below 1 ms ("38.7 µs"), milliseconds above ("1.23 ms"). */
export function formatLatencyMs(ms: number): string {
  if (ms < 1) {
    const us = ms * 1000;
    return `${us >= 100 ? us.toFixed(0) : us.toPrecision(3)} µs`;
  }
  return `${ms >= 100 ? ms.toFixed(0) : ms.toPrecision(3)} ms`;
}
