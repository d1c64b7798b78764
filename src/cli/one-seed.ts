/**
 * One seed run on a campaign worker process, for the commands that run seeds one at a time
 * (`replay`, each run of `shrink`): a seed that spins in a synchronous loop fails with
 * `ERR_SEED_TIMEOUT` after the timeout instead of hanging the command, and one that exits or
 * crashes its process fails with `ERR_WORKER_EXIT`, as it would in the campaign.
 */
import { runCampaign, type CampaignSpec, type SeedExtras } from './campaign.js';
import type { SeedResult } from './run-seed.js';

/** What one seed runs with: the campaign's settings, its seed, its real-time limit and a run's extras. */
export type OneSeedSpec = Pick<CampaignSpec, 'workload' | 'profile' | 'faults' | 'latency' | 'options' | 'intercept' | 'checkDeterminism'> & {
  readonly seed: number;
  readonly seedTimeoutMs: number;
  readonly extras: SeedExtras;
};

export async function runOneSeed(spec: OneSeedSpec): Promise<SeedResult> {
  let result: SeedResult | undefined;
  await runCampaign({
    workload: spec.workload,
    seedFrom: spec.seed,
    seedCount: 1,
    workers: 1,
    profile: spec.profile,
    faults: spec.faults,
    latency: spec.latency,
    options: spec.options,
    intercept: spec.intercept === true,
    checkDeterminism: spec.checkDeterminism === true,
    seedTimeoutMs: spec.seedTimeoutMs,
    seedExtras: spec.extras,
    onResult: (seedResult) => {
      result = seedResult;
    },
  });
  // A one-seed campaign always reports its seed (run, failed, or timed out).
  if (result === undefined) throw new Error(`seed ${spec.seed} has no result`);
  return result;
}
