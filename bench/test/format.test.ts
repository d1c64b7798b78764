import { expect } from 'chai';
import { formatBytes, formatCount, formatLatencyMs, formatMegabytesPerSec, formatRatio } from '../format.js';

describe('bench/format', () => {
  it('prints counts with three significant digits and a k/M/G suffix', () => {
    expect(formatCount(0)).to.equal('0');
    expect(formatCount(950)).to.equal('950');
    expect(formatCount(1234)).to.equal('1.23k');
    expect(formatCount(123_456)).to.equal('123k');
    expect(formatCount(4_590_000)).to.equal('4.59M');
  });

  it('prints sizes in binary units, without a useless decimal', () => {
    expect(formatBytes(4096)).to.equal('4 KiB');
    expect(formatBytes(256 * 2 ** 20)).to.equal('256 MiB');
    expect(formatBytes(1.5 * 2 ** 20)).to.equal('1.5 MiB');
    expect(formatBytes(100)).to.equal('100 B');
  });

  it('prints MB/s in decimal megabytes and ratios with a multiplication sign', () => {
    expect(formatMegabytesPerSec(446_000_000)).to.equal('446');
    expect(formatMegabytesPerSec(60_500_000)).to.equal('60.5');
    expect(formatRatio(2.3567)).to.equal('2.36×');
    expect(formatRatio(43.14)).to.equal('43.1×');
  });
});

describe('bench/format latency', () => {
  it('switches from microseconds to milliseconds at 1 ms', () => {
    expect(formatLatencyMs(0.0387)).to.equal('38.7 µs');
    expect(formatLatencyMs(0.25)).to.equal('250 µs');
    expect(formatLatencyMs(1.234)).to.equal('1.23 ms');
  });
});
