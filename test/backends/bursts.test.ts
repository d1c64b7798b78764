/** Bursts: which reads (writes) UringIo's coalesceReads (coalesceWrites) treats as arriving together. */
import { expect } from 'chai';
import { Bursts } from '../../src/backends/iouring/bursts.js';

const microtasks = (): Promise<void> => new Promise((resolve) => setImmediate(resolve));

describe('Bursts', function () {
  it('a read with no history is alone; a second in the same microtask run makes a burst', function () {
    const bursts = new Bursts();
    bursts.note(1);
    expect(bursts.alone).to.equal(true);
    bursts.note(1);
    expect(bursts.alone).to.equal(false);
  });

  it('the last closed burst predicts the next read: after a burst, a lone read is not alone until a burst of one has closed', async function () {
    const bursts = new Bursts();
    bursts.note(3);
    expect(bursts.alone, 'a batch of three').to.equal(false);
    await microtasks();
    bursts.note(1);
    expect(bursts.alone, 'the last burst had three').to.equal(false);
    await microtasks();
    bursts.note(1);
    expect(bursts.alone, 'the last burst had one').to.equal(true);
  });

  it('an awaited read at a time makes bursts of one; reads issued together before an await make one burst', async function () {
    const bursts = new Bursts();
    const seen: boolean[] = [];
    for (let i = 0; i < 5; i += 1) {
      bursts.note(1);
      seen.push(bursts.alone);
      await Promise.resolve();
    }
    expect(seen).to.deep.equal([true, true, true, true, true]);
    // Three awaiting callers woken together: each continuation notes its read in the same run.
    const lanes = [0, 1, 2].map(async () => {
      await Promise.resolve();
      bursts.note(1);
      return bursts.alone;
    });
    expect(await Promise.all(lanes)).to.deep.equal([true, false, false]);
  });
});
