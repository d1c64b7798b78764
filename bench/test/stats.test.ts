import { expect } from 'chai';
import { summarize } from '../stats.js';

describe('bench/stats summarize', () => {
  it('takes the middle value of an odd count and the mean of the middle two of an even count', () => {
    expect(summarize([5, 1, 3]).median).to.equal(3);
    expect(summarize([4, 1, 3, 2]).median).to.equal(2.5);
  });

  it('reports min, max, quartiles and the spread ratio', () => {
    const values = [10, 20, 30, 40, 50];
    const s = summarize(values);
    expect(s.runs).to.equal(5);
    expect([s.min, s.max]).to.deep.equal([10, 50]);
    expect([s.q1, s.q3]).to.deep.equal([20, 40]);
    expect(s.spreadRatio).to.equal((50 - 10) / 30);
  });

  it('does not reorder the caller\'s array', () => {
    const values = [3, 1, 2];
    summarize(values);
    expect(values).to.deep.equal([3, 1, 2]);
  });

  it('refuses empty and non-finite input', () => {
    expect(() => summarize([])).to.throw(RangeError);
    expect(() => summarize([1, Number.NaN])).to.throw(RangeError);
  });

  it('gives a zero spread for a zero median instead of dividing by it', () => {
    expect(summarize([0, 0, 0]).spreadRatio).to.equal(0);
  });
});
