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
    if (abs >= scale) return `${(bytes / scale).toFixed(1)} ${suffix}`;
  }
  return `${bytes.toFixed(0)} B`;
}

/** A ratio as "1.23×". */
export function formatRatio(ratio: number): string {
  return `${ratio >= 10 ? ratio.toFixed(1) : ratio.toFixed(2)}×`;
}
