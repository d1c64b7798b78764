import { expect } from 'chai';
import { spawnSync } from 'node:child_process';
import { mkdirSync, mkdtempSync, readFileSync, rmSync, statSync, truncateSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { buildReference, ringAppend, ringDepth, type ReferenceProgram } from '../c-reference.js';
import { benchTmpRoot } from '../paths.js';

const BLOCK_BYTES = 4096;

/**
 * Builds `program` into a fresh folder before the suite's tests and removes it after. Skips the
 * suite (saying why) off Linux or without a working `cc`, except under FAULTLINE_REQUIRE_IOURING:
 * CI builds the addon with the same compiler, so there no build is a failure.
 */
function withReference(suite: Mocha.Suite, program: ReferenceProgram): { dirPath: () => string; binary: () => string } {
  let dirPath: string | undefined;
  let binary: string | undefined;
  suite.beforeAll(function () {
    if (process.platform !== 'linux') {
      console.log('      (skipped: the reference drives Linux io_uring)');
      this.skip();
    }
    mkdirSync(benchTmpRoot(), { recursive: true });
    dirPath = mkdtempSync(join(benchTmpRoot(), `${program}-`));
    const built = buildReference(dirPath, program);
    if ('reason' in built) {
      if (process.env.FAULTLINE_REQUIRE_IOURING === '1') throw new Error(built.reason);
      console.log(`      (skipped: ${built.reason})`);
      this.skip();
    }
    binary = built.binary;
  });
  suite.afterAll(() => {
    if (dirPath !== undefined) rmSync(dirPath, { recursive: true, force: true });
  });
  return { dirPath: () => dirPath as string, binary: () => binary as string };
}

describe('bench: the C reference of synced appends (ring-append.c)', function () {
  this.timeout(60_000);
  const built = withReference(this, 'ring-append');
  let dirPath: string;
  let binary: string;
  beforeEach(() => {
    dirPath = built.dirPath();
    binary = built.binary();
  });

  it('appends whole 4 KiB blocks for the time asked and reports its rate and CPU', function () {
    const filePath = join(dirPath, 'append.bin');
    const started = process.hrtime.bigint();
    const figures = ringAppend(binary, filePath, 0.3);
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
    const figures = ringAppend(binary, filePath, 0.05);
    const sizeBytes = statSync(filePath).size;
    // 16,384 synced appends in 50 ms would be 330k a second: no disk syncs that fast.
    expect(sizeBytes).to.be.below(grownBytes);
    expect(sizeBytes / BLOCK_BYTES / figures.opsPerSecond).to.be.at.least(0.05 * 0.999);
  });

  it('spins the busy time asked before each append', function () {
    // 2 ms before each append: at most 50 appends in 0.1 s, whatever the disk.
    const figures = ringAppend(binary, join(dirPath, 'busy.bin'), 0.1, 2000);
    expect(figures.opsPerSecond).to.be.at.most(500);
    // The spin runs on the wall clock; CPU time may miss the slices the machine gave elsewhere
    // (another process on both CPUs, a hypervisor's steal): 1,945 µs was seen under load.
    expect(figures.cpuUsPerOp).to.be.at.least(0.9 * 2000);
  });

  it('refuses a bad command line with a usage message and exit code 2', function () {
    for (const args of [[], [join(dirPath, 'x.bin')], [join(dirPath, 'x.bin'), '0'], [join(dirPath, 'x.bin'), 'soon'], [join(dirPath, 'x.bin'), '601'], [join(dirPath, 'x.bin'), '1', '-1'], [join(dirPath, 'x.bin'), '1', '100001'], [join(dirPath, 'x.bin'), '1', '2', '3']]) {
      const run = spawnSync(binary, args, { encoding: 'utf8' });
      expect(run.status, args.join(' ')).to.equal(2);
      expect(run.stderr).to.match(/^(usage: ring-append|ring-append: (seconds|busy µs))/);
    }
  });

  it('fails with the system call and its reason when the file cannot be opened', function () {
    const run = spawnSync(binary, [join(dirPath, 'no-such-dir', 'a.bin'), '0.1'], { encoding: 'utf8' });
    expect(run.status).to.equal(1);
    expect(run.stderr).to.contain('ring-append: open: No such file or directory');
    expect(() => ringAppend(binary, join(dirPath, 'no-such-dir', 'a.bin'), 0.1)).to.throw(/failed: ring-append: open/);
  });
});

describe('bench: the C reference at depth (ring-depth.c)', function () {
  this.timeout(60_000);
  const built = withReference(this, 'ring-depth');
  let dirPath: string;
  let binary: string;
  const FILE_BLOCKS = 256;
  beforeEach(() => {
    dirPath = built.dirPath();
    binary = built.binary();
  });

  const zeroFile = (name: string, blocks: number): string => {
    const filePath = join(dirPath, name);
    writeFileSync(filePath, Buffer.alloc(blocks * BLOCK_BYTES));
    return filePath;
  };

  it('reads for the time asked, after its warm-up, and reports its rate and CPU', function () {
    const filePath = zeroFile('read.bin', FILE_BLOCKS);
    const started = process.hrtime.bigint();
    const figures = ringDepth(binary, { filePath, write: false, depth: 8, seconds: 0.2, firstByte: BLOCK_BYTES, warmupSeconds: 0.1 });
    const elapsedSeconds = Number(process.hrtime.bigint() - started) / 1e9;
    expect(elapsedSeconds).to.be.at.least(0.3);
    expect(figures.opsPerSecond).to.be.above(0);
    expect(figures.cpuUsPerOp).to.be.above(0);
    expect(readFileSync(filePath).equals(Buffer.alloc(FILE_BLOCKS * BLOCK_BYTES))).to.equal(true);
  });

  it('writes whole blocks inside [first byte, end of file) only, and never extends the file', function () {
    const filePath = zeroFile('write.bin', FILE_BLOCKS);
    const firstByte = 16 * BLOCK_BYTES;
    ringDepth(binary, { filePath, write: true, depth: 16, seconds: 0.2, firstByte, warmupSeconds: 0 });
    const bytes = readFileSync(filePath);
    expect(bytes.length).to.equal(FILE_BLOCKS * BLOCK_BYTES);
    // Below the first byte: untouched.
    expect(bytes.subarray(0, firstByte).equals(Buffer.alloc(firstByte))).to.equal(true);
    // Above it: some blocks written, each one whole (its buffer's pattern from the block's start).
    let written = 0;
    for (let block = 16; block < FILE_BLOCKS; block++) {
      const data = bytes.subarray(block * BLOCK_BYTES, (block + 1) * BLOCK_BYTES);
      if (data.equals(Buffer.alloc(BLOCK_BYTES))) continue;
      written += 1;
      // Buffer i of the program holds ((i * 4096 + k) * 31) & 0xff at byte k: a whole block, never a part.
      const start = data[0]!;
      for (let k = 0; k < BLOCK_BYTES; k += 512) expect((data[k]! - start - k * 31) & 0xff, `block ${block} byte ${k}`).to.equal(0);
    }
    expect(written).to.be.above(0);
  });

  it('refuses a bad command line with a usage message and exit code 2', function () {
    const f = zeroFile('args.bin', 4);
    for (const args of [[], [f, 'read', '8', '1', '0'], [f, 'trim', '8', '1', '0', '0'], [f, 'read', '0', '1', '0', '0'], [f, 'read', '257', '1', '0', '0'],
      [f, 'read', '2.5', '1', '0', '0'], [f, 'read', '8', '0', '0', '0'], [f, 'read', '8', 'soon', '0', '0'], [f, 'read', '8', '1', '100', '0'],
      [f, 'read', '8', '1', '-4096', '0'], [f, 'read', '8', '1', '0', '61'], [f, 'read', '8', '1', '0', '0', 'x']]) {
      const run = spawnSync(binary, args, { encoding: 'utf8' });
      expect(run.status, args.join(' ')).to.equal(2);
      expect(run.stderr, args.join(' ')).to.contain('usage: ring-depth');
    }
  });

  it('fails with the system call and its reason when the file cannot be used', function () {
    const missing = spawnSync(binary, [join(dirPath, 'no-such-dir', 'a.bin'), 'read', '1', '0.1', '0', '0'], { encoding: 'utf8' });
    expect(missing.status).to.equal(1);
    expect(missing.stderr).to.contain('ring-depth: open: No such file or directory');
    // No whole block past the first byte: nothing to draw offsets from.
    const small = zeroFile('small.bin', 2);
    const run = spawnSync(binary, [small, 'read', '1', '0.1', String(2 * BLOCK_BYTES), '0'], { encoding: 'utf8' });
    expect(run.status).to.equal(1);
    expect(run.stderr).to.contain('ring-depth: the file');
    expect(() => ringDepth(binary, { filePath: small, write: false, depth: 1, seconds: 0.1, firstByte: 2 * BLOCK_BYTES, warmupSeconds: 0 })).to.throw(/failed: ring-depth: the file/);
  });
});
