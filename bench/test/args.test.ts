import { expect } from 'chai';
import { parseArgs } from '../args.js';
import { WORKLOAD_IDS } from '../types.js';

describe('bench/args parseArgs', () => {
  it('runs everything in the full profile by default', () => {
    const options = parseArgs([]);
    expect(options.quick).to.equal(false);
    expect(options.only).to.deep.equal([...WORKLOAD_IDS]);
    expect(options.runs).to.equal(undefined);
    expect(options.extras).to.equal(true);
  });

  it('accepts --quick, --only lists (spaced or with =), --runs and --out', () => {
    const options = parseArgs(['--quick', '--only', 'randread,sim', '--runs=3', '--out', 'somewhere']);
    expect(options.quick).to.equal(true);
    expect(options.only).to.deep.equal(['randread', 'sim']);
    expect(options.runs).to.equal(3);
    expect(options.outDir).to.equal('somewhere');
    expect(options.extras).to.equal(false);
  });

  it('selects only the other engineers\' benchmarks with --only extras', () => {
    const options = parseArgs(['--only', 'extras']);
    expect(options.only).to.deep.equal([]);
    expect(options.extras).to.equal(true);
  });

  it('rejects unknown workloads, unknown flags, missing values and bad run counts', () => {
    expect(() => parseArgs(['--only', 'nope'])).to.throw(RangeError);
    expect(() => parseArgs(['--fast'])).to.throw(RangeError);
    expect(() => parseArgs(['--only'])).to.throw(RangeError);
    expect(() => parseArgs(['--runs', '0'])).to.throw(RangeError);
    expect(() => parseArgs(['--runs', '2.5'])).to.throw(RangeError);
  });
});

describe('bench/args --render', () => {
  it('takes the results file to render from', () => {
    expect(parseArgs(['--render', 'r.json']).renderFrom).to.equal('r.json');
    expect(parseArgs([]).renderFrom).to.equal(undefined);
  });
});
