/**
 * Campaign throughput: seeds per second of the KV workload (posix profile, default faults) on 1
 * and on 2 worker processes, and the scaling ratio (goal: at least 1.7x on 2 cores).
 *
 * Run: `node dist/bench/campaign.js [--seeds N] [--quick]`. Seeds run in worker processes, which
 * start with V8's GC helper threads off, as the `faultline` command's do (see `src/cli/worker-process.ts`).
 * `runCampaignBench()` is exported for `bench/run.ts`.
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
}

export interface CampaignBenchResult {
  readonly rows: readonly CampaignBenchRow[];
  /** Throughput with 2 workers over throughput with 1. */
  readonly scaling: number;
}

/**
 * Runs the KV workload over `seeds` seeds with 1 worker, then with 2 (different seed ranges, so
 * neither run benefits from the other's warm caches). A warm-up run first pays for worker start
 * and JIT. Rejects when a seed fails (a benchmark of a broken build means nothing).
 */
export async function runCampaignBench(seeds = 400, workload = 'kv'): Promise<CampaignBenchResult> {
  const loaded = await loadWorkload(workload);
  const base = { workload: loaded, profile: 'posix', faults: 'default', latency: 'default', options: {} } as const;
  await runCampaign({ ...base, seedFrom: 1_000_000, seedCount: 40, workers: 2 });
  const rows: CampaignBenchRow[] = [];
  for (const workers of [1, 2]) {
    const result = await runCampaign({ ...base, seedFrom: workers * 100_000, seedCount: seeds, workers });
    if (result.failed > 0) throw new Error(`campaign bench: ${result.failed} seeds failed (first ${result.failures[0]?.seed})`);
    rows.push({
      workers,
      seeds,
      seconds: result.wallMs / 1000,
      seedsPerSecond: result.seedsPerSecond,
      seedsPerSecondPerWorker: result.seedsPerSecond / workers,
    });
  }
  return { rows, scaling: rows[1]!.seedsPerSecond / rows[0]!.seedsPerSecond };
}

async function main(): Promise<void> {
  const at = process.argv.indexOf('--seeds');
  // Worker start-up (module loading) is a fixed cost: a few hundred seeds hide the scaling under
  // it, so the full run uses enough seeds for each configuration to last several seconds.
  const defaultSeeds = process.argv.includes('--quick') ? 300 : 3000;
  const seeds = at > 0 ? Number(process.argv[at + 1]) : defaultSeeds;
  if (!Number.isSafeInteger(seeds) || seeds <= 0) throw new Error('--seeds must be a positive integer');
  const result = await runCampaignBench(seeds);
  console.log(`campaign throughput, kv workload, posix profile, default faults (${availableParallelism()} cores available)`);
  for (const row of result.rows) {
    console.log(`  ${row.workers} worker${row.workers === 1 ? ' ' : 's'}: ${row.seedsPerSecond.toFixed(1)} seeds/s (${row.seeds} seeds in ${row.seconds.toFixed(1)}s, ${row.seedsPerSecondPerWorker.toFixed(1)} per worker)`);
  }
  console.log(`  scaling 2 vs 1 worker: ${result.scaling.toFixed(2)}x (goal >= 1.70x)`);
}

if (process.argv[1] !== undefined && import.meta.url === pathToFileURL(process.argv[1]).href) await main();
