import { expect } from 'chai';
import { escapeXml, niceCeiling, renderBarChart } from '../svg-chart.js';

function barWidths(svg: string): number[] {
  return [...svg.matchAll(/<rect x="[\d.]+" y="[\d.]+" width="([\d.]+)"/g)].map((m) => Number(m[1]));
}

describe('bench/svg-chart', () => {
  it('rounds the axis end up to 1, 2, 2.5 or 5 times a power of ten', () => {
    expect(niceCeiling(7)).to.equal(10);
    expect(niceCeiling(1800)).to.equal(2000);
    expect(niceCeiling(2100)).to.equal(2500);
    expect(niceCeiling(0)).to.equal(1);
  });

  it('draws bar lengths proportional to the values', () => {
    const svg = renderBarChart({
      title: 't', unit: 'ops/s', series: ['a', 'b'],
      groups: [{ label: '', bars: [{ series: 0, value: 100 }, { series: 1, value: 25 }] }],
    });
    const [a, b] = barWidths(svg);
    expect(a).to.be.greaterThan(0);
    expect(b! / a!).to.be.closeTo(0.25, 0.01);
  });

  it('escapes labels and keeps the document well formed', () => {
    const svg = renderBarChart({
      title: 'a <b> & "c"', unit: 'MB/s', series: ['x<y'],
      groups: [{ label: 'queue depth 1', bars: [{ series: 0, value: 3, min: 2, max: 4 }] }],
    });
    expect(svg).to.contain(escapeXml('a <b> & "c"'));
    expect(svg).to.contain('x&lt;y');
    expect(svg).not.to.contain('x<y');
    expect(svg.startsWith('<svg ')).to.equal(true);
    expect(svg.trim().endsWith('</svg>')).to.equal(true);
    const opened = (svg.match(/<(text|rect|title)\b/g) ?? []).length;
    const closed = (svg.match(/<\/(text|rect|title)>/g) ?? []).length;
    const selfClosed = (svg.match(/<rect [^>]*\/>/g) ?? []).length;
    expect(opened).to.equal(closed + selfClosed);
    expect(svg).to.contain('queue depth 1');
  });
});
