import { expect } from 'chai';
import { extractNotes } from '../notes.js';
import { chartSpec, KEPT_NOTES_HEADING, keyRatioLines, noiseWarnings, ratioToReference, renderMarkdown } from '../report.js';
import type { BenchResults, Cell, WorkloadResult } from '../results.js';
import { workloadSpec, PROFILES } from '../workloads.js';

function cell(competitor: string, queueDepth: number, opsPerSec: number[], more: Partial<Cell> = {}): Cell {
  return { competitor, queueDepth, opsPerSec, bytesPerSec: opsPerSec.map((o) => o * 4096), errors: opsPerSec.map(() => 0), extras: opsPerSec.map(() => ({})), ...more };
}

function sample(): BenchResults {
  const randread: WorkloadResult = {
    spec: workloadSpec('randread'), queueDepths: [1, 64], fileSizeBytes: 1 << 24,
    cells: [
      cell('uring', 1, [100, 110, 120]), cell('uring', 64, [400, 420, 500], { skippedRuns: ['run 4: addon missing'] }),
      cell('node-promises', 1, [50, 55, 60]), cell('node-promises', 64, [100, 100, 100]),
      cell('fio-io_uring', 1, [], { unavailable: 'fio is not installed' }), cell('fio-io_uring', 64, [], { unavailable: 'fio is not installed' }),
    ],
  };
  return {
    machine: { cpuModel: 'cpu', cpuCount: 2, memoryBytes: 2 ** 30, kernel: 'Linux x', node: 'v20', libuv: '1', fileSystem: 'ext4', virtualized: true, fio: undefined },
    profile: PROFILES.full, startedAt: '2026-01-01T00:00:00.000Z', finishedAt: '2026-01-01T00:10:00.000Z',
    workloads: [randread], extras: [{ name: 'scratch', title: 'Scratch region', outcome: { status: 'absent' } }],
  };
}

describe('bench/report', () => {
  it('takes ratios between medians at the same queue depth', () => {
    const result = sample().workloads[0]!;
    expect(ratioToReference(result, 'uring', 1)).to.equal(110 / 55);
    expect(ratioToReference(result, 'uring', 64)).to.equal(420 / 100);
    expect(ratioToReference(result, 'fio-io_uring', 64)).to.equal(undefined);
  });

  it('flags figures whose runs spread by more than 10%', () => {
    const warnings = noiseWarnings(sample());
    // uring QD 1: (120-100)/110 = 18%; QD 64: 100/420 = 24%; node-promises QD 1: 10/55 = 18%; QD 64: 0.
    expect(warnings).to.have.length(3);
    expect(warnings.join('\n')).not.to.contain('QD 64 node fs.promises');
  });

  it('writes the machine, tables, chart links, the gaps and the ratios into the markdown', () => {
    const md = renderMarkdown(sample(), (id) => `docs/bench/${id}.svg`);
    expect(md).to.contain('Bench directory file system: ext4');
    expect(md).to.contain('](docs/bench/randread.svg)');
    expect(md).to.contain('| QD 1 | QD 64 |');
    expect(md).to.contain('(4.20×)');
    expect(md).to.contain('fio io_uring engine: not available: fio is not installed');
    expect(md).to.contain('Not present in this checkout.');
    expect(md).to.contain('3 of 4 figures spread by more than 10%');
    expect(md).to.contain('QD 64: run 4: addon missing (figures above from the other 3 runs)');
    expect(keyRatioLines(sample()).join('\n')).to.contain('UringIo ÷ fs.promises 4.20×');
  });

  it('charts one group per queue depth with a bar per measured competitor', () => {
    const spec = chartSpec(sample().workloads[0]!);
    expect(spec.groups.map((g) => g.label)).to.deep.equal(['queue depth 1', 'queue depth 64']);
    expect(spec.groups[1]!.bars.map((b) => b.value)).to.deep.equal([420, 100]);
    expect(spec.groups[1]!.bars[0]).to.include({ min: 400, max: 500 });
  });
});

function block(key: string, ...lines: string[]): string {
  return [`<!-- notes:${key} -->`, ...lines, `<!-- /notes:${key} -->`].join('\n');
}

/** The sample with a script that ran (its output is an anchor) besides the absent one. */
function sampleWithOutput(): BenchResults {
  const base = sample();
  return { ...base, extras: [{ name: 'uring-reads', title: 'io_uring vs fio', outcome: { status: 'ok', output: '| fio | 1.00× |', elapsedMs: 1 } }, ...base.extras] };
}

const chartPath = (id: string): string => `docs/bench/${id}.svg`;

/** Index of the line equal to `text`, searched from line `from`; fails the test when absent. */
function lineIndex(lines: readonly string[], text: string, from = 0): number {
  const at = lines.indexOf(text, from);
  expect(at, `line ${JSON.stringify(text)}`).to.be.at.least(0);
  return at;
}

describe('bench/report notes', () => {
  const notes = new Map([
    ['top', block('top', 'Quote the ratios.')],
    ['randread', block('randread', '', '**What moved.** QD 8: 0.92×.', '')],
    ['extra:uring-reads', block('extra:uring-reads', 'Still short of the goals: QD 1.')],
    ['extra:scratch', block('extra:scratch', 'Measured by hand.')],
  ]);

  it('puts each block back at its anchor: after Key ratios, a workload, a script output, an absent script', () => {
    const lines = renderMarkdown(sampleWithOutput(), chartPath, notes).split('\n');
    const top = lineIndex(lines, '<!-- notes:top -->');
    expect(top).to.be.above(lineIndex(lines, '## Key ratios'));
    expect(lines[top + 3]).to.equal('');
    expect(lines[top + 4]).to.equal('## Competitors');
    // The workload's section ends with its list of what could not run; the block follows it.
    const lastMissing = lineIndex(lines, '- fio io_uring engine: not available: fio is not installed');
    expect(lines.slice(lastMissing + 1, lastMissing + 3)).to.deep.equal(['', '<!-- notes:randread -->']);
    expect(lines[lineIndex(lines, '<!-- /notes:randread -->') + 2]).to.equal('## Other benchmarks');
    const uring = lineIndex(lines, '### io_uring vs fio (`bench/uring-reads`)');
    const output = lineIndex(lines, '| fio | 1.00× |', uring);
    expect(lines.slice(output + 1, output + 4)).to.deep.equal(['```', '', '<!-- notes:extra:uring-reads -->']);
    const scratch = lineIndex(lines, '### Scratch region (`bench/scratch`)');
    expect(lines.slice(scratch + 2, scratch + 5)).to.deep.equal(['Not present in this checkout.', '', '<!-- notes:extra:scratch -->']);
    expect(lines).not.to.include(KEPT_NOTES_HEADING);
  });

  it('keeps a block whose anchor is not in the report at the end, and returns it once the anchor is back', () => {
    const withoutRandread: BenchResults = { ...sampleWithOutput(), workloads: [] };
    const kept = new Map([...notes, ['no-such-section', block('no-such-section', 'Typo in the key.')]]);
    const md = renderMarkdown(withoutRandread, chartPath, kept);
    const tail = md.slice(md.indexOf(KEPT_NOTES_HEADING));
    expect(md.indexOf(KEPT_NOTES_HEADING)).to.be.above(md.indexOf('Run finished'));
    expect(tail.indexOf(notes.get('randread')!)).to.be.above(0);
    expect(tail.indexOf(block('no-such-section', 'Typo in the key.'))).to.be.above(tail.indexOf(notes.get('randread')!));
    expect(tail).not.to.contain('<!-- notes:top -->');

    const back = renderMarkdown(sampleWithOutput(), chartPath, extractNotes(md));
    const backTail = back.slice(back.indexOf(KEPT_NOTES_HEADING));
    expect(backTail).not.to.contain('<!-- notes:randread -->');
    expect(backTail).to.contain('<!-- notes:no-such-section -->');
    expect(back.indexOf('<!-- notes:randread -->')).to.be.below(back.indexOf('## Other benchmarks'));
  });

  it('round-trips: render, extract, render again gives the same text', () => {
    const kept = new Map([...notes, ['seqread', block('seqread', 'From an earlier run.')]]);
    const first = renderMarkdown(sampleWithOutput(), chartPath, kept);
    const extracted = extractNotes(first);
    expect(extracted).to.deep.equal(kept);
    expect(renderMarkdown(sampleWithOutput(), chartPath, extracted)).to.equal(first);
    expect(extractNotes(renderMarkdown(sampleWithOutput(), chartPath)).size).to.equal(0);
  });

  it('says in Reproduce that notes between the markers survive a rewrite', () => {
    const md = renderMarkdown(sample(), chartPath);
    expect(md).to.contain('Hand-written notes survive a rewrite when they sit between a `<!-- notes:<key> -->` line and a `<!-- /notes:<key> -->` line');
  });
});
