/**
 * How fast JavaScript runs on each CPU of this machine: a loop of awaits (promise and microtask
 * work, as a runner's per-operation overhead is), pinned to one CPU at a time with `taskset`.
 *
 * Why: on a virtual machine the vCPUs need not stay alike. On the guest of Stop 36, for minutes at a
 * time, awaits took about 1.5x as long on vCPU 0 as on vCPU 1 (then the two were level again),
 * while fio's cached reads (system calls, little memory traffic) ran alike on both; meanwhile one
 * UringIo read at a time did about 190k reads/s pinned to vCPU 0 and 268k pinned to vCPU 1, so a
 * JavaScript runner's figure followed the CPU its thread landed on. The bench prints this line
 * beside each row's figures, so a reader can tell such a period from a change in the code; medians
 * over runners each in a fresh process spread the draw.
 */
import { spawnSync } from 'node:child_process';
import { availableParallelism } from 'node:os';

/** Awaits per pinned child: about 0.1-0.2 s on the machines seen. */
const AWAITS = 2_000_000;
/** More CPUs than this are not checked one by one (the line would say nothing more). */
const CPUS_CHECKED_MAX = 16;
const CHILD_TIMEOUT_MS = 30_000;

const SCRIPT = `const n=${AWAITS};let c=0;for(let i=0;i<n/10;i++){await null;c++}` +
  `const t=process.hrtime.bigint();for(let i=0;i<n;i++){await null;c++}` +
  `process.stdout.write(String(Number(process.hrtime.bigint()-t)/n))`;

export type CpuCheck = { readonly awaitNanosByCpu: readonly number[] } | { readonly reason: string };

/** Nanoseconds per await on each CPU (index = CPU number), or why it could not be measured. */
export function awaitNanosPerCpu(): CpuCheck {
  const cpus = Math.min(availableParallelism(), CPUS_CHECKED_MAX);
  const awaitNanosByCpu: number[] = [];
  for (let cpu = 0; cpu < cpus; cpu += 1) {
    const run = spawnSync('taskset', ['-c', String(cpu), process.execPath, '--input-type=module', '-e', SCRIPT], { encoding: 'utf8', timeout: CHILD_TIMEOUT_MS });
    const nanos = Number(run.stdout);
    if (run.status !== 0 || !(nanos > 0)) return { reason: `taskset -c ${cpu} node: ${run.error?.message ?? ((run.stderr ?? '').trim().split('\n').pop() || `exit ${String(run.status)}`)}` };
    awaitNanosByCpu.push(nanos);
  }
  return { awaitNanosByCpu };
}

/** One line for the console: each CPU's figure and the slowest ÷ the fastest. */
export function cpuCheckLine(check: CpuCheck): string {
  if ('reason' in check) return `JavaScript per CPU: not measured (${check.reason})`;
  const all = check.awaitNanosByCpu;
  const spread = Math.max(...all) / Math.min(...all);
  return `JavaScript per CPU (an await, pinned to each CPU in turn): ${all.map((ns, cpu) => `cpu${cpu} ${ns.toFixed(0)} ns`).join(', ')}; ` +
    `slowest ÷ fastest ${spread.toFixed(2)}×${spread >= 1.2 ? ' — the CPUs differ: a runner\'s figure at low depth depends on where its thread lands' : ''}`;
}
