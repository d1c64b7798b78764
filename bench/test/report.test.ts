import { expect } from 'chai';
import { chartSpec, keyRatioLines, noiseWarnings, ratioToReference, renderMarkdown } from '../report.js';
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
