import { expect } from 'chai';
import { controlFloor, controlLine, evaluateGoals, GOALS, goalsTableLines, R_BATCH, R_C_RING, R_FIO, R_FIO_AGAIN, R_FIO_BATCH, R_FIO_SQPOLL, R_LINKED, R_PROMISES, R_SQPOLL, R_STORAGE, R_URING, R_UV, summaryTableLines, type Row, type Workload } from '../uring-goals.js';

/** Rows of one (workload, depth) from ops/s per runner; a runner left out was not run. */
function rowsAt(workload: Workload, depth: number, opsPerSecondByRunner: Readonly<Record<string, number>>): Row[] {
  return Object.entries(opsPerSecondByRunner).map(([runner, opsPerSecond]) => ({ workload, depth, runner, figures: { opsPerSecond, cpuUsPerOp: 1 } }));
}

/** Cells of the Goals table line whose goal text starts with `goalStart`: [goal, met, not met]. */
function goalCells(lines: readonly string[], goalStart: string): string[] {
  const line = lines.find((l) => l.startsWith(`| ${goalStart}`));
  expect(line, goalStart).to.be.a('string');
  return line!.split(' | ').map((cell) => cell.replace(/^\| | \|$/g, ''));
}

describe('bench/uring-goals', () => {
  const measured: Row[] = [
    // Cached read QD 8: every goal met.
    ...rowsAt('read', 8, { [R_URING]: 600, [R_STORAGE]: 570, [R_PROMISES]: 100, [R_UV]: 500, [R_FIO]: 600 }),
    // O_DIRECT read QD 64: short of fio and of 3× fs.promises, which fio itself misses too (2.24×).
    ...rowsAt('read-direct', 64, { [R_URING]: 95, [R_STORAGE]: 80, [R_PROMISES]: 50, [R_UV]: 100, [R_FIO]: 112 }),
    // Cached write QD 64: short of 3× fs.promises where fio reaches 3.40×.
    ...rowsAt('write', 64, { [R_URING]: 216, [R_STORAGE]: 200, [R_PROMISES]: 100, [R_UV]: 100, [R_FIO]: 340 }),
    ...rowsAt('append', 1, { [R_LINKED]: 4900, [R_STORAGE]: 4500, [R_URING]: 4800, [R_PROMISES]: 3800, [R_UV]: 3500, [R_FIO]: 6400 }),
  ];

  it('lists, per goal, the rows that meet it and those that do not, with their figures', () => {
    const lines = goalsTableLines(evaluateGoals(measured));
    expect(lines.slice(0, 2)).to.deep.equal(['| goal | met | not met |', '|---|---|---|']);
    expect(lines).to.have.length(2 + GOALS.length);
    expect(goalCells(lines, 'UringIo ≥ 1.0× fio io_uring')).to.deep.equal(['UringIo ≥ 1.0× fio io_uring', 'cached read QD 8 (1.00×)', 'O_DIRECT read QD 64 (0.85×), cached write QD 64 (0.64×)']);
    expect(goalCells(lines, 'synced appends')).to.deep.equal(['synced appends (writeDurable) ≥ 1.0× fio', '—', 'synced append (0.77×)']);
    expect(goalCells(lines, 'every row ≥ 1.0× UV')[1]).to.equal('cached read QD 8 (1.20×), cached write QD 64 (2.16×), synced append (1.40×)');
    expect(goalCells(lines, 'every row ≥ 1.0× UV')[2]).to.equal('O_DIRECT read QD 64 (0.95×)');
    // Storage's appends (writeAtDurable) against writeDurable, the raw call they stand on.
    expect(goalCells(lines, 'Storage on UringIo ≥ 0.9× UringIo')).to.deep.equal(['Storage on UringIo ≥ 0.9× UringIo (writeDurable for appends)',
      'cached read QD 8 (0.95×), cached write QD 64 (0.93×), synced append (0.92×)', 'O_DIRECT read QD 64 (0.84×)']);
  });

  it('says on a row short of 3× fs.promises whether fio itself reaches it', () => {
    const [, met, notMet] = goalCells(goalsTableLines(evaluateGoals(measured)), 'every row ≥ 3.0× fs.promises');
    expect(met).to.equal('cached read QD 8 (6.00×)');
    expect(notMet).to.equal('O_DIRECT read QD 64 (1.90×; fio itself 2.24×, short of it too), cached write QD 64 (2.16×; fio itself 3.40×, reaches it), ' +
      'synced append (1.29×; fio itself 1.68×, short of it too)');
  });

  it('writes "n/a (fio not run)" when fio is absent, and keeps the goals that do not need it', () => {
    const withoutFio = measured.filter((r) => r.runner !== R_FIO);
    const lines = goalsTableLines(evaluateGoals(withoutFio));
    expect(goalCells(lines, 'UringIo ≥ 1.0× fio io_uring').slice(1)).to.deep.equal(['—', 'n/a (fio not run)']);
    expect(goalCells(lines, 'synced appends').slice(1)).to.deep.equal(['—', 'n/a (fio not run)']);
    expect(goalCells(lines, 'every row ≥ 3.0× fs.promises')[2]).to.contain('cached write QD 64 (2.16×; fio not run)');
    expect(goalCells(lines, 'every row ≥ 1.0× UV')[1]).to.contain('cached read QD 8 (1.20×)');
    expect(summaryTableLines(withoutFio)[2]).to.match(/^\| 4 KiB random read, cached \| 8 \| 0\.6k \| n\/a \| n\/a \|/);
  });

  it('names the row where only some runner is missing, and a goal with no row at all', () => {
    const partial = [...rowsAt('read', 1, { [R_URING]: 300, [R_STORAGE]: 290, [R_PROMISES]: 30, [R_UV]: 60 }),
      ...rowsAt('read', 8, { [R_URING]: 600, [R_STORAGE]: 570, [R_PROMISES]: 100, [R_UV]: 500, [R_FIO]: 500 })];
    const lines = goalsTableLines(evaluateGoals(partial));
    expect(goalCells(lines, 'UringIo ≥ 1.0× fio io_uring').slice(1)).to.deep.equal(['cached read QD 8 (1.20×)', 'cached read QD 1 (n/a, fio not run)']);
    expect(goalCells(lines, 'synced appends').slice(1)).to.deep.equal(['—', 'n/a (not measured)']);
  });

  it('compares UringIo with sqpoll to libuv\'s polled ring on cached reads and writes and appends only', () => {
    const rows = [...rowsAt('write', 1, { [R_URING]: 17, [R_SQPOLL]: 72, [R_UV]: 70 }), ...rowsAt('write', 8, { [R_URING]: 430, [R_SQPOLL]: 120, [R_UV]: 130 }),
      ...rowsAt('read', 8, { [R_URING]: 500, [R_SQPOLL]: 700, [R_UV]: 600 }), ...rowsAt('read-direct', 1, { [R_URING]: 15, [R_SQPOLL]: 1, [R_UV]: 12 })];
    const [, met, notMet] = goalCells(goalsTableLines(evaluateGoals(rows)), 'UringIo with sqpoll');
    expect(met).to.equal('cached read QD 8 (1.17×), cached write QD 1 (1.03×)');
    expect(notMet).to.equal('cached write QD 8 (0.92×)');
  });

  it('judges the sqpoll ring against fio with its own polling thread, and synced appends against fio without it too', () => {
    const rows = rowsAt('append', 1, { [R_LINKED]: 3.2, [R_SQPOLL]: 5.5, [R_FIO]: 5.0, [R_FIO_SQPOLL]: 4.0, [R_UV]: 3.0 });
    const lines = goalsTableLines(evaluateGoals(rows));
    expect(goalCells(lines, 'UringIo with sqpoll ≥ 1.0× fio --sqthread_poll=1').slice(1)).to.deep.equal(['synced append (1.38×)', '—']);
    expect(goalCells(lines, 'synced appends on UringIo sqpoll ≥ 1.0× fio io_uring (no SQPOLL)').slice(1)).to.deep.equal(['synced append (1.10×)', '—']);
    expect(goalCells(lines, 'synced appends (writeDurable)').slice(1)).to.deep.equal(['—', 'synced append (0.64×)']);
    const slower = goalsTableLines(evaluateGoals(rowsAt('append', 1, { [R_LINKED]: 3.2, [R_SQPOLL]: 4.5, [R_FIO]: 5.0 })));
    expect(goalCells(slower, 'synced appends on UringIo sqpoll ≥ 1.0× fio io_uring').slice(1)).to.deep.equal(['—', 'synced append (0.90×)']);
    expect(goalCells(slower, 'UringIo with sqpoll ≥ 1.0× fio --sqthread_poll=1').slice(1)).to.deep.equal(['—', 'n/a (fio sqthread_poll not run)']);
    const reads = goalsTableLines(evaluateGoals(rowsAt('read', 8, { [R_URING]: 500, [R_SQPOLL]: 650, [R_FIO]: 540, [R_FIO_SQPOLL]: 1000, [R_UV]: 600 })));
    expect(goalCells(reads, 'UringIo with sqpoll ≥ 1.0× fio --sqthread_poll=1').slice(1)).to.deep.equal(['—', 'cached read QD 8 (0.65×)']);
  });

  it('judges readBatch/writeBatch against fio in batches of the same depth, not fio\'s continuous queue, on the random rows only', () => {
    const rows = [...rowsAt('read', 64, { [R_URING]: 530, [R_BATCH]: 610, [R_FIO]: 700, [R_FIO_BATCH]: 560 }),
      ...rowsAt('write', 8, { [R_URING]: 215, [R_BATCH]: 95, [R_FIO]: 90, [R_FIO_BATCH]: 244 }),
      ...rowsAt('append', 1, { [R_LINKED]: 4.0, [R_BATCH]: 9.0, [R_FIO]: 5.0, [R_FIO_BATCH]: 5.0 })];
    const lines = goalsTableLines(evaluateGoals(rows));
    expect(goalCells(lines, 'UringIo readBatch/writeBatch (batches of QD) ≥ 1.0× fio io_uring in batches of QD').slice(1))
      .to.deep.equal(['cached read QD 64 (1.09×)', 'cached write QD 8 (0.39×)']);
    // fio's continuous queue alone is no reference for batches.
    const continuousOnly = goalsTableLines(evaluateGoals(rowsAt('read', 64, { [R_URING]: 530, [R_BATCH]: 610, [R_FIO]: 560 })));
    expect(goalCells(continuousOnly, 'UringIo readBatch/writeBatch').slice(1)).to.deep.equal(['—', 'n/a (fio in batches not run)']);
  });

  it('diagnoses the O_DIRECT rows against C on the same ring and wake-up, with fio beside it, and no other row', () => {
    const rows = [...rowsAt('write-direct', 64, { [R_URING]: 141, [R_FIO]: 166, [R_C_RING]: 160 }),
      ...rowsAt('read-direct', 8, { [R_URING]: 60, [R_FIO]: 60, [R_C_RING]: 58 }),
      ...rowsAt('read-direct', 64, { [R_URING]: 88, [R_FIO]: 93 }),
      ...rowsAt('read', 64, { [R_URING]: 690, [R_FIO]: 690, [R_C_RING]: 1000 })];
    const [, met, notMet] = goalCells(goalsTableLines(evaluateGoals(rows)), 'UringIo on O_DIRECT, diagnostic ≥ 1.0× C on the same ring and wake-up');
    expect(met).to.equal('O_DIRECT read QD 8 (1.03×)');
    // What the C program misses of fio is the ring and wake-up's; what UringIo misses of C, the runtime's.
    expect(notMet).to.equal('O_DIRECT read QD 64 (n/a, C on the same ring not run), O_DIRECT write QD 64 (0.88×; fio itself 1.04×, reaches it)');
  });

  it('judges the unrounded ratio and prints enough digits not to contradict it', () => {
    const close = rowsAt('read', 8, { [R_URING]: 996, [R_STORAGE]: 900, [R_PROMISES]: 100, [R_UV]: 1000, [R_FIO]: 1000 });
    const [, met, notMet] = goalCells(goalsTableLines(evaluateGoals(close)), 'UringIo ≥ 1.0× fio io_uring');
    expect(met).to.equal('—');
    expect(notMet).to.equal('cached read QD 8 (0.996×)');
  });

  it('marks a miss against fio within or past what fio measured against itself on that workload (the control)', () => {
    // O_DIRECT reads: the control landed 0.95× and 1/0.92 apart at QD 1 and 64: the floor is 0.92.
    const rows = [...rowsAt('read-direct', 1, { [R_URING]: 94, [R_FIO]: 100, [R_FIO_AGAIN]: 95 }),
      ...rowsAt('read-direct', 64, { [R_URING]: 80, [R_FIO]: 100, [R_FIO_AGAIN]: 108.7 }),
      ...rowsAt('read', 8, { [R_URING]: 900, [R_FIO]: 1000, [R_FIO_AGAIN]: 990 }),
      ...rowsAt('write', 8, { [R_URING]: 900, [R_FIO]: 1000 })];
    expect(controlFloor(rows, 'read-direct')).to.be.closeTo(100 / 108.7, 1e-9);
    expect(controlFloor(rows, 'read')).to.be.closeTo(0.99, 1e-9);
    expect(controlFloor(rows, 'write'), 'no control on the workload').to.equal(undefined);
    const [, met, notMet] = goalCells(goalsTableLines(evaluateGoals(rows)), 'UringIo ≥ 1.0× fio io_uring');
    expect(met).to.equal('—');
    expect(notMet).to.equal('cached read QD 8 (0.90×; past fio ÷ fio), O_DIRECT read QD 1 (0.94×; within fio ÷ fio), ' +
      'O_DIRECT read QD 64 (0.80×; past fio ÷ fio), cached write QD 8 (0.90×)');
    // Goals against other references are not judged by fio's control.
    expect(goalCells(goalsTableLines(evaluateGoals(rows)), 'every row ≥ 1.0× UV')[2]).to.not.contain('fio ÷ fio');
    expect(summaryTableLines(rows)[4]).to.contain('| 0.80× | 1.09× |');
    const line = controlLine(rows);
    expect(line).to.contain('cached read 0.99×, O_DIRECT read 0.92×.');
    expect(line).to.not.contain('cached write');
    expect(controlLine(rowsAt('read', 8, { [R_URING]: 900, [R_FIO]: 1000 })), 'no control run').to.equal(undefined);
  });

  it('keeps the ratio table in workload order with the append row on writeDurable', () => {
    const lines = summaryTableLines([...measured.filter((r) => r.workload === 'append'), ...measured.filter((r) => r.workload !== 'append')]);
    expect(lines.slice(2).map((l) => l.split(' | ')[0])).to.deep.equal(['| 4 KiB random read, cached', '| 4 KiB random read, O_DIRECT', '| 4 KiB random write, cached', '| 4 KiB append + fdatasync (writeDurable)']);
    expect(lines[5]).to.contain('| 1 | 4.9k | 6.4k | 0.77× | n/a | 1.40× | 1.29× | 1.68× | 0.92× |');
  });
});
