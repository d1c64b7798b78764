/**
 * One seed run on a campaign worker process, for the commands that run seeds one at a time
 * (`replay`, each run of `shrink`): a seed that spins in a synchronous loop fails with
 * `ERR_SEED_TIMEOUT` after the timeout instead of hanging the command, and one that exits or
 * crashes its process fails with `ERR_WORKER_EXIT`, as it would in the campaign.
 */
import { runCampaign, type SeedExtras } from './campaign.js';
import type { LoadedWorkload } from './load-workload.js';
import type { SeedResult } from './run-seed.js';
import type { LatencyPresetName } from './sim-api.js';
import type { FaultPresetName, SimProfile } from './workload.js';

export interface OneSeedSpec {
  readonly workload: LoadedWorkload;
  readonly seed: number;
  readonly profile: SimProfile;
  readonly faults: FaultPresetName;
  readonly latency: LatencyPresetName;
  readonly options: Readonly<Record<string, string>>;
  readonly intercept?: boolean;
  readonly checkDeterminism?: boolean;
  readonly seedTimeoutMs: number;
  readonly extras: SeedExtras;
}

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
