/**
 * The example KV store under the simulator: the correct store survives thousands of seeds of
 * power cuts and disk faults, and every deliberately broken variant is caught within a stated
 * seed budget. Each catch prints the first failing seed and the command that replays it.
 * `npm run campaign` runs a much longer campaign.
 */
import { expect } from 'chai';
import { availableParallelism } from 'node:os';
import { runCampaign } from '../../src/cli/campaign.js';
import { loadWorkload } from '../../src/cli/load-workload.js';
import { replayCommand } from '../../src/cli/report.js';
import { runSeed } from '../../src/cli/run-seed.js';
import type { FaultPresetName, SimProfile } from '../../src/cli/workload.js';
import { KV_BUGS, type KvBug } from '../../examples/kv/bugs.js';

/** Seeds of the correct store in the default run; `FAULTLINE_KV_SEEDS` raises it. */
const CORRECT_SEEDS = Number(process.env['FAULTLINE_KV_SEEDS'] ?? 2000);
const WORKERS = Math.min(2, availableParallelism());

/**
 * How each bug is caught: the fault preset it needs and the seed budget within which the first
 * failure must appear. fsync-retry needs fsync errors, which the default preset makes rare (and a
 * later append to the same page often rewrites the dropped data, as on Linux); no-checksum is
 * caught mostly by torn sectors and read corruption, more frequent under `heavy`.
 */
const BUG_BUDGETS: Readonly<Record<KvBug, { readonly faults: FaultPresetName; readonly seeds: number }>> = {
  'ack-before-sync': { faults: 'default', seeds: 50 },
  'no-dir-sync': { faults: 'default', seeds: 50 },
  'no-checksum': { faults: 'heavy', seeds: 300 },
  'fsync-retry': { faults: 'heavy', seeds: 300 },
  'trust-size': { faults: 'default', seeds: 300 },
  'rename-before-sync': { faults: 'default', seeds: 300 },
};

async function campaign(specifier: string, seeds: number, profile: SimProfile, faults: FaultPresetName, failFast: boolean) {
  const workload = await loadWorkload(specifier);
  return runCampaign({ workload, seedFrom: 1, seedCount: seeds, workers: WORKERS, profile, faults, latency: 'default', options: {}, failFast });
}

describe('examples/kv under the simulator', function () {
  this.timeout(600_000);

  it(`the correct store passes ${CORRECT_SEEDS} seeds (posix profile, default faults)`, async () => {
    const result = await campaign('kv', CORRECT_SEEDS, 'posix', 'default', false);
    for (const failure of result.failures.slice(0, 3)) {
      console.log(`    seed ${failure.seed}: ${failure.error?.code} ${failure.error?.message}\n    replay: ${replayCommand('kv', failure.seed, 'posix', 'default', 'default', {})}`);
    }
    console.log(`    ${result.seedsRun} seeds in ${(result.wallMs / 1000).toFixed(1)}s (${result.seedsPerSecond.toFixed(0)} seeds/s on ${WORKERS} workers)`);
    console.log(`    ${result.excused} seeds stopped early on an injected media fault (excused)`);
    expect(result.seedsRun).to.equal(CORRECT_SEEDS);
    expect(result.failed).to.equal(0);
    // Excuses must stay the exception: most seeds check every invariant to the end.
    expect(result.excused).to.be.below(CORRECT_SEEDS * 0.15);
  });

  for (const profile of ['ext4-ordered', 'writeback', 'none'] as const) {
    it(`the correct store passes 200 seeds under the ${profile} profile`, async () => {
      const result = await campaign('kv', 200, profile, 'default', false);
      expect(result.failures.map((f) => `${f.seed}: ${f.error?.message}`)).to.deep.equal([]);
    });
  }

  it('the correct store passes 100 seeds under heavy faults', async () => {
    const result = await campaign('kv', 100, 'posix', 'heavy', false);
    expect(result.failures.map((f) => `${f.seed}: ${f.error?.message}`)).to.deep.equal([]);
  });

  for (const bug of Object.keys(KV_BUGS) as KvBug[]) {
    const budget = BUG_BUDGETS[bug];
    it(`catches kv:${bug} within ${budget.seeds} seeds (${budget.faults} faults)`, async () => {
      const result = await campaign(`kv:${bug}`, budget.seeds, 'posix', budget.faults, true);
      const first = result.failures[0];
      expect(first, `kv:${bug} survived ${budget.seeds} seeds`).to.not.equal(undefined);
      console.log(`    first failing seed ${first!.seed}: ${first!.error?.message}`);
      console.log(`    replay: ${replayCommand(`kv:${bug}`, first!.seed, 'posix', budget.faults, 'default', {})}`);
      expect(first!.error?.code).to.equal('ERR_INVARIANT');
    });
  }

  it('replays a failing seed exactly: same error, same hash', async () => {
    const workload = await loadWorkload('kv:ack-before-sync');
    const spec = { profile: 'posix', faults: 'default', latency: 'default', options: { variant: 'ack-before-sync' } } as const;
    let failing: Awaited<ReturnType<typeof runSeed>> | undefined;
    for (let seed = 1; seed <= 50 && failing === undefined; seed++) {
      const result = await runSeed(workload.workload, { seed, ...spec });
      if (!result.ok) failing = result;
    }
    expect(failing).to.not.equal(undefined);
    const again = await runSeed(workload.workload, { seed: failing!.seed, ...spec, traceCapacity: 1_000_000 });
    expect(again.ok).to.equal(false);
    expect(again.hash).to.equal(failing!.hash);
    expect(again.error?.message).to.equal(failing!.error?.message);
    const other = await runSeed(workload.workload, { seed: failing!.seed + 1000, ...spec });
    expect(other.hash).to.not.equal(failing!.hash);
  });
});
