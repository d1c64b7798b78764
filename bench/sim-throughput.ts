/**
 * SimIo against memfs's promises API: 4 KiB random reads and writes (half each) on one prefilled
 * 64 MiB file, 64 in flight. Prints operations per CPU-second, the ratio to memfs (of the medians,
 * and the median of each round's ratio, steadier on a shared machine), and the memory held per
 * byte stored.
 *
 *   npx tsx bench/sim-throughput.ts [--ops N] [--file-mib M] [--depth D] [--rounds R]
 *   node dist/bench/sim-throughput.js ...   (compiled)
 *
 * Variants: SimIo with faults off (inside `sim.run` and standalone), SimIo with every fault at the
 * default (low) rates, and SimIo with the default latency model (completions out of order).
 */
import { numberFlag } from './args.js';
import { xorshiftStream } from './rng.js';
import { memfs } from 'memfs';
import { Simulation, FAULTS_DEFAULT, type FaultConfig, type SimulationOptions } from '../src/backends/sim/index.js';
import type { Io } from '../src/interfaces/io.js';

const OPS = numberFlag('ops', 400_000);
const FILE_BYTES = numberFlag('file-mib', 64) * 1024 * 1024;
const DEPTH = numberFlag('depth', 64);
const BLOCK = 4096;
const BLOCKS = FILE_BYTES / BLOCK;

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
  // CPU time of this process, not wall time: the machine is shared, and another process taking
  // the core must not count against whichever contender happened to run then.
  const start = process.cpuUsage();
  const lanes: Promise<void>[] = [];
  for (let lane = 0; lane < DEPTH; lane++) {
    const next = xorshiftStream(lane + 1);
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
  const used = process.cpuUsage(start);
  return (used.user + used.system) / 1e6;
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

/**
 * Every fault kind on: the default preset plus the kinds no preset has. `powerCut` draws on every
 * operation at a rate that, for seed 1 and these operation counts, never cuts (a cut would leave
 * the rest of the run rejecting at once, which measures nothing).
 */
const EVERY_FAULT: FaultConfig = { ...FAULTS_DEFAULT, lostWrite: { rate: 0.0002 }, misdirectedRead: { rate: 0.0002 }, powerCut: { rate: 1e-9 } };

const fmt = (n: number): string => Math.round(n).toLocaleString('en-US');

const VARIANTS: Record<string, { label: string; run: () => Promise<{ opsPerSec: number; held: number }> }> = {
  memfs: { label: 'memfs promises', run: memfsRun },
  'sim-off': { label: 'SimIo faults off (sim.run)', run: () => simRun({}, true) },
  'sim-off-standalone': { label: 'SimIo faults off (standalone)', run: () => simRun({}, false) },
  'sim-faults': { label: 'SimIo every fault kind, low rates', run: () => simRun({ faults: EVERY_FAULT }, true) },
  'sim-latency': { label: 'SimIo latency on, faults off', run: () => simRun({ latency: true }, true) },
};

const variantIndex = process.argv.indexOf('--variant');
if (variantIndex >= 0) {
  // Child: one variant, one measurement, as JSON on stdout.
  const name = process.argv[variantIndex + 1] ?? '';
  const variant = VARIANTS[name];
  if (variant === undefined) throw new Error(`unknown variant ${name}`);
  console.log(JSON.stringify(await variant.run()));
} else {
  // Parent: every variant in its own process (no shared JIT or heap), interleaved over rounds so
  // a noisy machine hurts every contender alike; the median round counts.
  const { execFileSync } = await import('node:child_process');
  const rounds = numberFlag('rounds', 3);
  const results = new Map<string, { opsPerSec: number; held: number }[]>();
  for (let round = 0; round < rounds; round++) {
    for (const name of Object.keys(VARIANTS)) {
      const extra = process.argv.slice(2);
      const out = execFileSync(process.execPath, [...process.execArgv, '--expose-gc', process.argv[1] as string, ...extra, '--variant', name], { encoding: 'utf8' });
      const lines = out.trim().split('\n');
      const parsed = JSON.parse(lines[lines.length - 1] as string) as { opsPerSec: number; held: number };
      const list = results.get(name) ?? [];
      list.push(parsed);
      results.set(name, list);
    }
  }
  const median = (xs: number[]): number => { const s = [...xs].sort((a, b) => a - b); return s[Math.floor(s.length / 2)] as number; };
  console.log(`4 KiB random read/write 50/50, ${FILE_BYTES / 1048576} MiB file, ${DEPTH} in flight, ${OPS} ops, median of ${rounds} rounds`);
  const memfsList = results.get('memfs') ?? [];
  const base = median(memfsList.map((r) => r.opsPerSec));
  for (const [name, list] of results) {
    const ops = median(list.map((r) => r.opsPerSec));
    const held = median(list.map((r) => r.held));
    // Each round's contenders run back to back, so the ratio within a round cancels most of a
    // shared machine's drift; its median is the steadier figure.
    const roundRatio = median(list.map((r, i) => r.opsPerSec / (memfsList[i] as { opsPerSec: number }).opsPerSec));
    const label = (VARIANTS[name] as { label: string }).label;
    console.log(`${label.padEnd(36)}${fmt(ops).padStart(12)} ops/cpu-s  ${(ops / base).toFixed(2)}x memfs (per round ${roundRatio.toFixed(2)}x)  memory held ${(held / FILE_BYTES).toFixed(2)}x bytes stored`);
  }
}
