/**
 * SimIo against memfs's promises API: 4 KiB random reads and writes (half each) on one prefilled
 * 64 MiB file, 64 in flight. Prints ops/s, the ratio to memfs, and the memory held per byte stored.
 *
 *   npx tsx bench/sim-throughput.ts [--ops N] [--file-mib M] [--depth D]
 *
 * Variants: SimIo with faults off (inside `sim.run` and standalone), SimIo with every fault at the
 * default (low) rates, and SimIo with the default latency model (completions out of order).
 */
import { memfs } from 'memfs';
import { Simulation, FAULTS_DEFAULT, type SimulationOptions } from '../src/backends/sim/index.js';
import type { Io } from '../src/interfaces/io.js';

function arg(name: string, fallback: number): number {
  const i = process.argv.indexOf(`--${name}`);
  return i >= 0 ? Number(process.argv[i + 1]) : fallback;
}

const OPS = arg('ops', 400_000);
const FILE_BYTES = arg('file-mib', 64) * 1024 * 1024;
const DEPTH = arg('depth', 64);
const BLOCK = 4096;
const BLOCKS = FILE_BYTES / BLOCK;

/** xorshift32: the benchmark's own offsets, identical for every contender. */
function rng(seed: number): () => number {
  let x = seed | 0 || 1;
  return () => {
    x ^= x << 13; x ^= x >>> 17; x ^= x << 5;
    return x >>> 0;
  };
}

function heldBytes(): number {
  (globalThis as { gc?: () => void }).gc?.();
  const m = process.memoryUsage();
  return m.heapUsed + m.arrayBuffers;
}

interface Target {
  read(buffer: Uint8Array, offsetBytes: number): Promise<number>;
  write(buffer: Uint8Array, offsetBytes: number): Promise<number>;
}

async function loop(target: Target, ops: number): Promise<number> {
  let issued = 0;
  const start = process.hrtime.bigint();
  const lanes: Promise<void>[] = [];
  for (let lane = 0; lane < DEPTH; lane++) {
    const next = rng(lane + 1);
    const buffer = new Uint8Array(BLOCK).fill(lane);
    lanes.push((async () => {
      while (issued < ops) {
        issued++;
        const r = next();
        const offset = (r % BLOCKS) * BLOCK;
        try {
          if ((r & 0x8000_0000) === 0) await target.read(buffer, offset);
          else await target.write(buffer, offset);
        } catch {
          // Injected faults (EIO...) count as operations done.
        }
      }
    })());
  }
  await Promise.all(lanes);
  return Number(process.hrtime.bigint() - start) / 1e9;
}

async function prefill(write: (b: Uint8Array, o: number) => Promise<number>): Promise<void> {
  const chunk = new Uint8Array(1 << 20).fill(0x5a);
  for (let o = 0; o < FILE_BYTES; o += chunk.byteLength) {
    let done = 0;
    while (done < chunk.byteLength) {
      try { done += await write(chunk.subarray(done), o + done); } catch { /* injected: retry */ }
    }
  }
}

async function memfsRun(): Promise<{ opsPerSec: number; held: number }> {
  const { fs } = memfs();
  const before = heldBytes();
  const handle = await fs.promises.open('/f', 'w+');
  await prefill(async (b, o) => (await handle.write(b, 0, b.byteLength, o)).bytesWritten);
  const target: Target = {
    read: async (b, o) => (await handle.read(b, 0, b.byteLength, o)).bytesRead,
    write: async (b, o) => (await handle.write(b, 0, b.byteLength, o)).bytesWritten,
  };
  await loop(target, Math.min(OPS, 20_000));
  const seconds = await loop(target, OPS);
  const held = heldBytes() - before;
  await handle.close();
  return { opsPerSec: OPS / seconds, held };
}

async function simRun(options: Omit<SimulationOptions, 'seed'>, insideRun: boolean): Promise<{ opsPerSec: number; held: number }> {
  const before = heldBytes();
  const sim = new Simulation({ seed: 1, ...options });
  const io: Io = sim.node('bench').io;
  const body = async (): Promise<{ seconds: number; held: number }> => {
    const fd = await io.open('f', { read: true, write: true, create: true });
    await prefill((b, o) => io.write(fd, b, o));
    await io.fsync(fd).catch(() => undefined);
    const target: Target = { read: (b, o) => io.read(fd, b, o), write: (b, o) => io.write(fd, b, o) };
    await loop(target, Math.min(OPS, 20_000));
    const seconds = await loop(target, OPS);
    const held = heldBytes() - before;
    return { seconds, held };
  };
  const r = insideRun ? await sim.run(body) : await body();
  return { opsPerSec: OPS / r.seconds, held: r.held };
}

const fmt = (n: number): string => Math.round(n).toLocaleString('en-US');
console.log(`4 KiB random read/write 50/50, ${FILE_BYTES / 1048576} MiB file, ${DEPTH} in flight, ${OPS} ops`);
const base = await memfsRun();
console.log(`memfs promises                      ${fmt(base.opsPerSec).padStart(12)} ops/s  1.00x  held ${(base.held / FILE_BYTES).toFixed(2)}x stored`);
const variants: [string, Omit<SimulationOptions, 'seed'>, boolean][] = [
  ['SimIo faults off (sim.run)', {}, true],
  ['SimIo faults off (standalone)', {}, false],
  ['SimIo all faults, low rates', { faults: FAULTS_DEFAULT }, true],
  ['SimIo latency on, faults off', { latency: true }, true],
];
for (const [label, options, inside] of variants) {
  const r = await simRun(options, inside);
  console.log(`${label.padEnd(36)}${fmt(r.opsPerSec).padStart(12)} ops/s  ${(r.opsPerSec / base.opsPerSec).toFixed(2)}x  held ${(r.held / FILE_BYTES).toFixed(2)}x stored`);
}
