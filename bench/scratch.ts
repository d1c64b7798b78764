/**
 * Scratch region throughput: slot writes and reads of 4 KiB and 64 KiB values, on UringIo and
 * FsIo, each with direct I/O where available (the default) and buffered, against the minimal
 * equivalent through `fs.promises`: one preallocated file, pwrite/pread at fixed slot offsets,
 * same concurrency.
 *
 * Each cell is the median of several runs. The baseline file is filled with zeros before timing
 * (so its blocks exist, as fallocate reserves them for the region); the region's reads bypass the
 * page cache with direct I/O, the baseline's are served from it. Run with
 * `node dist/bench/scratch.js [--quick] [--runs N] [--dir PATH]` after `npm run build`, or through
 * `npx tsx bench/scratch.ts`. The O_DIRECT column says whether a region really bypassed the page
 * cache (a file system that refuses O_DIRECT makes it fall back to buffered I/O).
 */
import { mkdtempSync, rmSync, promises as fsp } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { pathToFileURL } from 'node:url';
import type { Io } from '../src/interfaces/io.js';
import { FsIo } from '../src/backends/fs/index.js';
import { UringIo } from '../src/backends/iouring/index.js';
import { openScratch } from '../src/scratch/open.js';

/** One measured cell. */
export interface ScratchBenchRow {
  readonly variant: string;
  readonly valueBytes: number;
  readonly phase: 'write' | 'read';
  readonly opsPerSec: number;
  readonly mbPerSec: number;
  /** Ratio of this variant's ops/s to the fs.promises baseline (1 for the baseline). */
  readonly ratio: number;
  readonly direct: boolean;
}

/** Options of {@link runScratchBench}. */
export interface ScratchBenchOptions {
  /** Fewer operations and a single run: a smoke test that the bench still works. */
  readonly quick?: boolean;
  /** Runs per cell (median taken). Default 5 (1 with `quick`). */
  readonly runs?: number;
  /** Directory for the files (a fresh subdirectory is made and removed). Default: the OS temp dir. */
  readonly dir?: string;
  /** Operations in flight at once, for every variant. Default 32. */
  readonly concurrency?: number;
  /** Where lines go. Default console.log. */
  readonly log?: (line: string) => void;
}

interface Variant {
  readonly name: string;
  /** Sets up, runs one write phase and one read phase, returns the elapsed ms of each. */
  run(root: string, valueBytes: number, count: number, concurrency: number): Promise<{ writeMs: number; readMs: number; direct: boolean }>;
}

async function pool(count: number, concurrency: number, task: (index: number) => Promise<void>): Promise<void> {
  let next = 0;
  const workers = Array.from({ length: Math.min(concurrency, count) }, async () => {
    while (next < count) {
      const index = next;
      next += 1;
      await task(index);
    }
  });
  await Promise.all(workers);
}

/** A fixed permutation, so reads do not simply stream the file in write order. */
function shuffled(count: number): number[] {
  const order = Array.from({ length: count }, (_, i) => i);
  let x = 0x9e3779b9;
  for (let i = count - 1; i > 0; i -= 1) {
    x ^= x << 13; x >>>= 0; x ^= x >>> 17; x ^= x << 5; x >>>= 0;
    const j = x % (i + 1);
    [order[i], order[j]] = [order[j]!, order[i]!];
  }
  return order;
}

function value(valueBytes: number): Uint8Array {
  const data = new Uint8Array(valueBytes);
  for (let i = 0; i < valueBytes; i += 1) data[i] = (i * 31 + 7) & 0xff;
  return data;
}

const SLOT_ALIGN_BYTES = 4096;

function regionVariant(name: string, makeIo: (root: string) => Promise<Io>, direct: boolean | undefined): Variant {
  return {
    name,
    async run(root, valueBytes, count, concurrency) {
      const io = await makeIo(root);
      try {
        const slotBytes = Math.ceil(valueBytes / SLOT_ALIGN_BYTES) * SLOT_ALIGN_BYTES;
        const region = await openScratch(io, {
          capacityBytes: slotBytes * count, ...(direct === undefined ? {} : { direct }),
        });
        const data = value(valueBytes);
        const slots = new Array<number>(count);
        let start = performance.now();
        await pool(count, concurrency, async (i) => { slots[i] = await region.write(data); });
        const writeMs = performance.now() - start;
        const order = shuffled(count);
        start = performance.now();
        await pool(count, concurrency, async (i) => {
          const got = await region.read(slots[order[i]!]!);
          if (got.byteLength !== valueBytes) throw new Error('short value');
        });
        const readMs = performance.now() - start;
        const usedDirect = region.direct;
        await region.close();
        return { writeMs, readMs, direct: usedDirect };
      } finally {
        await io.shutdown();
      }
    },
  };
}

/** The same slot I/O straight on an Io (no region): what the region's own overhead is measured against. */
function rawIoVariant(name: string, makeIo: (root: string) => Promise<Io>, direct: boolean): Variant {
  return {
    name,
    async run(root, valueBytes, count, concurrency) {
      const io = await makeIo(root);
      try {
        const slotBytes = Math.ceil(valueBytes / SLOT_ALIGN_BYTES) * SLOT_ALIGN_BYTES;
        const fd = await io.open('raw.bin', { read: true, write: true, create: true, direct });
        await io.allocate(fd, 0, slotBytes * count);
        const transferBytes = direct ? slotBytes : valueBytes;
        const source = io.allocAligned(transferBytes);
        source.set(value(valueBytes));
        let start = performance.now();
        await pool(count, concurrency, async (i) => {
          if (await io.write(fd, source, i * slotBytes) !== transferBytes) throw new Error('short write');
        });
        const writeMs = performance.now() - start;
        const order = shuffled(count);
        const targets = Array.from({ length: concurrency }, () => io.allocAligned(transferBytes));
        let next = 0;
        start = performance.now();
        await pool(count, concurrency, async (i) => {
          const target = targets[next++ % concurrency]!;
          if (await io.read(fd, target, order[i]! * slotBytes) !== transferBytes) throw new Error('short read');
        });
        const readMs = performance.now() - start;
        await io.close(fd);
        return { writeMs, readMs, direct };
      } finally {
        await io.shutdown();
      }
    },
  };
}

const fsPromisesVariant: Variant = {
  name: 'fs.promises',
  async run(root, valueBytes, count, concurrency) {
    const slotBytes = Math.ceil(valueBytes / SLOT_ALIGN_BYTES) * SLOT_ALIGN_BYTES;
    const path = join(root, 'baseline.bin');
    const handle = await fsp.open(path, 'w+');
    try {
      const zeros = Buffer.alloc(Math.min(slotBytes * count, 8 << 20));
      for (let offset = 0; offset < slotBytes * count; offset += zeros.byteLength) {
        await handle.write(zeros, 0, Math.min(zeros.byteLength, slotBytes * count - offset), offset);
      }
      const data = value(valueBytes);
      let start = performance.now();
      await pool(count, concurrency, async (i) => {
        const { bytesWritten } = await handle.write(data, 0, valueBytes, i * slotBytes);
        if (bytesWritten !== valueBytes) throw new Error('short write');
      });
      const writeMs = performance.now() - start;
      const order = shuffled(count);
      start = performance.now();
      await pool(count, concurrency, async (i) => {
        const out = Buffer.allocUnsafe(valueBytes);
        const { bytesRead } = await handle.read(out, 0, valueBytes, order[i]! * slotBytes);
        if (bytesRead !== valueBytes) throw new Error('short read');
      });
      const readMs = performance.now() - start;
      return { writeMs, readMs, direct: false };
    } finally {
      await handle.close();
      await fsp.rm(path, { force: true });
    }
  },
};

async function variants(log: (line: string) => void): Promise<Variant[]> {
  const list: Variant[] = [fsPromisesVariant];
  list.push(regionVariant('scratch on FsIo', async (root) => new FsIo({ root }), undefined));
  list.push(regionVariant('scratch on FsIo, buffered', async (root) => new FsIo({ root }), false));
  const support = UringIo.isSupported();
  const uring = support.supported ? async (root: string): Promise<Io> => new UringIo({ root }) : undefined;
  if (!support.supported) log(`io_uring variants skipped: ${support.reason ?? 'io_uring is unavailable'}`);
  if (uring !== undefined) {
    list.push(rawIoVariant('UringIo raw pwrite/pread', uring, true));
    list.push(regionVariant('scratch on UringIo', uring, undefined));
    list.push(regionVariant('scratch on UringIo, buffered', uring, false));
  }
  return list;
}

function median(values: readonly number[]): number {
  const sorted = [...values].sort((a, b) => a - b);
  const mid = Math.floor(sorted.length / 2);
  return sorted.length % 2 === 1 ? sorted[mid]! : (sorted[mid - 1]! + sorted[mid]!) / 2;
}

/** Runs the benchmark and prints a table; resolves with the rows. */
export async function runScratchBench(options: ScratchBenchOptions = {}): Promise<ScratchBenchRow[]> {
  const log = options.log ?? ((line: string) => console.log(line));
  const quick = options.quick ?? false;
  const runs = options.runs ?? (quick ? 1 : 5);
  const concurrency = options.concurrency ?? 32;
  const base = mkdtempSync(join(options.dir ?? tmpdir(), 'faultline-scratch-bench-'));
  const cases = [
    { valueBytes: 4096, count: quick ? 512 : 16_384 },
    { valueBytes: 65_536, count: quick ? 64 : 2048 },
  ];
  const rows: ScratchBenchRow[] = [];
  try {
    const list = await variants(log);
    log(`scratch bench: ${runs} run(s) per cell, median shown, concurrency ${concurrency}`);
    if (!quick) {
      // One untimed round first, so the JIT and the file system are warm for every variant alike.
      const root = mkdtempSync(join(base, 'warmup-'));
      try {
        for (const variant of list) await variant.run(root, 4096, 1024, concurrency);
      } finally {
        rmSync(root, { recursive: true, force: true });
      }
    }
    for (const { valueBytes, count } of cases) {
      const samples = new Map<string, { writes: number[]; reads: number[]; direct: boolean }>();
      for (const variant of list) samples.set(variant.name, { writes: [], reads: [], direct: false });
      // Variants interleaved within each run, so a burst of load from elsewhere hits them alike.
      for (let run = 0; run < runs; run += 1) {
        for (const variant of list) {
          const root = mkdtempSync(join(base, 'run-'));
          try {
            const result = await variant.run(root, valueBytes, count, concurrency);
            const sample = samples.get(variant.name)!;
            sample.writes.push(result.writeMs);
            sample.reads.push(result.readMs);
            sample.direct = result.direct;
          } finally {
            rmSync(root, { recursive: true, force: true });
          }
        }
      }
      const medians = new Map<string, { writeMs: number; readMs: number; direct: boolean }>();
      for (const [name, sample] of samples) {
        medians.set(name, { writeMs: median(sample.writes), readMs: median(sample.reads), direct: sample.direct });
      }
      const baseline = medians.get(fsPromisesVariant.name)!;
      for (const phase of ['write', 'read'] as const) {
        log('');
        log(`${valueBytes / 1024} KiB values, ${phase}s (${count} ops)`);
        log(`  ${'variant'.padEnd(30)} ${'O_DIRECT'.padStart(8)} ${'ops/s'.padStart(10)} ${'MB/s'.padStart(9)} ${'vs fs.promises'.padStart(15)}`);
        const baseMs = phase === 'write' ? baseline.writeMs : baseline.readMs;
        for (const [name, m] of medians) {
          const ms = phase === 'write' ? m.writeMs : m.readMs;
          const opsPerSec = count / (ms / 1000);
          const mbPerSec = (count * valueBytes) / 1e6 / (ms / 1000);
          const ratio = baseMs / ms;
          rows.push({ variant: name, valueBytes, phase, opsPerSec, mbPerSec, ratio, direct: m.direct });
          log(`  ${name.padEnd(30)} ${(m.direct ? 'yes' : 'no').padStart(8)} ${opsPerSec.toFixed(0).padStart(10)} ${mbPerSec.toFixed(1).padStart(9)} ${`${ratio.toFixed(2)}x`.padStart(15)}`);
        }
      }
    }
  } finally {
    rmSync(base, { recursive: true, force: true });
  }
  return rows;
}

function argValue(name: string): string | undefined {
  const index = process.argv.indexOf(name);
  return index >= 0 ? process.argv[index + 1] : undefined;
}

if (process.argv[1] !== undefined && import.meta.url === pathToFileURL(process.argv[1]).href) {
  const runsArg = argValue('--runs');
  const dirArg = argValue('--dir');
  await runScratchBench({
    quick: process.argv.includes('--quick'),
    ...(runsArg === undefined ? {} : { runs: Number(runsArg) }),
    ...(dirArg === undefined ? {} : { dir: dirArg }),
  });
}
