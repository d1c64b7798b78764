/**
 * The checked count behind a campaign's verdict: the ledger counts each seed of the range once,
 * names the seeds without a result, and a campaign with a missing seed fails.
 */
import { expect } from 'chai';
import type { CampaignResult } from '../../src/cli/campaign.js';
import { campaignExitCode } from '../../src/cli/cmd-sim.js';
import { formatSummary } from '../../src/cli/report.js';
import { SeedLedger } from '../../src/cli/seed-ledger.js';

describe('cli: the seed ledger', () => {
  it('counts each seed of the range once and tracks the lowest seed without a result', () => {
    const ledger = new SeedLedger(20);
    expect(ledger.doneBelow).to.equal(0);
    for (const index of [1, 2, 0]) expect(ledger.mark(index)).to.equal(true);
    expect(ledger.doneBelow).to.equal(3);
    expect(ledger.mark(2), 'duplicate').to.equal(false);
    expect(ledger.mark(-1), 'below the range').to.equal(false);
    expect(ledger.mark(20), 'past the range').to.equal(false);
    expect(ledger.mark(0.5), 'not an index').to.equal(false);
    expect(ledger.done).to.equal(3);
    expect(ledger.duplicates).to.equal(1);
    expect(ledger.missingCount).to.equal(17);
    expect(ledger.missing(3)).to.deep.equal([3, 4, 5]);
  });

  it('names the missing seeds of a large range, skipping complete bytes', () => {
    const ledger = new SeedLedger(100_000);
    for (let index = 0; index < 100_000; index++) if (index !== 3 && index !== 99_998) ledger.mark(index);
    expect(ledger.missing()).to.deep.equal([3, 99_998]);
    expect(ledger.doneBelow).to.equal(3);
  });

  it('a campaign with a missing seed says so and fails, even with no failure', () => {
    const result: CampaignResult = {
      seedCount: 6, seedsRun: 5, passed: 5, failed: 0, excused: 0, failures: [], missingCount: 1, missing: [3],
      resumeFrom: 3, wallMs: 100, seedsPerSecond: 50, stoppedEarly: false, workerCpuMs: 0,
    };
    expect(formatSummary(result, 2)).to.match(/^FAIL: 1 of 6 seeds never reported a result \(missing: 3\); 5 passed, 0 failed/);
    expect(campaignExitCode(result)).to.equal(1);
    expect(campaignExitCode({ ...result, seedsRun: 6, passed: 6, missingCount: 0, missing: [] })).to.equal(0);
    expect(campaignExitCode({ ...result, interrupted: 'SIGINT' })).to.equal(130);
  });
});
