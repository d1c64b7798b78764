/**
 * One measurement of one JavaScript runner of `uring-reads.ts`, in a process of its own:
 * `node uring-runner.js '<RunnerRequest JSON>'` sets up the runner's Io (or file handle), warms it,
 * measures it and prints one {@link RunnerResult} JSON line.
 *
 * Why a process per measurement: fio, libuv's ring and the C references each ran in a fresh
 * process of their own while every UringIo and Storage runner shared the bench's process, its
 * event loop and its JIT. Warming that shared loop with other Io kinds made one UringIo about 9%
 * slower at one read in flight than the same code in a fresh process, so the comparison was not
 * like for like. Now every runner starts alike: a fresh Node.js process, the same file (its pages
 * stay cached between processes), a short warm-up, then the timed run.
 */
import { closeSync, constants, fdatasync, openSync, read as fsRead, write as fsWrite } from 'node:fs';
import { open as fsOpen } from 'node:fs/promises';
import { fileURLToPath } from 'node:url';
import { UringIo, type UringIoOptions } from '../src/backends/iouring/index.js';
import { readBatch, writeBatch, type BatchEntry } from '../src/batch/index.js';
import { createStorage } from '../src/storage/index.js';
import { loadBinding } from '../src/native/binding.js';
import { R_ALIGNED, R_BATCH, R_BATCH_ALIGNED, R_COALESCE_OFF, R_COALESCE_ON, R_INLINE_COALESCED, R_INLINE_WRITES, R_LINKED, R_PROMISES, R_RING_ONLY, R_SQPOLL, R_STORAGE, R_WAIT_IN_RING,
  R_STORAGE_INLINE_VECTORED, R_STORAGE_INLINE_WRITES, R_URING, R_UV, type Figures, type Workload } from './uring-goals.js';
import { answerOf, runNodeChild } from './json-child.js';

export const BLOCK_BYTES = 4096;
/** The Storage partition and blob every random workload runs on; raw runners add the header to its data offsets. */
export const BENCH_PARTITION = 'bench';
export const BENCH_BLOB = 'data';
/** A child gets its run and warm-up time plus this much (start-up, ring set-up) before it is stopped. */
const CHILD_GRACE_MS = 60_000;
/** Starts the one stderr line that says why a child failed (its stack comes before it). */
const CHILD_ERROR_PREFIX = 'uring-runner failed: ';
/** A loop checks the clock once per this many operations: performance.now() is not free at 1M ops/s. */
const OPS_PER_CLOCK_CHECK = 64;

/** What one child measures. */
export interface RunnerRequest {
  runner: string;
  workload: Workload;
  depth: number;
  seconds: number;
  warmupSeconds: number;
  /** The Io root: the Storage's root, where the blob lives. */
  dir: string;
  /** Blocks of the blob's data the random offsets cover. */
  blocks: number;
  /** The blob's header: raw runners address its data past it. */
  headerBytes: number;
  /** Ring size of every UringIo (the largest depth of the run, as for every runner alike). */
  queueDepth: number;
}

/** The ring's counters of a UringIo runner's measuring process (for the run's closing line). */
export interface RingCounters { enterCalls: number; submitEnterCalls: number; submittedSqes: number; inlineReads: number; inlineMisses: number; inlineWrites: number }

export interface RunnerResult { figures: Figures; ring?: RingCounters }

/** The runners this file measures, by workload (the others, fio and the C references, are programs of their own). */
export const JS_RUNNERS: Readonly<Record<Workload, readonly string[]>> = {
  'read': [R_URING, R_STORAGE, R_PROMISES, R_UV, R_BATCH, R_ALIGNED, R_BATCH_ALIGNED, R_RING_ONLY, R_COALESCE_ON, R_COALESCE_OFF, R_SQPOLL],
  'read-direct': [R_URING, R_STORAGE, R_PROMISES, R_UV, R_BATCH, R_WAIT_IN_RING],
  'write': [R_URING, R_STORAGE, R_PROMISES, R_UV, R_BATCH, R_INLINE_WRITES, R_INLINE_COALESCED, R_STORAGE_INLINE_WRITES, R_STORAGE_INLINE_VECTORED, R_SQPOLL, R_WAIT_IN_RING],
  'write-direct': [R_URING, R_STORAGE, R_PROMISES, R_UV, R_BATCH, R_WAIT_IN_RING],
  'append': [R_URING, R_LINKED, R_STORAGE, R_PROMISES, R_SQPOLL, R_UV, R_WAIT_IN_RING, R_INLINE_WRITES, R_STORAGE_INLINE_WRITES],
};

/** The blob's file under the Io root (Storage names a blob's file by its name in hex). */
export function blobFileName(): string {
  return `${BENCH_PARTITION}/${Buffer.from(BENCH_BLOB).toString('hex')}`;
}

// xorshift: cheap and identical across runners, so each sees the same offset stream.
function offsets(seed: number, blocks: number): () => number {
  let x = seed | 0 || 1;
  return () => {
    x ^= x << 13; x ^= x >>> 17; x ^= x << 5;
    return ((x >>> 0) % blocks) * BLOCK_BYTES;
  };
}

/** Runs `work`, which resolves with the operations it made, and turns its wall and CPU time into figures. */
async function measured(work: () => Promise<number>): Promise<Figures> {
  const cpuStart = process.cpuUsage();
  const startMs = performance.now();
  const count = await work();
  const elapsedMs = performance.now() - startMs;
  const cpu = process.cpuUsage(cpuStart);
  return { opsPerSecond: count / (elapsedMs / 1000), cpuUsPerOp: (cpu.user + cpu.system) / Math.max(count, 1) };
}

type Op = (buffer: Uint8Array, offsetBytes: number) => Promise<unknown>;
type Alloc = (n: number) => Uint8Array;

/** Runs `depth` loops of `op` until `seconds` pass; returns ops/s and CPU time per op. */
function timed(depth: number, seconds: number, blocks: number, op: Op, alloc: Alloc): Promise<Figures> {
  return measured(async () => {
    const endMs = performance.now() + seconds * 1000;
    let count = 0;
    await Promise.all(Array.from({ length: depth }, async (_, i) => {
      const next = offsets(i + 1, blocks);
      const buffer = alloc(BLOCK_BYTES);
      buffer.fill(i & 0xff);
      while (performance.now() < endMs) {
        for (let k = 0; k < OPS_PER_CLOCK_CHECK; k += 1) {
          await op(buffer, next());
          count += 1;
        }
      }
    }));
    return count;
  });
}

async function warmAndTime(req: RunnerRequest, op: Op, alloc: Alloc): Promise<Figures> {
  await timed(req.depth, req.warmupSeconds, req.blocks, op, alloc);
  return timed(req.depth, req.seconds, req.blocks, op, alloc);
}

/**
 * One loop of batches of `depth` transfers (readBatch/writeBatch), each awaited before the next;
 * entry `i` draws its offsets from the stream loop `i` of {@link timed} uses. The entry objects are
 * reused from batch to batch (a batch reads them once, at the call), as a caller that batches for
 * speed would.
 */
async function timedBatches(req: RunnerRequest, batch: (entries: BatchEntry[]) => Promise<unknown>, alloc: Alloc, fd: number): Promise<Figures> {
  const streams = Array.from({ length: req.depth }, (_, i) => offsets(i + 1, req.blocks));
  const entries = Array.from({ length: req.depth }, (_, i) => {
    const buffer = alloc(BLOCK_BYTES);
    buffer.fill(i & 0xff);
    return { fd, buffer, offsetBytes: 0 };
  });
  const run = async (untilMs: number): Promise<number> => {
    let count = 0;
    while (performance.now() < untilMs) {
      for (let i = 0; i < req.depth; i += 1) (entries[i] as { offsetBytes: number }).offsetBytes = req.headerBytes + (streams[i] as () => number)();
      await batch(entries);
      count += req.depth;
    }
    return count;
  };
  await run(performance.now() + req.warmupSeconds * 1000);
  return measured(() => run(performance.now() + req.seconds * 1000));
}

/** The UringIo options of each UringIo runner (the Storage runners use their raw twin's). */
function uringOptions(runner: string): Omit<UringIoOptions, 'root' | 'queueDepth'> | undefined {
  switch (runner) {
    case R_URING: case R_STORAGE: case R_BATCH: case R_LINKED: case R_ALIGNED: case R_BATCH_ALIGNED: return {};
    case R_RING_ONLY: return { inlineReads: false };
    case R_COALESCE_ON: return { coalesceReads: true };
    case R_COALESCE_OFF: return { coalesceReads: false };
    case R_INLINE_WRITES: case R_STORAGE_INLINE_WRITES: case R_STORAGE_INLINE_VECTORED: return { inlineWrites: true };
    case R_INLINE_COALESCED: return { inlineWrites: true, coalesceWrites: true };
    case R_SQPOLL: return { sqpoll: true };
    case R_WAIT_IN_RING: return { waitInRing: true };
    default: return undefined;
  }
}

function counters(io: UringIo): RingCounters {
  const info = io.ringInfo;
  return { enterCalls: info.enterCalls, submitEnterCalls: info.submitEnterCalls, submittedSqes: info.submittedSqes, inlineReads: info.inlineReads, inlineMisses: info.inlineMisses, inlineWrites: info.inlineWrites };
}

/** fs callbacks as one promise per transfer (on libuv's ring when the process has UV_USE_IO_URING=1). */
function fsCallback(fd: number, write: boolean): (buffer: Uint8Array, positionBytes: number) => Promise<number> {
  return (buffer, position) => new Promise((resolve, reject) => {
    const done = (err: NodeJS.ErrnoException | null, n: number): void => (err ? reject(err) : resolve(n));
    if (write) fsWrite(fd, buffer, 0, BLOCK_BYTES, position, done);
    else fsRead(fd, buffer, 0, BLOCK_BYTES, position, done);
  });
}

/** Synced appends (one at a time, each write followed by fdatasync), each runner to a file of its own started empty. */
async function measureAppend(req: RunnerRequest, io: UringIo | undefined): Promise<Figures> {
  const ordinary: Alloc = (n) => Buffer.alloc(n);
  const appendBlocks = 1 << 30;
  const file = `append-${req.runner.replace(/[^A-Za-z0-9]+/g, '-')}.bin`;
  let endBytes = 0;
  const appendTimed = (op: (buffer: Uint8Array) => Promise<void>): Promise<Figures> =>
    timed(1, req.seconds, appendBlocks, async (buffer) => {
      await op(buffer);
      endBytes += BLOCK_BYTES;
    }, ordinary);
  if (io !== undefined && (req.runner === R_STORAGE || req.runner === R_STORAGE_INLINE_WRITES)) {
    const storage = createStorage(io);
    try {
      await storage.remove(BENCH_PARTITION, 'append').catch((err: unknown) => {
        if ((err as { code?: string }).code !== 'ENOENT') throw err;
      });
      const blob = (await storage.open(BENCH_PARTITION, 'append')).blob;
      const figures = await appendTimed((b) => blob.writeAtDurable(endBytes, b));
      await blob.close();
      return figures;
    } finally {
      await storage.close();
    }
  }
  if (io !== undefined) {
    const fd = await io.open(file, { write: true, create: true, truncate: true });
    try {
      if (req.runner === R_URING) {
        return await appendTimed(async (b) => {
          await io.write(fd, b, endBytes);
          await io.fsync(fd, { dataOnly: true });
        });
      }
      return await appendTimed((b) => io.writeDurable(fd, b, endBytes, { dataOnly: true }).then(() => undefined));
    } finally {
      await io.close(fd);
    }
  }
  const path = `${req.dir}/${file}`;
  if (req.runner === R_PROMISES) {
    const handle = await fsOpen(path, 'w');
    try {
      return await appendTimed(async (b) => {
        await handle.write(b, 0, BLOCK_BYTES, endBytes);
        await handle.datasync();
      });
    } finally {
      await handle.close();
    }
  }
  const fd = openSync(path, 'w');
  try {
    return await appendTimed((b) => new Promise<void>((resolve, reject) => {
      fsWrite(fd, b, 0, BLOCK_BYTES, endBytes, (err) => {
        if (err) return reject(err);
        fdatasync(fd, (syncErr) => (syncErr ? reject(syncErr) : resolve()));
      });
    }));
  } finally {
    closeSync(fd);
  }
}

/**
 * Aligned buffers for O_DIRECT on every side (from the addon where there is no UringIo: the fs
 * runners), and for the allocAligned runners; ordinary ones for cached I/O, as a program uses them.
 */
function allocator(aligned: boolean, io: UringIo | undefined): Alloc {
  if (!aligned) return (n) => Buffer.alloc(n);
  if (io !== undefined) return (n) => io.allocAligned(n);
  const binding = loadBinding();
  if (!binding.ok) throw new Error(`uring-runner: no aligned buffers without the addon: ${binding.reason}`);
  return (n) => binding.binding.allocAligned(n);
}

/** A random workload through fs.promises or fs callbacks (the process's libuv, its ring if UV_USE_IO_URING=1). */
async function measureFs(req: RunnerRequest, write: boolean, direct: boolean, alloc: Alloc): Promise<Figures> {
  const filePath = `${req.dir}/${blobFileName()}`;
  const flags = (write ? constants.O_RDWR : constants.O_RDONLY) | (direct ? constants.O_DIRECT : 0);
  const header = req.headerBytes;
  if (req.runner === R_PROMISES) {
    const handle = await fsOpen(filePath, flags);
    try {
      const op: Op = write ? (b, at) => handle.write(b, 0, BLOCK_BYTES, header + at) : (b, at) => handle.read(b, 0, BLOCK_BYTES, header + at);
      return await warmAndTime(req, op, alloc);
    } finally {
      await handle.close();
    }
  }
  const fd = openSync(filePath, flags);
  try {
    const op = fsCallback(fd, write);
    return await warmAndTime(req, (b, at) => op(b, header + at), alloc);
  } finally {
    closeSync(fd);
  }
}

/** A random workload through a blob of Storage on `io` (readInto fills the caller's buffer as the raw read does). */
async function measureStorage(req: RunnerRequest, io: UringIo, write: boolean, direct: boolean, alloc: Alloc): Promise<Figures> {
  const storage = createStorage(io, { direct });
  try {
    const blob = (await storage.open(BENCH_PARTITION, BENCH_BLOB)).blob;
    // Each loop's block split once, as a log writer holds a record's head and body apart.
    const pieces = new WeakMap<Uint8Array, Uint8Array[]>();
    const split = (b: Uint8Array): Uint8Array[] => {
      let two = pieces.get(b);
      if (two === undefined) pieces.set(b, two = [b.subarray(0, 16), b.subarray(16)]);
      return two;
    };
    const op: Op = !write ? (b, at) => blob.readInto(b, at)
      : req.runner === R_STORAGE_INLINE_VECTORED ? (b, at) => blob.writeAt(at, split(b)) : (b, at) => blob.writeAt(at, b);
    const figures = await warmAndTime(req, op, alloc);
    await blob.close();
    return figures;
  } finally {
    await storage.close();
  }
}

/** A random workload through `io` itself, one promise per transfer or (R_BATCH, R_BATCH_ALIGNED) one per batch of QD. */
async function measureRaw(req: RunnerRequest, io: UringIo, write: boolean, direct: boolean, alloc: Alloc): Promise<Figures> {
  const fd = await io.open(blobFileName(), { write, direct });
  const header = req.headerBytes;
  try {
    if (BATCH_RUNNERS.includes(req.runner)) {
      const batch = write ? (entries: BatchEntry[]) => writeBatch(io, entries) : (entries: BatchEntry[]) => readBatch(io, entries);
      return await timedBatches(req, batch, alloc, fd);
    }
    const op: Op = write ? (b, at) => io.write(fd, b, header + at) : (b, at) => io.read(fd, b, header + at);
    return await warmAndTime(req, op, alloc);
  } finally {
    await io.close(fd);
  }
}

const STORAGE_RUNNERS: readonly string[] = [R_STORAGE, R_STORAGE_INLINE_WRITES, R_STORAGE_INLINE_VECTORED];
/** The runners that issue readBatch/writeBatch, and those that read into allocAligned buffers on cached rows too. */
const BATCH_RUNNERS: readonly string[] = [R_BATCH, R_BATCH_ALIGNED];
const ALIGNED_RUNNERS: readonly string[] = [R_ALIGNED, R_BATCH_ALIGNED];

/** Whether this kernel and user may have a UringIo with `sqpoll: true`; `why` hears the reason when not. */
export async function sqpollAvailable(dir: string, why?: (reason: string) => void): Promise<boolean> {
  try {
    await new UringIo({ root: dir, queueDepth: 1, sqpoll: true }).shutdown();
    return true;
  } catch (err) {
    why?.(err instanceof Error ? err.message : String(err));
    return false;
  }
}

/** Measures `req` in this process: sets up its runner, warms it, times it, tears it down. */
export async function measureRunner(req: RunnerRequest): Promise<RunnerResult> {
  if (!JS_RUNNERS[req.workload].includes(req.runner)) throw new Error(`uring-runner: no runner "${req.runner}" for ${req.workload}`);
  const options = uringOptions(req.runner);
  const io = options === undefined ? undefined : new UringIo({ root: req.dir, queueDepth: req.queueDepth, ...options });
  try {
    let figures: Figures;
    if (req.workload === 'append') {
      figures = await measureAppend(req, io);
    } else {
      const write = req.workload.startsWith('write');
      const direct = req.workload.endsWith('direct');
      const alloc = allocator(direct || ALIGNED_RUNNERS.includes(req.runner), io);
      if (io === undefined) figures = await measureFs(req, write, direct, alloc);
      else if (STORAGE_RUNNERS.includes(req.runner)) figures = await measureStorage(req, io, write, direct, alloc);
      else figures = await measureRaw(req, io, write, direct, alloc);
    }
    return io === undefined ? { figures } : { figures, ring: counters(io) };
  } finally {
    await io?.shutdown();
  }
}

/**
 * Measures `req` in a fresh child process running this file; fs callbacks (`R_UV`) get
 * UV_USE_IO_URING=1, every other runner UV_USE_IO_URING=0 so that libuv's ring is only where it is
 * asked for.
 */
export async function measureRunnerInChild(req: RunnerRequest): Promise<RunnerResult> {
  const env: NodeJS.ProcessEnv = { ...process.env, UV_USE_IO_URING: req.runner === R_UV ? '1' : '0' };
  // Under tsx the loader flags are in execArgv; compiled runs have none.
  const args = [...process.execArgv, fileURLToPath(import.meta.url), JSON.stringify(req)];
  const outcome = await runNodeChild(args, env, (req.seconds + req.warmupSeconds) * 1000 + CHILD_GRACE_MS);
  const answer = answerOf<RunnerResult>(outcome);
  if (answer !== undefined) return answer;
  const lines = outcome.stderr.trim().split('\n');
  const said = lines.filter((l) => l.startsWith(CHILD_ERROR_PREFIX)).pop()?.slice(CHILD_ERROR_PREFIX.length) ?? lines.slice(-3).join(' | ');
  throw new Error(`${req.runner} (${req.workload}, QD ${req.depth}) ${outcome.hung ? 'hung, stopped' : `exited ${outcome.signal ?? outcome.code}`}: ${said}`);
}

if (process.argv[1] === fileURLToPath(import.meta.url)) {
  try {
    const req = JSON.parse(process.argv[2] ?? '') as RunnerRequest;
    process.stdout.write(`${JSON.stringify(await measureRunner(req))}\n`);
  } catch (err) {
    process.stderr.write(`${err instanceof Error ? err.stack ?? err.message : String(err)}\n${CHILD_ERROR_PREFIX}${err instanceof Error ? err.message : String(err)}\n`);
    process.exitCode = 1;
  }
}
