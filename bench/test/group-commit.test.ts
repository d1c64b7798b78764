import { expect } from 'chai';
import { GroupCommitter } from '../workloads/group-commit.js';

function delay(ms: number): Promise<void> {
  return new Promise((resolve) => setTimeout(resolve, ms));
}

describe('bench/workloads GroupCommitter', () => {
  it('lets writers that arrive during a sync share the next one', async () => {
    let running = 0;
    let overlapped = false;
    const committer = new GroupCommitter(async () => {
      running += 1;
      if (running > 1) overlapped = true;
      await delay(20);
      running -= 1;
    });
    const first = committer.commit();
    await delay(5);
    const late = Array.from({ length: 10 }, () => committer.commit());
    await Promise.all([first, ...late]);
    expect(committer.syncs).to.equal(2);
    expect(overlapped).to.equal(false);
  });

  it('never resolves a commit with a sync that started before the call', async () => {
    const syncStarts: number[] = [];
    let clock = 0;
    const committer = new GroupCommitter(async () => {
      syncStarts.push(clock);
      await delay(5);
    });
    const checks: Promise<void>[] = [];
    for (let i = 0; i < 20; i++) {
      clock += 1;
      const calledAt = clock;
      checks.push(committer.commit().then(() => {
        expect(syncStarts.some((t) => t >= calledAt)).to.equal(true);
      }));
      await delay(i % 3);
    }
    await Promise.all(checks);
    expect(committer.syncs).to.be.lessThan(20);
  });

  it('passes a failed sync to its waiters and keeps working afterwards', async () => {
    let fail = true;
    const committer = new GroupCommitter(async () => {
      if (fail) throw new Error('EIO');
    });
    let caught: unknown;
    await committer.commit().catch((err: unknown) => { caught = err; });
    expect(caught).to.be.instanceOf(Error);
    fail = false;
    await committer.commit();
    expect(committer.syncs).to.equal(2);
  });
});
