import { expect } from 'chai';
import { spawnSync } from 'node:child_process';
import { mkdirSync, mkdtempSync, rmSync, statSync, truncateSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { buildRingAppend, ringAppend } from '../ring-append.js';
import { benchTmpRoot } from '../paths.js';

const BLOCK_BYTES = 4096;

describe('bench: the C reference of synced appends (ring-append.c)', function () {
  this.timeout(60_000);
  let dirPath: string;
  let binary: string | undefined;

  before(function () {
    if (process.platform !== 'linux') {
      console.log('      (skipped: the reference drives Linux io_uring)');
      this.skip();
    }
    mkdirSync(benchTmpRoot(), { recursive: true });
    dirPath = mkdtempSync(join(benchTmpRoot(), 'ring-append-'));
    const built = buildRingAppend(dirPath);
    if ('reason' in built) {
      // CI builds the addon with the same compiler: there, no build is a failure.
      if (process.env.FAULTLINE_REQUIRE_IOURING === '1') throw new Error(built.reason);
      console.log(`      (skipped: ${built.reason})`);
      this.skip();
    }
    binary = built.binary;
  });

  after(() => {
    if (dirPath !== undefined) rmSync(dirPath, { recursive: true, force: true });
  });

  it('appends whole 4 KiB blocks for the time asked and reports its rate and CPU', function () {
    const filePath = join(dirPath, 'append.bin');
    const started = process.hrtime.bigint();
    const figures = ringAppend(binary as string, filePath, 0.3);
    const elapsedSeconds = Number(process.hrtime.bigint() - started) / 1e9;
    expect(elapsedSeconds).to.be.at.least(0.3);
    expect(figures.opsPerSecond).to.be.above(0);
    expect(figures.cpuUsPerOp).to.be.above(0);
    const sizeBytes = statSync(filePath).size;
    expect(sizeBytes % BLOCK_BYTES).to.equal(0);
    // The rate it prints is the appends it made over a time between the one asked and the child's life.
    const appends = sizeBytes / BLOCK_BYTES;
    expect(appends).to.be.at.least(1);
    const secondsMeasured = appends / figures.opsPerSecond;
    expect(secondsMeasured).to.be.at.least(0.3 * 0.999);
    expect(secondsMeasured).to.be.at.most(elapsedSeconds);
  });

  it('truncates its file at the start, as fio\'s job starts from an empty file', function () {
    const filePath = join(dirPath, 'again.bin');
    const grownBytes = 64 << 20;
    writeFileSync(filePath, '');
    truncateSync(filePath, grownBytes);
    const figures = ringAppend(binary as string, filePath, 0.05);
    const sizeBytes = statSync(filePath).size;
    // 16,384 synced appends in 50 ms would be 330k a second: no disk syncs that fast.
    expect(sizeBytes).to.be.below(grownBytes);
    expect(sizeBytes / BLOCK_BYTES / figures.opsPerSecond).to.be.at.least(0.05 * 0.999);
  });

  it('spins the busy time asked before each append', function () {
    // 2 ms before each append: at most 50 appends in 0.1 s, whatever the disk.
    const figures = ringAppend(binary as string, join(dirPath, 'busy.bin'), 0.1, 2000);
    expect(figures.opsPerSecond).to.be.at.most(500);
    // The spin runs on the wall clock; CPU time may miss the slices the machine gave elsewhere
    // (another process on both CPUs, a hypervisor's steal): 1,945 µs was seen under load.
    expect(figures.cpuUsPerOp).to.be.at.least(0.9 * 2000);
  });

  it('refuses a bad command line with a usage message and exit code 2', function () {
    for (const args of [[], [join(dirPath, 'x.bin')], [join(dirPath, 'x.bin'), '0'], [join(dirPath, 'x.bin'), 'soon'], [join(dirPath, 'x.bin'), '601'], [join(dirPath, 'x.bin'), '1', '-1'], [join(dirPath, 'x.bin'), '1', '100001'], [join(dirPath, 'x.bin'), '1', '2', '3']]) {
      const run = spawnSync(binary as string, args, { encoding: 'utf8' });
      expect(run.status, args.join(' ')).to.equal(2);
      expect(run.stderr).to.match(/^(usage: ring-append|ring-append: (seconds|busy µs))/);
    }
  });

  it('fails with the system call and its reason when the file cannot be opened', function () {
    const run = spawnSync(binary as string, [join(dirPath, 'no-such-dir', 'a.bin'), '0.1'], { encoding: 'utf8' });
    expect(run.status).to.equal(1);
    expect(run.stderr).to.contain('ring-append: open: No such file or directory');
    expect(() => ringAppend(binary as string, join(dirPath, 'no-such-dir', 'a.bin'), 0.1)).to.throw(/failed: ring-append: open/);
  });
});
