/**
 * The KV store on a real Io: concurrent writers for a fixed time, then a reopen that checks every
 * acknowledged key came back. Used by `faultline demo` to show what group commit buys.
 */
import type { Io } from '../../src/interfaces/io.js';
import { InvariantViolation } from '../../src/cli/workload.js';
import { KvStore } from './store.js';

export interface ThroughputOptions {
  /** Concurrent writers, each with one put in flight. Default 64. */
  readonly writers?: number;
  /** How long the writers run, in milliseconds of `io.clock`. Default 3000. */
  readonly durationMs?: number;
  /** Bytes per value. Default 100. */
  readonly valueBytes?: number;
  /** Distinct keys per writer (older values are overwritten). Default 256. */
  readonly keysPerWriter?: number;
}

export interface ThroughputResult {
  /** Acknowledged (durable) puts. */
  readonly puts: number;
  /** Group commits: one write and one fsync each. */
  readonly syncs: number;
  readonly seconds: number;
  readonly putsPerSecond: number;
  readonly syncsPerSecond: number;
  /** Mean puts per group commit. */
  readonly putsPerSync: number;
  /** Keys found intact after reopening. */
  readonly keysVerified: number;
}

/**
 * Runs writers against a store in `io` (partition `partition`), closes it, reopens it and checks
 * that every key holds its last acknowledged value. Rejects with {@link InvariantViolation} if not.
 */
export async function measureThroughput(io: Io, options: ThroughputOptions = {}, partition = 'kv-throughput'): Promise<ThroughputResult> {
  const writers = options.writers ?? 64;
  const durationMs = options.durationMs ?? 3000;
  const valueBytes = options.valueBytes ?? 100;
  const keysPerWriter = options.keysPerWriter ?? 256;
  const store = await KvStore.open(io, { partition, segmentBytesMax: 8 << 20, compactionSegmentsMin: 4 });
  const latest = new Map<string, number>();
  const started = io.clock.now();
  const deadline = started + durationMs;
  let puts = 0;
  const writer = async (w: number): Promise<void> => {
    for (let n = 0; io.clock.now() < deadline; n++) {
      const key = `w${w}-k${n % keysPerWriter}`;
      const value = new Uint8Array(valueBytes);
      const stamp = w * 1_000_000_000 + n;
      new DataView(value.buffer).setFloat64(0, stamp, true);
      await store.put(key, value);
      latest.set(key, stamp);
      puts += 1;
    }
  };
  const tasks: Promise<void>[] = [];
  for (let w = 0; w < writers; w++) tasks.push(writer(w));
  await Promise.all(tasks);
  const seconds = (io.clock.now() - started) / 1000;
  const syncs = store.stats.syncs;
  await store.close();
  const reopened = await KvStore.open(io, { partition });
  try {
    for (const [key, stamp] of latest) {
      const value = await reopened.get(key);
      if (value === undefined || new DataView(value.buffer, value.byteOffset).getFloat64(0, true) !== stamp) {
        throw new InvariantViolation(`key ${key} lost its acknowledged value after reopen`, { key });
      }
    }
  } finally {
    await reopened.close();
  }
  return {
    puts, syncs, seconds,
    putsPerSecond: puts / seconds,
    syncsPerSecond: syncs / seconds,
    putsPerSync: syncs > 0 ? puts / syncs : 0,
    keysVerified: latest.size,
  };
}
