/**
 * io_uring reads side by side: UringIo's promise API vs fs.promises (FileHandle.read) vs fs.read
 * callbacks vs fio's io_uring engine, on the same file with the same number of operations in flight.
 *
 *   node --import tsx bench/uring-reads.ts [--quick] [--depth 1,64] [--seconds 3] [--runs 3]
 *                                          [--file-mib 256] [--fio | --no-fio]
 *
 * Workloads: 4 KiB random reads of a cached file; 4 KiB random O_DIRECT reads (aligned buffers);
 * 4 KiB appends each followed by fdatasync. Each workload is measured `--runs` times per depth,
 * rotating the runners' order run by run so a drifting machine favours none of them, and the
 * median is reported. Two figures per runner: ops/s (wall clock; on a shared machine this moves
 * with the neighbours' load) and CPU µs per op (user + system time of the process divided by the
 * operations: far steadier, and the fairer comparison with fio, which reports its own CPU time).
 * fio runs when it is on the PATH (skipped in --quick unless --fio; never with --no-fio).
 * Files live under <repo>/.bench-tmp (a real disk: tmpfs has no O_DIRECT).
 */
import { execFileSync } from 'node:child_process';
import { closeSync, constants, fdatasyncSync, mkdirSync, openSync, read as fsRead, rmSync, writeSync } from 'node:fs';
import { open as fsOpen } from 'node:fs/promises';
import { join } from 'node:path';
import { UringIo } from '../src/backends/iouring/index.js';
import { packageRoot } from '../src/native/binding.js';

interface Args { quick: boolean; depths: number[]; seconds: number; runs: number; fileMiB: number; fio: boolean }

const DEPTH_MAX = 4096;
const RUNS_MAX = 99;

function parseArgs(argv: readonly string[]): Args {
  const quick = argv.includes('--quick');
  const raw = (flag: string): string | undefined => {
    const at = argv.indexOf(flag);
    return at >= 0 ? argv[at + 1] : undefined;
  };
  const value = (flag: string, fallback: number): number => {
    const text = raw(flag);
    return text === undefined ? fallback : Number(text);
  };
  const depths = (raw('--depth') ?? '64').split(',').map(Number);
  if (depths.some((d) => !Number.isInteger(d) || d < 1 || d > DEPTH_MAX)) throw new Error(`--depth: integers 1..${DEPTH_MAX}, comma-separated`);
  const runs = value('--runs', quick ? 1 : 3);
  if (!Number.isInteger(runs) || runs < 1 || runs > RUNS_MAX) throw new Error(`--runs: an integer 1..${RUNS_MAX}`);
  const fio = !argv.includes('--no-fio') && (argv.includes('--fio') || !quick);
  return { quick, depths, seconds: value('--seconds', quick ? 1 : 3), runs, fileMiB: value('--file-mib', quick ? 64 : 256), fio };
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

interface Figures { opsPerSecond: number; cpuUsPerOp: number }

/** Runs `depth` loops of `op` until `seconds` pass; returns ops/s and CPU time per op. */
async function timed(depth: number, seconds: number, op: (next: () => number, buffer: Uint8Array) => Promise<unknown>,
  alloc: (n: number) => Uint8Array = (n) => Buffer.alloc(n)): Promise<Figures> {
  const endMs = performance.now() + seconds * 1000;
  let count = 0;
  const cpuStart = process.cpuUsage();
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
  const elapsedMs = performance.now() - startMs;
  const cpu = process.cpuUsage(cpuStart);
  return { opsPerSecond: count / (elapsedMs / 1000), cpuUsPerOp: (cpu.user + cpu.system) / Math.max(count, 1) };
}

function fsReadCb(fd: number, buffer: Uint8Array, position: number): Promise<number> {
  return new Promise((resolve, reject) => fsRead(fd, buffer, 0, BLOCK, position, (err, n) => (err ? reject(err) : resolve(n))));
}

interface FioJson { jobs: Array<{ read: { iops: number; total_ios: number }; usr_cpu: number; sys_cpu: number; job_runtime: number }> }

/** fio's io_uring engine on the same file: ops/s and CPU µs per op from its own accounting. */
function fioRandRead(depth: number, seconds: number, direct: boolean): Figures {
  const out = execFileSync('fio', [
    '--name=uring-reads', `--filename=${filePath}`, '--rw=randread', `--bs=${BLOCK}`, `--size=${args.fileMiB}M`,
    '--ioengine=io_uring', `--iodepth=${depth}`, `--direct=${direct ? 1 : 0}`, '--invalidate=0', '--norandommap', '--randrepeat=0',
    '--time_based', `--runtime=${Math.max(1, Math.round(seconds * 1000))}ms`, '--output-format=json',
  ], { encoding: 'utf8', timeout: (seconds + 60) * 1000, maxBuffer: 16 << 20 });
  const job = (JSON.parse(out.slice(out.indexOf('{'))) as FioJson).jobs[0];
  if (job === undefined) throw new Error('fio printed no job');
  const ops = Math.max(job.read.total_ios, 1);
  return { opsPerSecond: job.read.iops, cpuUsPerOp: ((job.usr_cpu + job.sys_cpu) / 100) * job.job_runtime * 1000 / ops };
}

interface FioWriteJson { jobs: Array<{ write: { iops: number; total_ios: number }; usr_cpu: number; sys_cpu: number; job_runtime: number }> }

/** fio's io_uring engine appending 4 KiB with an fdatasync after each write (its `--fdatasync=1`), QD 1. */
function fioSyncAppend(seconds: number): Figures {
  const path = join(dir, 'append-fio.bin');
  rmSync(path, { force: true });
  const out = execFileSync('fio', [
    '--name=sync-append', `--filename=${path}`, '--rw=write', `--bs=${BLOCK}`, '--size=256M', '--ioengine=io_uring', '--iodepth=1',
    '--fdatasync=1', '--fallocate=none', '--time_based', `--runtime=${Math.max(1, Math.round(seconds * 1000))}ms`, '--output-format=json',
  ], { encoding: 'utf8', timeout: (seconds + 60) * 1000, maxBuffer: 16 << 20 });
  rmSync(path, { force: true });
  const job = (JSON.parse(out.slice(out.indexOf('{'))) as FioWriteJson).jobs[0];
  if (job === undefined) throw new Error('fio printed no job');
  const ops = Math.max(job.write.total_ios, 1);
  return { opsPerSecond: job.write.iops, cpuUsPerOp: ((job.usr_cpu + job.sys_cpu) / 100) * job.job_runtime * 1000 / ops };
}

function fioAvailable(): boolean {
  try {
    execFileSync('fio', ['--version'], { stdio: 'ignore', timeout: 10_000 });
    return true;
  } catch {
    return false;
  }
}

function median(values: readonly number[]): number {
  const sorted = [...values].sort((a, b) => a - b);
  const mid = sorted.length >> 1;
  return sorted.length % 2 === 1 ? sorted[mid] as number : ((sorted[mid - 1] as number) + (sorted[mid] as number)) / 2;
}

type Runner = readonly [name: string, measure: () => Promise<Figures>];

const results: Array<{ workload: string; depth: number; runner: string; figures: Figures }> = [];

/** Measures every runner `args.runs` times, rotating the order, and prints the medians. */
async function compare(workload: string, depth: number, runners: readonly Runner[]): Promise<void> {
  const samples = runners.map(() => [] as Figures[]);
  for (let run = 0; run < args.runs; run += 1) {
    for (let k = 0; k < runners.length; k += 1) {
      const index = (k + run) % runners.length;
      const runner = runners[index] as Runner;
      (samples[index] as Figures[]).push(await runner[1]());
    }
  }
  runners.forEach(([name], index) => {
    const runs = samples[index] as Figures[];
    const figures = { opsPerSecond: median(runs.map((f) => f.opsPerSecond)), cpuUsPerOp: median(runs.map((f) => f.cpuUsPerOp)) };
    results.push({ workload, depth, runner: name, figures });
    console.log(`${workload.padEnd(26)} QD ${String(depth).padStart(3)}  ${name.padEnd(28)} ` +
      `${Math.round(figures.opsPerSecond).toLocaleString('en-US').padStart(10)} ops/s  ${figures.cpuUsPerOp.toFixed(2).padStart(6)} µs CPU/op`);
  });
}

async function main(): Promise<void> {
  const withFio = args.fio && fioAvailable();
  console.log(`depth ${args.depths.join(',')}, ${args.seconds}s per run, median of ${args.runs} run(s), file ${args.fileMiB} MiB, 4 KiB blocks` +
    `${withFio ? ', fio io_uring engine alongside' : args.fio ? ' (fio not on the PATH: skipped)' : ''}`);
  makeFile();
  const io = new UringIo({ root: dir, queueDepth: Math.max(...args.depths) });
  try {
    for (const depth of args.depths) {
      // Cached random reads.
      const ufd = await io.open(fileName);
      await timed(depth, 0.3, (next, b) => io.read(ufd, b, next())); // warm-up (page cache, JIT)
      const handle = await fsOpen(filePath, 'r');
      const cfd = openSync(filePath, 'r');
      const cached: Runner[] = [
        ['UringIo (promise)', () => timed(depth, args.seconds, (next, b) => io.read(ufd, b, next()))],
        ['fs.promises FileHandle.read', () => timed(depth, args.seconds, (next, b) => handle.read(b, 0, BLOCK, next()))],
        ['fs.read callbacks', () => timed(depth, args.seconds, (next, b) => fsReadCb(cfd, b, next()))],
      ];
      if (withFio) cached.push(['fio io_uring', () => Promise.resolve(fioRandRead(depth, args.seconds, false))]);
      await compare('cached random read', depth, cached);
      await handle.close();
      closeSync(cfd);
      await io.close(ufd);

      // O_DIRECT random reads.
      const dfd = await io.open(fileName, { direct: true });
      const nfd = openSync(filePath, constants.O_RDONLY | constants.O_DIRECT);
      const aligned = (n: number): Uint8Array => io.allocAligned(n);
      const direct: Runner[] = [
        ['UringIo (promise)', () => timed(depth, args.seconds, (next, b) => io.read(dfd, b, next()), aligned)],
        ['fs.read callbacks', () => timed(depth, args.seconds, (next, b) => fsReadCb(nfd, b, next()), aligned)],
      ];
      if (withFio) direct.push(['fio io_uring', () => Promise.resolve(fioRandRead(depth, args.seconds, true))]);
      await compare('O_DIRECT random read', depth, direct);
      await io.close(dfd);
      closeSync(nfd);
    }

    // Synced appends (depth 1: each write is followed by fdatasync before the next).
    const afd = await io.open('append.bin', { write: true, create: true, truncate: true });
    const ahandle = await fsOpen(join(dir, 'append-fs.bin'), 'w');
    const lfd = await io.open('append-linked.bin', { write: true, create: true, truncate: true });
    let uringEnd = 0;
    let linkedEnd = 0;
    let fsEnd = 0;
    await compare('4 KiB append + fdatasync', 1, [
      ['UringIo (promise)', () => timed(1, args.seconds, async (_next, b) => {
        await io.write(afd, b, uringEnd);
        uringEnd += BLOCK;
        await io.fsync(afd, { dataOnly: true });
      })],
      ['UringIo writeDurable (linked)', () => timed(1, args.seconds, async (_next, b) => {
        await io.writeDurable(lfd, b, linkedEnd, { dataOnly: true });
        linkedEnd += BLOCK;
      })],
      ['fs.promises FileHandle', () => timed(1, args.seconds, async (_next, b) => {
        await ahandle.write(b, 0, BLOCK, fsEnd);
        fsEnd += BLOCK;
        await ahandle.datasync();
      })],
      ...(withFio ? [['fio io_uring --fdatasync=1', () => Promise.resolve(fioSyncAppend(args.seconds))] as const] : []),
    ]);
    await io.close(afd);
    await io.close(lfd);
    await ahandle.close();
    const info = io.ringInfo;
    console.log(`ring: ${info.sqEntries} SQ entries, ${info.enterCalls} io_uring_enter calls for ${info.submittedSqes} SQEs`);
  } finally {
    await io.shutdown();
    rmSync(dir, { recursive: true, force: true });
  }
  const get = (w: string, d: number, r: string): Figures | undefined => results.find((x) => x.workload === w && x.depth === d && x.runner === r)?.figures;
  const ratio = (a: number | undefined, b: number | undefined): string => (a === undefined || b === undefined ? 'n/a' : `${(a / b).toFixed(2)}x`);
  const append = (r: string): number | undefined => get('4 KiB append + fdatasync', 1, r)?.opsPerSecond;
  console.log(`append: writeDurable / write+fsync: ${ratio(append('UringIo writeDurable (linked)'), append('UringIo (promise)'))}`);
  if (withFio) {
    console.log(`append: writeDurable / fio: ${ratio(append('UringIo writeDurable (linked)'), append('fio io_uring --fdatasync=1'))}, ` +
      `write+fsync / fio: ${ratio(append('UringIo (promise)'), append('fio io_uring --fdatasync=1'))}`);
  }
  for (const depth of args.depths) {
    const uc = get('cached random read', depth, 'UringIo (promise)');
    const ud = get('O_DIRECT random read', depth, 'UringIo (promise)');
    console.log(`QD ${depth}: UringIo / fs.promises (cached): ${ratio(uc?.opsPerSecond, get('cached random read', depth, 'fs.promises FileHandle.read')?.opsPerSecond)}`);
    console.log(`QD ${depth}: UringIo / fs.read (cached):     ${ratio(uc?.opsPerSecond, get('cached random read', depth, 'fs.read callbacks')?.opsPerSecond)}`);
    if (withFio) {
      const fc = get('cached random read', depth, 'fio io_uring');
      const fd = get('O_DIRECT random read', depth, 'fio io_uring');
      // CPU ratio as fio's CPU per op over ours, so above 1x means "as efficient as fio or better".
      console.log(`QD ${depth}: UringIo / fio (cached):     ${ratio(uc?.opsPerSecond, fc?.opsPerSecond)} ops/s, ${ratio(fc?.cpuUsPerOp, uc?.cpuUsPerOp)} CPU efficiency`);
      console.log(`QD ${depth}: UringIo / fio (O_DIRECT):   ${ratio(ud?.opsPerSecond, fd?.opsPerSecond)} ops/s, ${ratio(fd?.cpuUsPerOp, ud?.cpuUsPerOp)} CPU efficiency`);
    }
  }
}

await main();
