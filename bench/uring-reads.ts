/**
 * io_uring at the native ceiling, side by side in one run: UringIo's promise API (one promise per
 * operation, and readBatch/writeBatch: one per QD operations, beside fio issuing the same lockstep
 * batches; on cached
 * reads and writes and synced appends also UringIo with `sqpoll`, like for like with libuv's
 * polled ring and with fio's `--sqthread_poll=1`; on cached writes also UringIo with the opt-in
 * `inlineWrites`, a pwrite on the JS thread, with and without `coalesceWrites`, beside fio's psync
 * engine on one thread), Storage on
 * UringIo (blob readInto/writeAt, and writeAtDurable for synced appends: readInto fills the
 * caller's buffer as the raw read does, where readAt would add an allocation per read), fs.promises,
 * Node's own io_uring (fs callbacks with UV_USE_IO_URING=1) and fio's io_uring engine, on the same file,
 * block size, depth and buffered/direct mode. On synced appends and on O_DIRECT rows also a C
 * program driving a ring set up and woken exactly as UringIo's (`reference/ring-append.c`,
 * `reference/ring-depth.c`, built with `cc` on first use, left out with the reason printed where
 * they cannot be): it separates what the ring and its wake-up cost from what the JavaScript
 * runtime costs.
 *
 *   node --import tsx bench/uring-reads.ts [--quick] [--depth 1,8,64,256] [--seconds 0.8] [--runs 5]
 *        [--workloads read,read-direct,write,write-direct,append] [--file-mib 256] [--fio | --no-fio]
 *        [--no-cpu-check]
 *
 * Every runner measures in a fresh process of its own: the JavaScript ones in a child running
 * `uring-runner.ts` (its own UringIo or file handle, warm-up, then the timed run), fio, libuv's ring
 * and the C references as programs of their own. None inherits another's event loop, heap or JIT
 * state (a shared process made UringIo about 9% slower at one read in flight). Before each row a
 * line says how fast JavaScript runs on each CPU just then (`cpu-check.ts`; `--no-cpu-check` leaves
 * it out): on a virtual machine the CPUs need not stay alike, and a runner at low depth follows
 * the one its thread lands on.
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
import { execFileSync, spawnSync } from 'node:child_process';
import { mkdirSync, rmSync } from 'node:fs';
import { join } from 'node:path';
import { UringIo } from '../src/backends/iouring/index.js';
import { packageRoot } from '../src/native/binding.js';
import { BLOB_HEADER_BYTES } from '../src/interfaces/limits.js';
import { createStorage } from '../src/storage/index.js';
import { cpuCheckLine, measurePerCpu } from './cpu-check.js';
import { buildReference, ringAppend, ringDepth, type ReferenceProgram } from './c-reference.js';
import { controlLine, evaluateGoals, goalsTableLines, R_C_RING, R_FIO, R_FIO_AGAIN, R_FIO_BATCH, R_FIO_PSYNC, R_FIO_SQPOLL, R_INLINE_WRITES, R_SQPOLL, R_URING,
  summaryTableLines, TITLES, WORKLOADS, type Figures, type Row, type Workload } from './uring-goals.js';
import { BENCH_BLOB, BENCH_PARTITION, BLOCK_BYTES as BLOCK, blobFileName, JS_RUNNERS, measureRunnerInChild, sqpollAvailable, type RingCounters } from './uring-runner.js';

/** The raw runners and fio address the blob's data: past its header. */
const HEADER = BLOB_HEADER_BYTES;
const DEPTH_MAX = 4096;
const RUNS_MAX = 99;
const WARMUP_SECONDS = 0.15;

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

interface Args { quick: boolean; cpuCheck: boolean; depths: number[]; seconds: number; runs: number; fileMiB: number; fio: boolean; workloads: Workload[] }

function parseArgs(argv: readonly string[]): Args {
  const known = new Set(['--quick', '--depth', '--seconds', '--runs', '--file-mib', '--fio', '--no-fio', '--workloads', '--no-cpu-check']);
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
  return { quick, cpuCheck: !argv.includes('--no-cpu-check'), depths, seconds, runs, fileMiB, fio: fioWanted, workloads: workloads as Workload[] };
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
  const filePath = join(dir, blobFileName());
  const blocks = (args.fileMiB * 1024 * 1024) / BLOCK;
  const queueDepth = Math.min(DEPTH_MAX, Math.max(...args.depths));
  const rows: Row[] = [];
  // The ring counters of the plain UringIo runner's processes, summed per workload.
  const uringCounters = new Map<Workload, RingCounters>();

  const compare = async (workload: Workload, depth: number, runners: readonly Runner[], before?: () => Promise<void>): Promise<void> => {
    if (args.cpuCheck) console.log(cpuCheckLine(measurePerCpu()));
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

  // Every JavaScript runner measures in a fresh process of its own (uring-runner.ts), as fio, the
  // C references and libuv's ring do: none inherits another's event loop, heap or JIT state.
  const inChild = (runner: string, workload: Workload, depth: number): Runner => [runner, async () => {
    const { figures, ring } = await measureRunnerInChild({ runner, workload, depth, seconds: args.seconds, warmupSeconds: WARMUP_SECONDS, dir, blocks, headerBytes: HEADER, queueDepth });
    if (runner === R_URING && ring !== undefined) {
      const sum = uringCounters.get(workload) ?? { enterCalls: 0, submitEnterCalls: 0, submittedSqes: 0, inlineReads: 0, inlineMisses: 0, inlineWrites: 0 };
      for (const key of Object.keys(sum) as (keyof RingCounters)[]) sum[key] += ring[key];
      uringCounters.set(workload, sum);
    }
    return figures;
  }];

  console.log(`${args.workloads.join(',')} at depth ${args.depths.join(',')}, ${args.seconds}s per run (+${WARMUP_SECONDS}s warm-up), ` +
    `median of ${args.runs} run(s), file ${args.fileMiB} MiB, 4 KiB blocks, every JavaScript runner in a process of its own` +
    `${withFio ? ', fio io_uring engine alongside' : args.fio ? ' (fio not on the PATH: skipped)' : ''}`);
  // One file for every runner: a Storage blob (its data after the header), so Storage and the raw
  // runners touch the very same inode. Two files made the same way one after the other differed
  // by up to 1.5x in the cost of a cached 4 KiB overwrite, for fio as for us, on this virtual disk.
  // This process's ring only fills it, syncs it between cached-write runs and reports the host.
  const io = new UringIo({ root: dir, queueDepth });
  const storage = createStorage(io);
  {
    const info = io.ringInfo;
    console.log(`system call: ${Math.round(info.syscallNanos)} ns (getppid, least of a few rounds); reads arriving together coalesced by default: ${info.coalesceReads ? 'yes' : 'no'}`);
  }
  // libuv's ring polls its SQ from a kernel thread; the same mode of UringIo runs beside it on
  // cached reads and writes and on synced appends, where that thread makes the difference (left
  // out, said why, if the kernel refuses SQPOLL; on O_DIRECT rows the device sets the pace for both).
  const sqpoll = args.workloads.some((w) => JS_RUNNERS[w].includes(R_SQPOLL)) && await sqpollAvailable(dir, (why) => console.log(`UringIo with sqpoll unavailable, its runners are left out: ${why}`));
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
  const jsRunners = (workload: Workload, depth: number): Runner[] =>
    JS_RUNNERS[workload].filter((r) => r !== R_SQPOLL || sqpoll).map((r) => inChild(r, workload, depth));
  try {
    const blob = (await storage.open(BENCH_PARTITION, BENCH_BLOB)).blob;
    if (args.workloads.some((w) => w !== 'append')) {
      const chunk = io.allocAligned(1 << 20);
      for (let i = 0; i < chunk.length; i += 1) chunk[i] = (i * 31) & 0xff;
      for (let i = 0; i < args.fileMiB; i += 1) await blob.writeAt(i * (1 << 20), chunk);
      await blob.sync();
    }

    for (const workload of args.workloads) {
      if (workload === 'append') continue;
      const write = workload.startsWith('write');
      const direct = workload.endsWith('direct');
      for (const depth of args.depths) {
        const runners = jsRunners(workload, depth);
        // O_DIRECT: the same transfers from C, woken as UringIo is (reference/ring-depth.c).
        const ringDepthBinary = direct ? referenceBinary('ring-depth') : undefined;
        if (ringDepthBinary !== undefined) {
          runners.push([R_C_RING, () => Promise.resolve(ringDepth(ringDepthBinary, { filePath, write, depth, seconds: args.seconds, firstByte: HEADER, warmupSeconds: WARMUP_SECONDS }))]);
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
          if (sqpoll && JS_RUNNERS[workload].includes(R_SQPOLL)) runners.push([R_FIO_SQPOLL, () => Promise.resolve(fio(fioArgs, write, args.seconds, ['--sqthread_poll=1']))]);
          // Like for like with the inlineWrites runners: one thread, a pwrite at a time.
          if (JS_RUNNERS[workload].includes(R_INLINE_WRITES)) {
            const psyncArgs = fioArgs.map((a) => (a.startsWith('--iodepth=') ? '--iodepth=1' : a));
            runners.push([R_FIO_PSYNC, () => Promise.resolve(fio(psyncArgs, write, args.seconds, [], 'psync'))]);
          }
        }
        // Cached writes leave dirty pages whose writeback slows whoever writes next (by 5-10x on
        // this kind of virtual disk): every runner starts from a clean file.
        await compare(workload, depth, runners, write && !direct ? () => blob.sync() : undefined);
      }
    }

    if (args.workloads.includes('append')) {
      // Synced appends (depth 1: each write is followed by fdatasync before the next), each runner
      // to a file of its own started empty.
      const appendFioPath = join(dir, 'append-fio.bin');
      const ringAppendBinary = referenceBinary('ring-append');
      const fioAppend = (engineArgs: readonly string[]): Promise<Figures> => {
        rmSync(appendFioPath, { force: true });
        return Promise.resolve(fio(['--name=sync-append', `--filename=${appendFioPath}`, '--rw=write', `--bs=${BLOCK}`, '--size=256M',
          '--iodepth=1', '--fdatasync=1', '--fallocate=none'], true, args.seconds, engineArgs));
      };
      await compare('append', 1, [
        ...jsRunners('append', 1),
        ...(withFio ? [[R_FIO, () => fioAppend([])] as const, [R_FIO_AGAIN, () => fioAppend([])] as const] : []),
        ...(ringAppendBinary !== undefined ? [[R_C_RING, () => Promise.resolve(ringAppend(ringAppendBinary, join(dir, 'append-c.bin'), args.seconds))] as const] : []),
        ...(withFio && sqpoll ? [[R_FIO_SQPOLL, () => fioAppend(['--sqthread_poll=1'])] as const] : []),
      ]);
    }
    await blob.close();
    const info = io.ringInfo;
    console.log(`ring: ${info.sqEntries} SQ entries, DEFER_TASKRUN ${info.deferTaskrun ? 'on' : 'off'}`);
    for (const [workload, c] of uringCounters) {
      console.log(`  ${R_URING} on ${workload}, its processes summed: ${c.enterCalls} io_uring_enter calls (${c.submitEnterCalls} submitting) for ${c.submittedSqes} SQEs; ` +
        `${c.inlineReads} reads answered at the call (${c.inlineMisses} attempts the page cache could not answer)`);
    }
  } finally {
    await storage.close();
    await io.shutdown();
    rmSync(dir, { recursive: true, force: true });
  }
  printSummary(rows);
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

await main(parseArgs(process.argv.slice(2)));
