/**
 * How fast JavaScript runs on each CPU of this machine: a loop of awaits (promise and microtask
 * work, as a runner's per-operation overhead is) and a loop of random 4 KiB copies out of 64 MiB
 * (memory traffic, as a read's copy out of the page cache is), pinned to one CPU at a time with
 * `taskset`.
 *
 * Why: on a virtual machine the vCPUs need not stay alike. On the guest of Stop 36, for minutes at a
 * time, awaits took about 1.5x as long on vCPU 0 as on vCPU 1 (then the two were level again),
 * while fio's cached reads (system calls, little memory traffic) ran alike on both; meanwhile one
 * UringIo read at a time did about 190k reads/s pinned to vCPU 0 and 268k pinned to vCPU 1, so a
 * JavaScript runner's figure followed the CPU its thread landed on. The bench prints this line
 * beside each row's figures, so a reader can tell such a period from a change in the code; medians
 * over runners each in a fresh process spread the draw. Awaits alone can miss it: see
 * {@link CpuCheck}. (Pinning the runners to each CPU in turn was tried in Stop 42 and not kept:
 * the kernel's io-wq and SQPOLL threads inherit the pin, and O_DIRECT reads one at a time ran
 * slower pinned: fio's by 18%, UringIo's by 22%, medians of 3 runs; BENCHMARKS.md.)
 */
import { spawnSync } from 'node:child_process';
import { availableParallelism } from 'node:os';

/** Awaits per pinned child: about 0.1-0.2 s on the machines seen. */
const AWAITS = 2_000_000;
/** Random 4 KiB copies per pinned child, out of a source larger than the caches: about 0.1 s. */
const COPIES = 200_000;
const COPY_SOURCE_MIB = 64;
/** More CPUs than this are not checked one by one (the line would say nothing more). */
const CPUS_CHECKED_MAX = 16;
const CHILD_TIMEOUT_MS = 30_000;

// Prints "<ns per await> <ns per copy>". The copies' offsets come from a fixed LCG, so every CPU
// copies the same pages in the same order.
const SCRIPT = `const n=${AWAITS};let c=0;for(let i=0;i<n/10;i++){await null;c++}` +
  `let t=process.hrtime.bigint();for(let i=0;i<n;i++){await null;c++}` +
  `const awaitNs=Number(process.hrtime.bigint()-t)/n;` +
  `const src=Buffer.alloc(${COPY_SOURCE_MIB}<<20,1),dst=Buffer.alloc(4096),pages=${COPY_SOURCE_MIB}*256,m=${COPIES};let o=1;` +
  `for(let i=0;i<m/10;i++){o=(o*1103515245+12345)%2147483648;src.copy(dst,0,(o%pages)*4096,(o%pages)*4096+4096)}` +
  `t=process.hrtime.bigint();for(let i=0;i<m;i++){o=(o*1103515245+12345)%2147483648;src.copy(dst,0,(o%pages)*4096,(o%pages)*4096+4096)}` +
  `process.stdout.write(awaitNs+' '+Number(process.hrtime.bigint()-t)/m)`;

/**
 * Per CPU (index = CPU number): nanoseconds per await, and per random 4 KiB copy out of 64 MiB
 * (memory traffic, as a read's copy out of the page cache is: on the guest of Stop 42 the two
 * vCPUs ran awaits 1.11x apart but such copies 1.45x apart, and UringIo's cached reads at 64 in
 * flight 1.7x apart). Or why they could not be measured.
 */
export type CpuCheck = { readonly awaitNanosByCpu: readonly number[]; readonly copyNanosByCpu: readonly number[] } | { readonly reason: string };

/** Runs the probe pinned to each CPU in turn (see {@link CpuCheck}). */
export function measurePerCpu(): CpuCheck {
  const cpus = Math.min(availableParallelism(), CPUS_CHECKED_MAX);
  const awaitNanosByCpu: number[] = [];
  const copyNanosByCpu: number[] = [];
  for (let cpu = 0; cpu < cpus; cpu += 1) {
    const run = spawnSync('taskset', ['-c', String(cpu), process.execPath, '--input-type=module', '-e', SCRIPT], { encoding: 'utf8', timeout: CHILD_TIMEOUT_MS });
    const [awaitNanos, copyNanos] = (run.stdout ?? '').split(' ').map(Number);
    if (run.status !== 0 || !(awaitNanos! > 0) || !(copyNanos! > 0)) {
      return { reason: `taskset -c ${cpu} node: ${run.error?.message ?? ((run.stderr ?? '').trim().split('\n').pop() || `exit ${String(run.status)}`)}` };
    }
    awaitNanosByCpu.push(awaitNanos!);
    copyNanosByCpu.push(copyNanos!);
  }
  return { awaitNanosByCpu, copyNanosByCpu };
}

/** One line for the console: each CPU's figures and, for each probe, the slowest ÷ the fastest. */
export function cpuCheckLine(check: CpuCheck): string {
  if ('reason' in check) return `JavaScript per CPU: not measured (${check.reason})`;
  const probe = (what: string, all: readonly number[]): [string, number] => {
    const spread = Math.max(...all) / Math.min(...all);
    return [`${what} ${all.map((ns, cpu) => `cpu${cpu} ${ns.toFixed(0)} ns`).join(', ')} (slowest ÷ fastest ${spread.toFixed(2)}×)`, spread];
  };
  const [awaits, awaitSpread] = probe('an await', check.awaitNanosByCpu);
  const [copies, copySpread] = probe('a random 4 KiB copy', check.copyNanosByCpu);
  return `JavaScript per CPU (pinned to each CPU in turn): ${awaits}; ${copies}` +
    `${Math.max(awaitSpread, copySpread) >= 1.2 ? ' — the CPUs differ: a runner\'s figure depends on where its thread lands' : ''}`;
}
