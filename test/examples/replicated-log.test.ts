/**
 * The three-replica log under the simulator: replicas crash and restart independently, the
 * leader fails over, and now and then every machine loses power at once. The correct protocol
 * keeps every acknowledged entry on two replicas; its broken variants are caught.
 */
import { expect } from 'chai';
import { runCampaign } from '../../src/cli/campaign.js';
import { loadWorkload } from '../../src/cli/load-workload.js';
import { replayCommand } from '../../src/cli/report.js';
import { REPLICATED_LOG_VARIANTS } from '../../examples/replicated-log/workload.js';

const SEEDS = 300;
const VARIANT_BUDGET = 100;

describe('examples/replicated-log under the simulator', function () {
  this.timeout(300_000);

  it(`keeps every acknowledged entry on two replicas over seeds 1..${SEEDS}`, async () => {
    const workload = await loadWorkload('replicated-log');
    const result = await runCampaign({ workload, seedFrom: 1, seedCount: SEEDS, workers: 2, profile: 'posix', faults: 'default', latency: 'default', options: {} });
    expect(result.failures.map((f) => `${f.seed}: ${f.error?.message}`)).to.deep.equal([]);
    expect(result.seedsRun).to.equal(SEEDS);
    expect(result.excused).to.be.below(SEEDS * 0.15);
  });

  for (const variant of Object.keys(REPLICATED_LOG_VARIANTS)) {
    it(`catches replicated-log:${variant} within ${VARIANT_BUDGET} seeds`, async () => {
      const workload = await loadWorkload(`replicated-log:${variant}`);
      const result = await runCampaign({ workload, seedFrom: 1, seedCount: VARIANT_BUDGET, workers: 2, profile: 'posix', faults: 'default', latency: 'default', options: {}, failFast: true });
      const first = result.failures[0];
      expect(first, `replicated-log:${variant} survived ${VARIANT_BUDGET} seeds`).to.not.equal(undefined);
      console.log(`    first failing seed ${first!.seed}: ${first!.error?.message}`);
      console.log(`    replay: ${replayCommand(`replicated-log:${variant}`, first!.seed, 'posix', 'default', 'default', {})}`);
      expect(first!.error?.code).to.equal('ERR_INVARIANT');
    });
  }
});
