/**
 * Campaign throughput: seeds per second of the KV workload (posix profile, default faults) on 1
 * and on 2 worker processes, and the scaling ratio (goal: at least 1.7x on 2 cores, median of 5).
 *
 * Run: `node dist/bench/campaign.js [--seeds N] [--rounds R] [--quick]`. Each round runs the same
 * seeds with 1 worker and with 2 (alternating which goes first, so a drift in the machine's load
 * falls on both), and prints the round's ratio; the summary gives the medians. Besides wall-clock
 * throughput it reports CPU milliseconds per seed: the workers' (as they report it, start-up
 * included) and the coordinating process's, which a shared machine disturbs far less than seeds/s.
 * Seeds run in worker processes started with V8's GC helper threads off, as the `faultline`
 * command's are (see `src/cli/worker-process.ts`). `runCampaignBench()` is exported for `bench/run.ts`.
 */
import { availableParallelism } from 'node:os';
import { pathToFileURL } from 'node:url';
import { runCampaign } from '../src/cli/campaign.js';
import { loadWorkload } from '../src/cli/load-workload.js';

export interface CampaignBenchRow {
  readonly workers: number;
  readonly seeds: number;
  readonly seconds: number;
  readonly seedsPerSecond: number;
  /** seedsPerSecond / workers. */
  readonly seedsPerSecondPerWorker: number;
  /** CPU time of the worker processes per seed (their start-up included). */
  readonly workerCpuMsPerSeed: number;
  /** CPU time of the coordinating process per seed. */
  readonly mainCpuMsPerSeed: number;
}

export interface CampaignBenchRound {
  readonly one: CampaignBenchRow;
  readonly two: CampaignBenchRow;
  /** Throughput with 2 workers over throughput with 1, in this round. */
  readonly scaling: number;
}

export interface CampaignBenchResult {
  readonly rounds: readonly CampaignBenchRound[];
  /** The median of the rounds' seeds/s with 1 and with 2 workers. */
  readonly rows: readonly CampaignBenchRow[];
  /** The median of the rounds' ratios. */
  readonly scaling: number;
}

function median(values: readonly number[]): number {
  const sorted = [...values].sort((a, b) => a - b);
  const mid = sorted.length >> 1;
  return sorted.length % 2 === 1 ? sorted[mid]! : (sorted[mid - 1]! + sorted[mid]!) / 2;
}

/** The row whose seeds/s is the median of `rows` (the lower middle one for an even count). */
function medianRow(rows: readonly CampaignBenchRow[]): CampaignBenchRow {
  const sorted = [...rows].sort((a, b) => a.seedsPerSecond - b.seedsPerSecond);
  return sorted[(sorted.length - 1) >> 1]!;
}

/**
 * Runs `rounds` rounds of the KV workload over `seeds` seeds (the same seeds every time) with 1
 * worker and with 2. A warm-up run first (worker start, page cache). Rejects when a seed fails (a
 * benchmark of a broken build means nothing).
 */
export async function runCampaignBench(seeds = 400, rounds = 1, workload = 'kv', onRound?: (round: CampaignBenchRound, index: number) => void): Promise<CampaignBenchResult> {
  const loaded = await loadWorkload(workload);
  const base = { workload: loaded, profile: 'posix', faults: 'default', latency: 'default', options: {} } as const;
  await runCampaign({ ...base, seedFrom: 1_000_000, seedCount: 40, workers: 2 });
  const measure = async (workers: number): Promise<CampaignBenchRow> => {
    const cpuBefore = process.cpuUsage();
    const result = await runCampaign({ ...base, seedFrom: 100_000, seedCount: seeds, workers });
    const cpu = process.cpuUsage(cpuBefore);
    if (result.failed > 0) throw new Error(`campaign bench: ${result.failed} seeds failed (first ${result.failures[0]?.seed})`);
    return {
      workers,
      seeds,
      seconds: result.wallMs / 1000,
      seedsPerSecond: result.seedsPerSecond,
      seedsPerSecondPerWorker: result.seedsPerSecond / workers,
      workerCpuMsPerSeed: result.workerCpuMs / seeds,
      mainCpuMsPerSeed: (cpu.user + cpu.system) / 1000 / seeds,
    };
  };
  const done: CampaignBenchRound[] = [];
  for (let i = 0; i < rounds; i++) {
    let one: CampaignBenchRow;
    let two: CampaignBenchRow;
    if (i % 2 === 0) {
      one = await measure(1);
      two = await measure(2);
    } else {
      two = await measure(2);
      one = await measure(1);
    }
    const round = { one, two, scaling: two.seedsPerSecond / one.seedsPerSecond };
    done.push(round);
    onRound?.(round, i);
  }
  return {
    rounds: done,
    rows: [medianRow(done.map((r) => r.one)), medianRow(done.map((r) => r.two))],
    scaling: median(done.map((r) => r.scaling)),
  };
}

function formatRow(row: CampaignBenchRow): string {
  return `${row.workers} worker${row.workers === 1 ? ' ' : 's'}: ${row.seedsPerSecond.toFixed(1)} seeds/s (${row.seeds} seeds in ${row.seconds.toFixed(1)}s), `
    + `CPU per seed ${row.workerCpuMsPerSeed.toFixed(2)} ms in workers + ${row.mainCpuMsPerSeed.toFixed(3)} ms coordinating`;
}

function numberAfter(flag: string, fallback: number): number {
  const at = process.argv.indexOf(flag);
  const value = at > 0 ? Number(process.argv[at + 1]) : fallback;
  if (!Number.isSafeInteger(value) || value <= 0) throw new Error(`${flag} must be a positive integer`);
  return value;
}

async function main(): Promise<void> {
  // Worker start-up (module loading, JIT warm-up) is a fixed cost per worker: a few hundred seeds
  // hide the scaling under it, so the full run uses enough seeds for each run to last several seconds.
  const quick = process.argv.includes('--quick');
  const seeds = numberAfter('--seeds', quick ? 300 : 3000);
  const rounds = numberAfter('--rounds', quick ? 1 : 5);
  console.log(`campaign throughput, kv workload, posix profile, default faults (${availableParallelism()} cores available), ${rounds} round(s) of ${seeds} seeds`);
  const result = await runCampaignBench(seeds, rounds, 'kv', (round, i) => {
    console.log(`  round ${i + 1}: ${round.one.seedsPerSecond.toFixed(1)} vs ${round.two.seedsPerSecond.toFixed(1)} seeds/s, scaling ${round.scaling.toFixed(2)}x; `
      + `worker CPU per seed ${round.one.workerCpuMsPerSeed.toFixed(2)} vs ${round.two.workerCpuMsPerSeed.toFixed(2)} ms`);
  });
  console.log(`median of ${rounds}:`);
  for (const row of result.rows) console.log(`  ${formatRow(row)}`);
  const cpuRatio = median(result.rounds.map((r) => r.two.workerCpuMsPerSeed / r.one.workerCpuMsPerSeed));
  console.log(`  worker CPU per seed, 2 workers / 1: ${cpuRatio.toFixed(2)}x (1.00x would be perfect; ideal scaling is 2 / this)`);
  console.log(`  scaling 2 vs 1 worker (median of the rounds' ratios): ${result.scaling.toFixed(2)}x (goal >= 1.70x)`);
}

if (process.argv[1] !== undefined && import.meta.url === pathToFileURL(process.argv[1]).href) await main();
