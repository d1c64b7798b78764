/**
 * io_uring reads side by side: UringIo's promise API vs fs.promises (FileHandle.read) vs fs.read
 * callbacks, on the same file with the same number of operations in flight.
 *
 *   node --import tsx bench/uring-reads.ts [--quick] [--depth 64] [--seconds 3] [--file-mib 256]
 *
 * Workloads: 4 KiB random reads of a cached file; 4 KiB random O_DIRECT reads (UringIo and fs.read
 * on aligned buffers); 4 KiB appends each followed by fdatasync. Prints ops/s per workload and
 * the UringIo/fs ratios. Files live under <repo>/.bench-tmp (a real disk: tmpfs has no O_DIRECT).
 */
import { closeSync, constants, fdatasyncSync, mkdirSync, openSync, read as fsRead, rmSync, writeSync } from 'node:fs';
import { open as fsOpen } from 'node:fs/promises';
import { join } from 'node:path';
import { UringIo } from '../src/backends/iouring/index.js';
import { packageRoot } from '../src/native/binding.js';

interface Args { quick: boolean; depth: number; seconds: number; fileMiB: number }

function parseArgs(argv: readonly string[]): Args {
  const quick = argv.includes('--quick');
  const value = (flag: string, fallback: number): number => {
    const at = argv.indexOf(flag);
    return at >= 0 && argv[at + 1] !== undefined ? Number(argv[at + 1]) : fallback;
  };
  return { quick, depth: value('--depth', 64), seconds: value('--seconds', quick ? 1 : 3), fileMiB: value('--file-mib', quick ? 64 : 256) };
}

const BLOCK = 4096;
const args = parseArgs(process.argv.slice(2));
const support = UringIo.isSupported();
if (!support.supported) {
  console.log(`io_uring unavailable, nothing to compare: ${support.reason ?? ''}`);
  process.exit(0);
}

const dir = join(packageRoot() ?? process.cwd(), '.bench-tmp', `uring-reads-${process.pid}`);
mkdirSync(dir, { recursive: true });
const fileName = 'data.bin';
const filePath = join(dir, fileName);
const blocks = (args.fileMiB * 1024 * 1024) / BLOCK;

function makeFile(): void {
  const fd = openSync(filePath, 'w');
  const chunk = Buffer.alloc(1 << 20);
  for (let i = 0; i < chunk.length; i += 1) chunk[i] = (i * 31) & 0xff;
  for (let i = 0; i < args.fileMiB; i += 1) writeSync(fd, chunk);
  fdatasyncSync(fd);
  closeSync(fd);
}

// xorshift: cheap and identical across runners, so each sees the same offset stream.
function offsets(seed: number): () => number {
  let x = seed | 0 || 1;
  return () => {
    x ^= x << 13; x ^= x >>> 17; x ^= x << 5;
    return ((x >>> 0) % blocks) * BLOCK;
  };
}

/** Runs `depth` loops of `op` until `seconds` pass; returns ops/s. */
async function timed(depth: number, seconds: number, op: (next: () => number, buffer: Uint8Array) => Promise<unknown>,
  alloc: (n: number) => Uint8Array = (n) => Buffer.alloc(n)): Promise<number> {
  const endMs = performance.now() + seconds * 1000;
  let count = 0;
  const loops = Array.from({ length: depth }, async (_, i) => {
    const next = offsets(i + 1);
    const buffer = alloc(BLOCK);
    while (performance.now() < endMs) {
      // Check the clock only every 64 ops: performance.now() is not free at 1M ops/s.
      for (let k = 0; k < 64; k += 1) {
        await op(next, buffer);
        count += 1;
      }
    }
  });
  const startMs = performance.now();
  await Promise.all(loops);
  return count / ((performance.now() - startMs) / 1000);
}

function fsReadCb(fd: number, buffer: Uint8Array, position: number): Promise<number> {
  return new Promise((resolve, reject) => fsRead(fd, buffer, 0, BLOCK, position, (err, n) => (err ? reject(err) : resolve(n))));
}

const results: Array<[string, string, number]> = [];
function report(workload: string, runner: string, opsPerSecond: number): void {
  results.push([workload, runner, opsPerSecond]);
  console.log(`${workload.padEnd(28)} ${runner.padEnd(28)} ${Math.round(opsPerSecond).toLocaleString('en-US').padStart(12)} ops/s`);
}

async function main(): Promise<void> {
  console.log(`depth ${args.depth}, ${args.seconds}s per run, file ${args.fileMiB} MiB, 4 KiB blocks`);
  makeFile();
  const io = new UringIo({ root: dir, queueDepth: Math.max(args.depth, 1) });
  try {
    // Cached random reads.
    const ufd = await io.open(fileName);
    await timed(args.depth, 0.3, (next, b) => io.read(ufd, b, next())); // warm-up (page cache, JIT)
    report('cached random read', 'UringIo (promise)', await timed(args.depth, args.seconds, (next, b) => io.read(ufd, b, next())));
    const handle = await fsOpen(filePath, 'r');
    report('cached random read', 'fs.promises FileHandle.read', await timed(args.depth, args.seconds, (next, b) => handle.read(b, 0, BLOCK, next())));
    await handle.close();
    const cfd = openSync(filePath, 'r');
    report('cached random read', 'fs.read callbacks', await timed(args.depth, args.seconds, (next, b) => fsReadCb(cfd, b, next())));
    closeSync(cfd);
    await io.close(ufd);

    // O_DIRECT random reads.
    const dfd = await io.open(fileName, { direct: true });
    const aligned = (n: number): Uint8Array => io.allocAligned(n);
    report('O_DIRECT random read', 'UringIo (promise)', await timed(args.depth, args.seconds, (next, b) => io.read(dfd, b, next()), aligned));
    await io.close(dfd);
    const nfd = openSync(filePath, constants.O_RDONLY | constants.O_DIRECT);
    report('O_DIRECT random read', 'fs.read callbacks', await timed(args.depth, args.seconds, (next, b) => fsReadCb(nfd, b, next()), aligned));
    closeSync(nfd);

    // Synced appends (depth 1: each write is followed by fdatasync before the next).
    const afd = await io.open('append.bin', { write: true, create: true, truncate: true });
    let uringEnd = 0;
    report('4 KiB append + fdatasync', 'UringIo (promise)', await timed(1, args.seconds, async (_next, b) => {
      await io.write(afd, b, uringEnd);
      uringEnd += BLOCK;
      await io.fsync(afd, { dataOnly: true });
    }));
    await io.close(afd);
    const ahandle = await fsOpen(join(dir, 'append-fs.bin'), 'w');
    let fsEnd = 0;
    report('4 KiB append + fdatasync', 'fs.promises FileHandle', await timed(1, args.seconds, async (_next, b) => {
      await ahandle.write(b, 0, BLOCK, fsEnd);
      fsEnd += BLOCK;
      await ahandle.datasync();
    }));
    await ahandle.close();
    const info = io.ringInfo;
    console.log(`ring: ${info.sqEntries} SQ entries, ${info.enterCalls} io_uring_enter calls for ${info.submittedSqes} SQEs`);
  } finally {
    await io.shutdown();
    rmSync(dir, { recursive: true, force: true });
  }
  const get = (w: string, r: string): number => results.find(([a, b]) => a === w && b === r)?.[2] ?? Number.NaN;
  const ratio = (a: number, b: number): string => `${(a / b).toFixed(2)}x`;
  console.log(`UringIo / fs.promises (cached): ${ratio(get('cached random read', 'UringIo (promise)'), get('cached random read', 'fs.promises FileHandle.read'))}`);
  console.log(`UringIo / fs.read (cached):     ${ratio(get('cached random read', 'UringIo (promise)'), get('cached random read', 'fs.read callbacks'))}`);
}

await main();
