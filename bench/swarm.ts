/**
 * Swarm faults against the fixed presets: for each broken variant of the example KV store, the
 * lowest seed that catches it and the catches per 1,000 seeds, under `--faults default`, `heavy`
 * and `swarm` (same seeds 1..N for each). The correct store runs too: under every preset it must
 * fail no seed.
 *
 * Run: `node dist/bench/swarm.js [--seeds N] [--faults default,heavy,swarm] [--workers W]`.
 */
import { availableParallelism } from 'node:os';
import { pathToFileURL } from 'node:url';
import { runCampaign } from '../src/cli/campaign.js';
import { loadWorkload } from '../src/cli/load-workload.js';
import type { FaultPresetName } from '../src/cli/workload.js';

export interface SwarmRow {
  readonly workload: string;
  readonly faults: FaultPresetName;
  readonly seeds: number;
  /** Lowest failing seed, or undefined when none of the seeds caught it. */
  readonly firstCatch: number | undefined;
  readonly catchesPer1000: number;
}

export async function runSwarmBench(seeds: number, presets: readonly FaultPresetName[], workers: number): Promise<SwarmRow[]> {
  const kv = await loadWorkload('kv');
  const variants = ['', ...Object.keys(kv.workload.variants ?? {})];
  const rows: SwarmRow[] = [];
  for (const variant of variants) {
    const name = variant === '' ? 'kv' : `kv:${variant}`;
    const workload = await loadWorkload(name);
    for (const faults of presets) {
      const result = await runCampaign({ workload, seedFrom: 1, seedCount: seeds, workers, profile: 'posix', faults, latency: 'default', options: {} });
      rows.push({ workload: name, faults, seeds, firstCatch: result.failures[0]?.seed, catchesPer1000: (result.failed * 1000) / seeds });
    }
  }
  return rows;
}

async function main(): Promise<void> {
  const flag = (name: string): string | undefined => {
    const at = process.argv.indexOf(name);
    return at > 0 ? process.argv[at + 1] : undefined;
  };
  const seeds = Number(flag('--seeds') ?? 300);
  const presets = (flag('--faults') ?? 'default,heavy,swarm').split(',') as FaultPresetName[];
  const workers = Number(flag('--workers') ?? availableParallelism());
  const rows = await runSwarmBench(seeds, presets, workers);
  console.log(`| workload | faults | seeds | first catch (seed) | catches per 1,000 seeds |`);
  console.log(`|---|---|---:|---:|---:|`);
  for (const row of rows) {
    console.log(`| ${row.workload} | ${row.faults} | ${row.seeds} | ${row.firstCatch ?? 'not caught'} | ${row.catchesPer1000.toFixed(0)} |`);
  }
}

if (process.argv[1] !== undefined && import.meta.url === pathToFileURL(process.argv[1]).href) await main();
