/**
 * io_uring at the native ceiling, side by side in one run: UringIo's promise API (one promise per
 * operation, and readBatch/writeBatch: one per QD operations, beside fio issuing the same lockstep
 * batches; on cached
 * reads and writes and synced appends also UringIo with `sqpoll`, like for like with libuv's
 * polled ring and with fio's `--sqthread_poll=1`; on cached writes also UringIo with the opt-in
 * `inlineWrites`, a pwrite on the JS thread, with and without `coalesceWrites`, beside fio's psync
 * engine on one thread), Storage on
 * UringIo (blob readInto/writeAt, and writeAtDurable for synced appends: readInto fills the
 * caller's buffer as the raw read does, where readAt would add an allocation per read), fs.promises, Node's own io_uring (fs callbacks in a
 * child process started with UV_USE_IO_URING=1) and fio's io_uring engine, on the same file,
 * block size, depth and buffered/direct mode. On synced appends and on O_DIRECT rows also a C
 * program driving a ring set up and woken exactly as UringIo's (`reference/ring-append.c`,
 * `reference/ring-depth.c`, built with `cc` on first use, left out with the reason printed where
 * they cannot be): it separates what the ring and its wake-up cost from what the JavaScript
 * runtime costs.
 *
 *   node --import tsx bench/uring-reads.ts [--quick] [--depth 1,8,64,256] [--seconds 0.8] [--runs 5]
 *        [--workloads read,read-direct,write,write-direct,append] [--file-mib 256] [--fio | --no-fio]
 *
 * Workloads: 4 KiB random reads and 4 KiB random overwrites of a 256 MiB file, cached and O_DIRECT
 * (aligned buffers for O_DIRECT on every side; ordinary buffers for cached I/O, as a program uses
 * them), at each depth; 4 KiB appends each followed by fdatasync (QD 1). Every random workload
 * runs on one file, a Storage blob: the raw runners and fio address its data past the header, so
 * all of them touch the same inode (two files made alike differed by up to 1.5x in overwrite cost
 * on a virtual disk). Each runner is measured `--runs` times per row, the order rotating run by
 * run so a drifting machine favours none, after a short warm-up each time; cached-write runs each
 * start from a synced file. The medians are reported. Two figures per runner: ops/s (wall clock;
 * moves with the neighbours' load) and CPU µs per op (user + system time of the whole measuring
 * process, io-wq workers included, divided by the operations; for fio the same of its whole
 * process tree, with fio's own figure, which covers only its submitting thread, beside it): the
 * CPU figure explains a row where the device, not the software, sets the pace. The end is a
 * Markdown table of every ratio, then a table of the issue's goals with the rows that meet each and
 * those that do not (`uring-goals.ts`), and the control: fio's command run a second time as a
 * runner of its own, so that each run measures how far an identical tool lands from fio on this
 * machine. Every fio command line is printed (`fio: ...`).
 * fio runs when it is on the PATH (skipped in --quick unless --fio; never with --no-fio).
 * Files live under <repo>/.bench-tmp (a real disk: tmpfs has no O_DIRECT).
 */
import { execFile, execFileSync, spawnSync } from 'node:child_process';
import { closeSync, constants, fdatasync, mkdirSync, openSync, read as fsRead, rmSync, write as fsWrite } from 'node:fs';
import { open as fsOpen } from 'node:fs/promises';
import { join } from 'node:path';
import { UringIo } from '../src/backends/iouring/index.js';
import { loadBinding, packageRoot } from '../src/native/binding.js';
import { BLOB_HEADER_BYTES } from '../src/interfaces/limits.js';
import { createStorage } from '../src/storage/index.js';
import { readBatch, writeBatch, type BatchEntry } from '../src/batch/index.js';
import { buildReference, ringAppend, ringDepth, type ReferenceProgram } from './c-reference.js';
import { controlLine, evaluateGoals, goalsTableLines, R_BATCH, R_C_RING, R_COALESCE_OFF, R_COALESCE_ON, R_RING_ONLY, R_FIO, R_FIO_AGAIN, R_FIO_BATCH, R_FIO_PSYNC, R_FIO_SQPOLL, R_INLINE_COALESCED, R_INLINE_WRITES, R_LINKED, R_STORAGE_INLINE_VECTORED, R_STORAGE_INLINE_WRITES, R_PROMISES, R_SQPOLL, R_STORAGE, R_URING, R_UV, summaryTableLines, TITLES, WORKLOADS,
  type Figures, type Row, type Workload } from './uring-goals.js';

const BLOCK = 4096;
/** The Storage blob every runner works on; raw runners add the header to its data offsets. */
const BLOB_NAME = 'data';
const HEADER = BLOB_HEADER_BYTES;
const DEPTH_MAX = 4096;
const RUNS_MAX = 99;
const WARMUP_SECONDS = 0.15;
/** What the UV_USE_IO_URING child measures (sent as JSON after `--child`). */
interface ChildRequest { filePath: string; baseBytes: number; blocks: number; depth: number; seconds: number; write: boolean; direct: boolean; append?: boolean }

// xorshift: cheap and identical across runners, so each sees the same offset stream.
function offsets(seed: number, blocks: number): () => number {
  let x = seed | 0 || 1;
  return () => {
    x ^= x << 13; x ^= x >>> 17; x ^= x << 5;
    return ((x >>> 0) % blocks) * BLOCK;
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

/** Runs `depth` loops of `op` until `seconds` pass; returns ops/s and CPU time per op. */
function timed(depth: number, seconds: number, blocks: number, op: (buffer: Uint8Array, offsetBytes: number) => Promise<unknown>,
  alloc: (n: number) => Uint8Array): Promise<Figures> {
  return measured(async () => {
    const endMs = performance.now() + seconds * 1000;
    let count = 0;
    await Promise.all(Array.from({ length: depth }, async (_, i) => {
      const next = offsets(i + 1, blocks);
      const buffer = alloc(BLOCK);
      buffer.fill(i & 0xff);
      while (performance.now() < endMs) {
        // Check the clock only every 64 ops: performance.now() is not free at 1M ops/s.
        for (let k = 0; k < 64; k += 1) {
          await op(buffer, next());
          count += 1;
        }
      }
    }));
    return count;
  });
}

async function warmAndTime(depth: number, seconds: number, blocks: number, op: (buffer: Uint8Array, offsetBytes: number) => Promise<unknown>,
  alloc: (n: number) => Uint8Array): Promise<Figures> {
  await timed(depth, WARMUP_SECONDS, blocks, op, alloc);
  return timed(depth, seconds, blocks, op, alloc);
}

/**
 * One loop of batches of `depth` transfers (readBatch/writeBatch), each awaited before the next;
 * entry `i` draws its offsets from the stream loop `i` of {@link timed} uses. The entry objects are
 * reused from batch to batch (a batch reads them once, at the call), as a caller that batches for
 * speed would.
 */
async function timedBatches(depth: number, seconds: number, blocks: number, batch: (entries: BatchEntry[]) => Promise<unknown>,
  alloc: (n: number) => Uint8Array, fd: number, baseBytes: number): Promise<Figures> {
  const streams = Array.from({ length: depth }, (_, i) => offsets(i + 1, blocks));
  const entries = Array.from({ length: depth }, (_, i) => {
    const buffer = alloc(BLOCK);
    buffer.fill(i & 0xff);
    return { fd, buffer, offsetBytes: 0 };
  });
  const run = async (untilMs: number): Promise<number> => {
    let count = 0;
    while (performance.now() < untilMs) {
      for (let i = 0; i < depth; i += 1) (entries[i] as { offsetBytes: number }).offsetBytes = baseBytes + (streams[i] as () => number)();
      await batch(entries);
      count += depth;
    }
    return count;
  };
  await run(performance.now() + WARMUP_SECONDS * 1000);
  return measured(() => run(performance.now() + seconds * 1000));
}

function fsCallback(fd: number, write: boolean): (buffer: Uint8Array, offsetBytes: number) => Promise<number> {
  return (buffer, position) => new Promise((resolve, reject) => {
    const done = (err: NodeJS.ErrnoException | null, n: number): void => (err ? reject(err) : resolve(n));
    if (write) fsWrite(fd, buffer, 0, BLOCK, position, done);
    else fsRead(fd, buffer, 0, BLOCK, position, done);
  });
}

/** The child's side: fs callbacks on libuv's own io_uring (the parent set UV_USE_IO_URING=1). */
async function runChild(req: ChildRequest): Promise<void> {
  if (req.append === true) {
    // Synced appends: a write then an fdatasync, each through its callback, one at a time.
    const afd = openSync(req.filePath, 'w');
    let endBytes = 0;
    const figures = await timed(1, req.seconds, 1, (buffer) => new Promise<void>((resolve, reject) => {
      fsWrite(afd, buffer, 0, BLOCK, endBytes, (err) => {
        if (err) return reject(err);
        endBytes += BLOCK;
        fdatasync(afd, (syncErr) => (syncErr ? reject(syncErr) : resolve()));
      });
    }), (n) => Buffer.alloc(n));
    closeSync(afd);
    process.stdout.write(`${JSON.stringify(figures)}\n`);
    return;
  }
  const fd = openSync(req.filePath, (req.write ? constants.O_RDWR : constants.O_RDONLY) | (req.direct ? constants.O_DIRECT : 0));
  const binding = loadBinding();
  if (req.direct && !binding.ok) throw new Error(`no aligned buffers without the addon: ${binding.reason}`);
  const alloc = req.direct && binding.ok ? (n: number) => binding.binding.allocAligned(n) : (n: number) => Buffer.alloc(n);
  const op = fsCallback(fd, req.write);
  const figures = await warmAndTime(req.depth, req.seconds, req.blocks, (buffer, at) => op(buffer, req.baseBytes + at), alloc);
  closeSync(fd);
  process.stdout.write(`${JSON.stringify(figures)}\n`);
}

function uvUringInChild(req: ChildRequest): Promise<Figures> {
  const script = process.argv[1] as string;
  return new Promise((resolve, reject) => {
    execFile(process.execPath, [...process.execArgv, script, '--child', JSON.stringify(req)],
      { env: { ...process.env, UV_USE_IO_URING: '1' }, timeout: (req.seconds + 60) * 1000 }, (err, stdout, stderr) => {
        if (err) {
          reject(new Error(`UV_USE_IO_URING child failed: ${stderr.trim().split('\n').slice(-3).join(' | ') || err.message}`));
          return;
        }
        resolve(JSON.parse(stdout.trim().split('\n').pop() as string) as Figures);
      });
  });
}

interface FioJob { read: { iops: number; total_ios: number }; write: { iops: number; total_ios: number }; usr_cpu: number; sys_cpu: number; job_runtime: number }

/** The printed fio commands, one per distinct line (the depth and path are part of it). */
const fioCommands = new Set<string>();

/** Runs fio under bash and returns its JSON and the CPU seconds of the whole fio process tree (bash's `times`). */
function fioWithProcessCpu(args: readonly string[], seconds: number): { json: string; processCpuSeconds: number } {
  const run = spawnSync('bash', ['-c', 'fio "$@" && times >&2', 'fio', ...args], { encoding: 'utf8', timeout: (seconds + 60) * 1000, maxBuffer: 16 << 20 });
  if (run.status !== 0) throw new Error(`fio failed: ${(run.stderr ?? '').trim().split('\n').slice(-3).join(' | ')}`);
  // `times` prints the shell's then its children's user and system time: "0m0.247s 0m0.624s".
  const children = (run.stderr.trim().split('\n').pop() ?? '').match(/(\d+)m([\d.]+)s (\d+)m([\d.]+)s/);
  const cpu = children === null ? Number.NaN : Number(children[1]) * 60 + Number(children[2]) + Number(children[3]) * 60 + Number(children[4]);
  return { json: run.stdout, processCpuSeconds: cpu };
}

/** CPU seconds fio spends on a run that does (almost) nothing: its start-up, measured once and subtracted. */
let fioFixedCpuSeconds: number | undefined;

/**
 * fio's io_uring engine on the same file: ops/s, and CPU µs per op two ways. fio's own usr/sys
 * figures cover only its submitting thread (getrusage RUSAGE_THREAD), not the kernel's io-wq
 * workers that run buffered writes and syncs on the process's behalf, which our figure (the whole
 * process) includes; so the comparable figure is the whole fio process tree's CPU time minus its
 * start-up cost, and fio's own is kept beside it.
 */
function fio(args: readonly string[], write: boolean, seconds: number, engineArgs: readonly string[] = [], engine = 'io_uring'): Figures {
  // The engine's own options (--sqthread_poll) are known to fio only after --ioengine.
  const all = [...args, `--ioengine=${engine}`, ...engineArgs, '--time_based', `--runtime=${Math.max(1, Math.round(seconds * 1000))}ms`, '--output-format=json'];
  const line = `fio ${all.join(' ')}`;
  if (!fioCommands.has(line)) {
    fioCommands.add(line);
    console.log(`fio: ${line}`);
  }
  if (fioFixedCpuSeconds === undefined) {
    const idle = all.filter((a) => !a.startsWith('--runtime=') && !a.startsWith('--ramp_time='));
    fioFixedCpuSeconds = fioWithProcessCpu([...idle, '--runtime=1ms'], 1).processCpuSeconds;
  }
  const { json, processCpuSeconds } = fioWithProcessCpu(all, seconds);
  const job = (JSON.parse(json.slice(json.indexOf('{'))) as { jobs: FioJob[] }).jobs[0];
  if (job === undefined) throw new Error('fio printed no job');
  const side = write ? job.write : job.read;
  const ops = Math.max(side.total_ios, 1);
  // Ops of the ramp are not in total_ios but their CPU is in the process time: count them at the measured rate.
  const ramp = args.find((a) => a.startsWith('--ramp_time='));
  const rampOps = ramp === undefined ? 0 : side.iops * Number(ramp.slice('--ramp_time='.length, -2)) / 1000;
  return {
    opsPerSecond: side.iops,
    cpuUsPerOp: Math.max(0, processCpuSeconds - fioFixedCpuSeconds) * 1e6 / (ops + rampOps),
    threadCpuUsPerOp: ((job.usr_cpu + job.sys_cpu) / 100) * job.job_runtime * 1000 / ops,
  };
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

interface Args { quick: boolean; depths: number[]; seconds: number; runs: number; fileMiB: number; fio: boolean; workloads: Workload[] }

function parseArgs(argv: readonly string[]): Args {
  const known = new Set(['--quick', '--depth', '--seconds', '--runs', '--file-mib', '--fio', '--no-fio', '--workloads']);
  for (const arg of argv) if (arg.startsWith('--') && !known.has(arg)) throw new Error(`unknown option ${arg}`);
  const quick = argv.includes('--quick');
  const raw = (flag: string): string | undefined => {
    const at = argv.indexOf(flag);
    return at >= 0 ? argv[at + 1] : undefined;
  };
  const value = (flag: string, fallback: number): number => {
    const text = raw(flag);
    return text === undefined ? fallback : Number(text);
  };
  const depths = (raw('--depth') ?? (quick ? '1,64' : '1,8,64,256')).split(',').map(Number);
  if (depths.some((d) => !Number.isInteger(d) || d < 1 || d > DEPTH_MAX)) throw new Error(`--depth: integers 1..${DEPTH_MAX}, comma-separated`);
  const runs = value('--runs', quick ? 1 : 5);
  if (!Number.isInteger(runs) || runs < 1 || runs > RUNS_MAX) throw new Error(`--runs: an integer 1..${RUNS_MAX}`);
  const seconds = value('--seconds', quick ? 0.5 : 0.8);
  if (!(seconds > 0 && seconds <= 60)) throw new Error('--seconds: a number in (0, 60]');
  const workloads = (raw('--workloads') ?? WORKLOADS.join(',')).split(',');
  for (const w of workloads) if (!(WORKLOADS as readonly string[]).includes(w)) throw new Error(`--workloads: some of ${WORKLOADS.join(',')}`);
  const fileMiB = value('--file-mib', quick ? 64 : 256);
  if (!Number.isInteger(fileMiB) || fileMiB < 1 || fileMiB > 65536) throw new Error('--file-mib: an integer 1..65536');
  const fioWanted = !argv.includes('--no-fio') && (argv.includes('--fio') || !quick);
  return { quick, depths, seconds, runs, fileMiB, fio: fioWanted, workloads: workloads as Workload[] };
}

type Runner = readonly [name: string, measure: () => Promise<Figures>];

async function main(args: Args): Promise<void> {
  const support = UringIo.isSupported();
  if (!support.supported) {
    console.log(`io_uring unavailable, nothing to compare: ${support.reason ?? ''}`);
    return;
  }
  const withFio = args.fio && fioAvailable();
  const dir = join(packageRoot() ?? process.cwd(), '.bench-tmp', `uring-reads-${process.pid}`);
  mkdirSync(dir, { recursive: true });
  const fileName = `bench/${Buffer.from(BLOB_NAME).toString('hex')}`;
  const filePath = join(dir, fileName);
  const blocks = (args.fileMiB * 1024 * 1024) / BLOCK;
  const rows: Row[] = [];

  const compare = async (workload: Workload, depth: number, runners: readonly Runner[], before?: () => Promise<void>): Promise<void> => {
    const samples = runners.map(() => [] as Figures[]);
    for (let run = 0; run < args.runs; run += 1) {
      for (let k = 0; k < runners.length; k += 1) {
        const index = (k + run) % runners.length;
        if (before !== undefined) await before();
        (samples[index] as Figures[]).push(await (runners[index] as Runner)[1]());
      }
    }
    runners.forEach(([runner], index) => {
      const runs = samples[index] as Figures[];
      const figures: Figures = { opsPerSecond: median(runs.map((f) => f.opsPerSecond)), cpuUsPerOp: median(runs.map((f) => f.cpuUsPerOp)) };
      const thread = runs.flatMap((f) => (f.threadCpuUsPerOp === undefined ? [] : [f.threadCpuUsPerOp]));
      if (thread.length > 0) figures.threadCpuUsPerOp = median(thread);
      rows.push({ workload, depth, runner, figures });
      console.log(`${TITLES[workload].padEnd(30)} QD ${String(depth).padStart(3)}  ${runner.padEnd(32)} ` +
        `${Math.round(figures.opsPerSecond).toLocaleString('en-US').padStart(10)} ops/s  ${figures.cpuUsPerOp.toFixed(2).padStart(7)} µs CPU/op` +
        `${figures.threadCpuUsPerOp === undefined ? '' : ` (fio's own, submitting thread only: ${figures.threadCpuUsPerOp.toFixed(2)})`}`);
    });
  };

  console.log(`${args.workloads.join(',')} at depth ${args.depths.join(',')}, ${args.seconds}s per run (+${WARMUP_SECONDS}s warm-up), ` +
    `median of ${args.runs} run(s), file ${args.fileMiB} MiB, 4 KiB blocks` +
    `${withFio ? ', fio io_uring engine alongside' : args.fio ? ' (fio not on the PATH: skipped)' : ''}`);
  // One file for every runner: a Storage blob (its data after the header), so Storage and the raw
  // runners touch the very same inode. Two files made the same way one after the other differed
  // by up to 1.5x in the cost of a cached 4 KiB overwrite, for fio as for us, on this virtual disk.
  const chunk = Buffer.alloc(1 << 20);
  for (let i = 0; i < chunk.length; i += 1) chunk[i] = (i * 31) & 0xff;
  const io = new UringIo({ root: dir, queueDepth: Math.min(DEPTH_MAX, Math.max(...args.depths)) });
  const storages = { cached: createStorage(io), direct: createStorage(io, { direct: true }) };
  // libuv's ring polls its SQ from a kernel thread; the same mode of UringIo runs beside it on
  // cached reads and writes and on synced appends, where that thread makes the difference (absent
  // if the kernel refuses SQPOLL; on O_DIRECT rows the device sets the pace for both).
  const sqpollIo = args.workloads.some((w) => w === 'read' || w === 'write' || w === 'append') ? sqpollRing(dir, args.depths) : undefined;
  // Cached reads through the ring only: what answering a lone read at the call buys, side by side.
  const ringOnlyIo = args.workloads.includes('read')
    ? new UringIo({ root: dir, queueDepth: Math.min(DEPTH_MAX, Math.max(...args.depths)), inlineReads: false }) : undefined;
  // Cached reads with coalesceReads each way, whatever this host's default: which wins follows what
  // a system call costs here (printed below).
  const coalescedIos = args.workloads.includes('read')
    ? ([[R_COALESCE_ON, true], [R_COALESCE_OFF, false]] as const).map(([label, coalesceReads]) =>
      ({ label, io: new UringIo({ root: dir, queueDepth: Math.min(DEPTH_MAX, Math.max(...args.depths)), coalesceReads }) }))
    : [];
  {
    const info = io.ringInfo;
    console.log(`system call: ${Math.round(info.syscallNanos)} ns (getppid, least of a few rounds); reads arriving together coalesced by default: ${info.coalesceReads ? 'yes' : 'no'}`);
  }
  // Cached writes by pwrite on the JS thread (the opt-in `inlineWrites`), beside the default ring.
  const inlineWritesIo = args.workloads.includes('write')
    ? new UringIo({ root: dir, queueDepth: Math.min(DEPTH_MAX, Math.max(...args.depths)), inlineWrites: true }) : undefined;
  const inlineWritesStorage = inlineWritesIo === undefined ? undefined : createStorage(inlineWritesIo);
  // And with writes that arrive together sent to the ring (`coalesceWrites`, opt-in too).
  const coalescedWritesIo = args.workloads.includes('write')
    ? new UringIo({ root: dir, queueDepth: Math.min(DEPTH_MAX, Math.max(...args.depths)), inlineWrites: true, coalesceWrites: true }) : undefined;
  // The C references (bench/reference/), built once each on first use; a failed build is said once
  // and its runner left out.
  const referenceBuilds = new Map<ReferenceProgram, string | undefined>();
  const referenceBinary = (program: ReferenceProgram): string | undefined => {
    if (!referenceBuilds.has(program)) {
      const built = buildReference(dir, program);
      if ('reason' in built) console.log(`${R_C_RING} (${program}): not run, ${built.reason}`);
      referenceBuilds.set(program, 'binary' in built ? built.binary : undefined);
    }
    return referenceBuilds.get(program);
  };
  try {
    const source = io.allocAligned(1 << 20);
    source.set(chunk);
    const cachedBlob = (await storages.cached.open('bench', BLOB_NAME)).blob;
    if (args.workloads.some((w) => w !== 'append')) {
      for (let i = 0; i < args.fileMiB; i += 1) await cachedBlob.writeAt(i * (1 << 20), source);
      await cachedBlob.sync();
    }
    // Opened once the data is there: a handle knows the size it saw at open.
    const blobs = { cached: cachedBlob, direct: (await storages.direct.open('bench', BLOB_NAME)).blob };
    const aligned = (n: number): Uint8Array => io.allocAligned(n);
    const ordinary = (n: number): Uint8Array => Buffer.alloc(n);

    for (const workload of args.workloads) {
      if (workload === 'append') continue;
      const write = workload.startsWith('write');
      const direct = workload.endsWith('direct');
      const alloc = direct ? aligned : ordinary;
      const blob = direct ? blobs.direct : blobs.cached;
      const ufd = await io.open(fileName, { write, direct });
      const sqpollFd = sqpollIo !== undefined && !direct ? await sqpollIo.open(fileName, { write }) : undefined;
      const ringOnlyFd = ringOnlyIo !== undefined && workload === 'read' ? await ringOnlyIo.open(fileName) : undefined;
      const coalescedFds = workload === 'read' ? await Promise.all(coalescedIos.map(async ({ label, io: other }) => ({ label, io: other, fd: await other.open(fileName) }))) : [];
      const inlineWritesFd = inlineWritesIo !== undefined && workload === 'write' ? await inlineWritesIo.open(fileName, { write: true }) : undefined;
      const coalescedWritesFd = coalescedWritesIo !== undefined && workload === 'write' ? await coalescedWritesIo.open(fileName, { write: true }) : undefined;
      // The same blob through Storage on the inlineWrites ring (opened once the data is there).
      const inlineWritesBlob = inlineWritesStorage !== undefined && workload === 'write' ? (await inlineWritesStorage.open('bench', BLOB_NAME)).blob : undefined;
      const handle = await fsOpen(filePath, (write ? constants.O_RDWR : constants.O_RDONLY) | (direct ? constants.O_DIRECT : 0));
      // Raw runners address the blob's data: past its header.
      const uringOp = write ? (b: Uint8Array, at: number) => io.write(ufd, b, HEADER + at) : (b: Uint8Array, at: number) => io.read(ufd, b, HEADER + at);
      const storageOp = write ? (b: Uint8Array, at: number) => blob.writeAt(at, b) : (b: Uint8Array, at: number) => blob.readInto(b, at);
      const promisesOp = write ? (b: Uint8Array, at: number) => handle.write(b, 0, BLOCK, HEADER + at) : (b: Uint8Array, at: number) => handle.read(b, 0, BLOCK, HEADER + at);
      for (const depth of args.depths) {
        const runners: Runner[] = [
          [R_URING, () => warmAndTime(depth, args.seconds, blocks, uringOp, alloc)],
          [R_STORAGE, () => warmAndTime(depth, args.seconds, blocks, storageOp, alloc)],
          [R_PROMISES, () => warmAndTime(depth, args.seconds, blocks, promisesOp, alloc)],
          [R_UV, () => uvUringInChild({ filePath, baseBytes: HEADER, blocks, depth, seconds: args.seconds, write, direct })],
        ];
        const batchOp = write ? (entries: BatchEntry[]) => writeBatch(io, entries) : (entries: BatchEntry[]) => readBatch(io, entries);
        runners.push([R_BATCH, () => timedBatches(depth, args.seconds, blocks, batchOp, alloc, ufd, HEADER)]);
        if (ringOnlyIo !== undefined && ringOnlyFd !== undefined) {
          runners.push([R_RING_ONLY, () => warmAndTime(depth, args.seconds, blocks, (b, at) => ringOnlyIo.read(ringOnlyFd, b, HEADER + at), alloc)]);
        }
        for (const { label, io: other, fd: otherFd } of coalescedFds) {
          runners.push([label, () => warmAndTime(depth, args.seconds, blocks, (b, at) => other.read(otherFd, b, HEADER + at), alloc)]);
        }
        if (inlineWritesIo !== undefined && inlineWritesFd !== undefined) {
          runners.push([R_INLINE_WRITES, () => warmAndTime(depth, args.seconds, blocks, (b, at) => inlineWritesIo.write(inlineWritesFd, b, HEADER + at), alloc)]);
        }
        if (coalescedWritesIo !== undefined && coalescedWritesFd !== undefined) {
          runners.push([R_INLINE_COALESCED, () => warmAndTime(depth, args.seconds, blocks, (b, at) => coalescedWritesIo.write(coalescedWritesFd, b, HEADER + at), alloc)]);
        }
        if (inlineWritesBlob !== undefined) {
          runners.push([R_STORAGE_INLINE_WRITES, () => warmAndTime(depth, args.seconds, blocks, (b, at) => inlineWritesBlob.writeAt(at, b), alloc)]);
          // Each loop's block split once, as a log writer holds a record's head and body apart.
          const pieces = new WeakMap<Uint8Array, Uint8Array[]>();
          const split = (b: Uint8Array): Uint8Array[] => {
            let two = pieces.get(b);
            if (two === undefined) pieces.set(b, two = [b.subarray(0, 16), b.subarray(16)]);
            return two;
          };
          runners.push([R_STORAGE_INLINE_VECTORED, () => warmAndTime(depth, args.seconds, blocks, (b, at) => inlineWritesBlob.writeAt(at, split(b)), alloc)]);
        }
        // O_DIRECT: the same transfers from C, woken as UringIo is (reference/ring-depth.c).
        const ringDepthBinary = direct ? referenceBinary('ring-depth') : undefined;
        if (ringDepthBinary !== undefined) {
          runners.push([R_C_RING, () => Promise.resolve(ringDepth(ringDepthBinary, { filePath, write, depth, seconds: args.seconds, firstByte: HEADER, warmupSeconds: WARMUP_SECONDS }))]);
        }
        if (sqpollIo !== undefined && sqpollFd !== undefined) {
          const sqpollOp = write ? (b: Uint8Array, at: number) => sqpollIo.write(sqpollFd, b, HEADER + at) : (b: Uint8Array, at: number) => sqpollIo.read(sqpollFd, b, HEADER + at);
          runners.push([R_SQPOLL, () => warmAndTime(depth, args.seconds, blocks, sqpollOp, alloc)]);
        }
        if (withFio) {
          const fioArgs = ['--name=faultline', `--filename=${filePath}`, `--rw=${write ? 'randwrite' : 'randread'}`, `--bs=${BLOCK}`,
            `--offset=${HEADER}`, `--size=${args.fileMiB}M`, `--iodepth=${depth}`, `--direct=${direct ? 1 : 0}`, '--invalidate=0', '--norandommap', '--randrepeat=0',
            `--ramp_time=${Math.round(WARMUP_SECONDS * 1000)}ms`];
          runners.push([R_FIO, () => Promise.resolve(fio(fioArgs, write, args.seconds))]);
          runners.push([R_FIO_AGAIN, () => Promise.resolve(fio(fioArgs, write, args.seconds))]);
          // Like for like with the readBatch/writeBatch runner: QD submitted together, all QD reaped
          // before the next QD go out.
          runners.push([R_FIO_BATCH, () => Promise.resolve(fio([...fioArgs, `--iodepth_batch_submit=${depth}`, `--iodepth_batch_complete_min=${depth}`], write, args.seconds))]);
          // Like for like with UringIo's sqpoll runner: fio with its own polling thread.
          if (sqpollFd !== undefined) runners.push([R_FIO_SQPOLL, () => Promise.resolve(fio(fioArgs, write, args.seconds, ['--sqthread_poll=1']))]);
          // Like for like with the inlineWrites runner: one thread, a pwrite at a time.
          if (inlineWritesFd !== undefined) {
            const psyncArgs = fioArgs.map((a) => (a.startsWith('--iodepth=') ? '--iodepth=1' : a));
            runners.push([R_FIO_PSYNC, () => Promise.resolve(fio(psyncArgs, write, args.seconds, [], 'psync'))]);
          }
        }
        // Cached writes leave dirty pages whose writeback slows whoever writes next (by 5-10x on
        // this kind of virtual disk): every runner starts from a clean file.
        await compare(workload, depth, runners, write && !direct ? () => blob.sync() : undefined);
      }
      await handle.close();
      await io.close(ufd);
      if (sqpollFd !== undefined) await sqpollIo?.close(sqpollFd);
      if (ringOnlyFd !== undefined) await ringOnlyIo?.close(ringOnlyFd);
      for (const { io: other, fd: otherFd } of coalescedFds) await other.close(otherFd);
      if (inlineWritesFd !== undefined) await inlineWritesIo?.close(inlineWritesFd);
      if (coalescedWritesFd !== undefined) await coalescedWritesIo?.close(coalescedWritesFd);
      await inlineWritesBlob?.close();
    }

    if (args.workloads.includes('append')) {
      // Synced appends (depth 1: each write is followed by fdatasync before the next).
      const afd = await io.open('append.bin', { write: true, create: true, truncate: true });
      const ahandle = await fsOpen(join(dir, 'append-fs.bin'), 'w');
      const lfd = await io.open('append-linked.bin', { write: true, create: true, truncate: true });
      const sfd = await sqpollIo?.open('append-sqpoll.bin', { write: true, create: true, truncate: true });
      const appendBlob = (await storages.cached.open('bench', 'append')).blob;
      let storageEnd = 0;
      const appendBlocks = 1 << 30;
      let uringEnd = 0;
      let linkedEnd = 0;
      let sqpollEnd = 0;
      let fsEnd = 0;
      const appendFioPath = join(dir, 'append-fio.bin');
      const ringAppendBinary = referenceBinary('ring-append');
      const fioAppend = (engineArgs: readonly string[]): Promise<Figures> => {
        rmSync(appendFioPath, { force: true });
        return Promise.resolve(fio(['--name=sync-append', `--filename=${appendFioPath}`, '--rw=write', `--bs=${BLOCK}`, '--size=256M',
          '--iodepth=1', '--fdatasync=1', '--fallocate=none'], true, args.seconds, engineArgs));
      };
      await compare('append', 1, [
        [R_URING, () => timed(1, args.seconds, appendBlocks, async (b) => {
          await io.write(afd, b, uringEnd);
          uringEnd += BLOCK;
          await io.fsync(afd, { dataOnly: true });
        }, ordinary)],
        [R_LINKED, () => timed(1, args.seconds, appendBlocks, async (b) => {
          await io.writeDurable(lfd, b, linkedEnd, { dataOnly: true });
          linkedEnd += BLOCK;
        }, ordinary)],
        [R_STORAGE, () => timed(1, args.seconds, appendBlocks, async (b) => {
          await appendBlob.writeAtDurable(storageEnd, b);
          storageEnd += BLOCK;
        }, ordinary)],
        [R_PROMISES, () => timed(1, args.seconds, appendBlocks, async (b) => {
          await ahandle.write(b, 0, BLOCK, fsEnd);
          fsEnd += BLOCK;
          await ahandle.datasync();
        }, ordinary)],
        ...(sqpollIo !== undefined && sfd !== undefined ? [[R_SQPOLL, () => timed(1, args.seconds, appendBlocks, async (b) => {
          await sqpollIo.writeDurable(sfd, b, sqpollEnd, { dataOnly: true });
          sqpollEnd += BLOCK;
        }, ordinary)] as const] : []),
        [R_UV, () => uvUringInChild({ filePath: join(dir, 'append-uv.bin'), baseBytes: 0, blocks: 1, depth: 1, seconds: args.seconds, write: true, direct: false, append: true })],
        ...(withFio ? [[R_FIO, () => fioAppend([])] as const, [R_FIO_AGAIN, () => fioAppend([])] as const] : []),
        ...(ringAppendBinary !== undefined ? [[R_C_RING, () => Promise.resolve(ringAppend(ringAppendBinary, join(dir, 'append-c.bin'), args.seconds))] as const] : []),
        ...(withFio && sqpollIo !== undefined ? [[R_FIO_SQPOLL, () => fioAppend(['--sqthread_poll=1'])] as const] : []),
      ]);
      await io.close(afd);
      await io.close(lfd);
      if (sfd !== undefined) await sqpollIo?.close(sfd);
      await appendBlob.close();
      await ahandle.close();
    }
    await blobs.cached.close();
    await blobs.direct.close();
    const info = io.ringInfo;
    console.log(`ring: ${info.sqEntries} SQ entries, DEFER_TASKRUN ${info.deferTaskrun ? 'on' : 'off'}, ${info.enterCalls} io_uring_enter calls ` +
      `(${info.submitEnterCalls} submitting) for ${info.submittedSqes} SQEs; ${info.inlineReads} reads answered at the call ` +
      `(${info.inlineMisses} attempts the page cache could not answer)`);
  } finally {
    await storages.cached.close();
    await storages.direct.close();
    await sqpollIo?.shutdown();
    await ringOnlyIo?.shutdown();
    for (const { io: other } of coalescedIos) await other.shutdown();
    await inlineWritesIo?.shutdown();
    await coalescedWritesIo?.shutdown();
    await io.shutdown();
    rmSync(dir, { recursive: true, force: true });
  }
  printSummary(rows);
}

/** A UringIo with `sqpoll: true`, or undefined (said why) when this kernel or user cannot have one. */
function sqpollRing(dir: string, depths: readonly number[]): UringIo | undefined {
  try {
    return new UringIo({ root: dir, queueDepth: Math.min(DEPTH_MAX, Math.max(...depths)), sqpoll: true });
  } catch (err) {
    console.log(`UringIo with sqpoll unavailable, its runner is skipped: ${err instanceof Error ? err.message : String(err)}`);
    return undefined;
  }
}

/** The ratios the issue's goals are stated in, then the goals met and missed, as Markdown tables (pasted into BENCHMARKS.md). */
function printSummary(rows: readonly Row[]): void {
  console.log('');
  for (const line of summaryTableLines(rows)) console.log(line);
  console.log('');
  console.log('Goals (from the rows above):');
  console.log('');
  for (const line of goalsTableLines(evaluateGoals(rows))) console.log(line);
  const control = controlLine(rows);
  if (control !== undefined) console.log(`\n${control}`);
}

const argv = process.argv.slice(2);
if (argv[0] === '--child') await runChild(JSON.parse(argv[1] as string) as ChildRequest);
else await main(parseArgs(argv));
