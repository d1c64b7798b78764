import { expect } from 'chai';
import { LatencyHistogram } from '../workloads/latency.js';

describe('bench/workloads LatencyHistogram', () => {
  it('finds percentiles within one bucket (12.5%) above the true value', () => {
    const histogram = new LatencyHistogram();
    // 1..1000 µs, uniformly: p50 is 0.5 ms, p99 is 0.99 ms.
    for (let us = 1; us <= 1000; us++) histogram.record(us / 1000);
    expect(histogram.count).to.equal(1000);
    const p50 = histogram.percentileMs(0.5);
    const p99 = histogram.percentileMs(0.99);
    expect(p50).to.be.within(0.5, 0.5 * 1.125);
    expect(p99).to.be.within(0.99, 0.99 * 1.125);
  });

  it('keeps outliers in range instead of growing', () => {
    const histogram = new LatencyHistogram();
    histogram.record(0);
    histogram.record(10 * 60 * 1000);
    expect(histogram.percentileMs(0.5)).to.equal(0.001);
    expect(histogram.percentileMs(1)).to.be.greaterThan(60_000);
  });

  it('answers 0 when nothing was recorded', () => {
    expect(new LatencyHistogram().percentileMs(0.99)).to.equal(0);
  });
});
