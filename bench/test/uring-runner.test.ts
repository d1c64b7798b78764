import { expect } from 'chai';
import { mkdirSync, mkdtempSync, readdirSync, readFileSync, rmSync, statSync } from 'node:fs';
import { join } from 'node:path';
import { UringIo } from '../../src/backends/iouring/index.js';
import { BLOB_HEADER_BYTES } from '../../src/interfaces/limits.js';
import { createStorage } from '../../src/storage/index.js';
import { describeUring } from '../../test/native/support.js';
import { cpuCheckLine, measurePerCpu } from '../cpu-check.js';
import { benchTmpRoot } from '../paths.js';
import { R_LINKED, R_PROMISES, R_SQPOLL, R_UV, WORKLOADS, type Workload } from '../uring-goals.js';
import { BENCH_BLOB, BENCH_PARTITION, BLOCK_BYTES, blobFileName, JS_RUNNERS, measureRunner, measureRunnerInChild, sqpollAvailable, type RunnerRequest } from '../uring-runner.js';

const DATA_BLOCKS = 64;
/** What the blob's data holds before a write runner: no loop of a runner fills its buffer with it. */
const FILL_BYTE = 0xaa;
const FS_RUNNERS: readonly string[] = [R_PROMISES, R_UV];

describeUring('bench: uring-runner, one runner of uring-reads measured in a process', function () {
  this.timeout(120_000);
  let dir = '';
  let sqpoll = false;
  const request = (runner: string, workload: Workload, depth = 2): RunnerRequest =>
    ({ runner, workload, depth, seconds: 0.03, warmupSeconds: 0.01, dir, blocks: DATA_BLOCKS, headerBytes: BLOB_HEADER_BYTES, queueDepth: 8 });

  /** (Re)writes the blob's data with FILL_BYTE, through Storage as the bench does. */
  const fillBlob = async (): Promise<void> => {
    const io = new UringIo({ root: dir, queueDepth: 8 });
    const storage = createStorage(io);
    try {
      const blob = (await storage.open(BENCH_PARTITION, BENCH_BLOB)).blob;
      await blob.writeAt(0, new Uint8Array(DATA_BLOCKS * BLOCK_BYTES).fill(FILL_BYTE));
      await blob.sync();
      await blob.close();
    } finally {
      await storage.close();
      await io.shutdown();
    }
  };
  /** The data blocks that some loop wrote (all of the block one loop's byte, not FILL_BYTE). */
  const blocksWritten = (): number => {
    const data = readFileSync(join(dir, blobFileName())).subarray(BLOB_HEADER_BYTES);
    let written = 0;
    for (let b = 0; b < DATA_BLOCKS; b += 1) {
      const block = data.subarray(b * BLOCK_BYTES, (b + 1) * BLOCK_BYTES);
      if (block[0] !== FILL_BYTE && block.every((x) => x === block[0])) written += 1;
    }
    return written;
  };

  before(async () => {
    mkdirSync(benchTmpRoot(), { recursive: true });
    dir = mkdtempSync(join(benchTmpRoot(), 'uring-runner-'));
    sqpoll = await sqpollAvailable(dir);
    await fillBlob();
  });
  after(() => rmSync(dir, { recursive: true, force: true }));

  for (const workload of WORKLOADS) {
    for (const runner of JS_RUNNERS[workload]) {
      it(`${workload}: "${runner}" does real transfers and reports its figures`, async function () {
        if (runner === R_SQPOLL && !sqpoll) {
          console.log('      (skipped: this kernel or user may not have an SQPOLL ring)');
          this.skip();
        }
        const write = workload.startsWith('write');
        if (write) await fillBlob();
        const { figures, ring } = await measureRunner(request(runner, workload));
        expect(figures.opsPerSecond).to.be.greaterThan(0);
        expect(figures.cpuUsPerOp).to.be.at.least(0);
        // Ring counters come from UringIo runners only; a UringIo submits or answers every transfer.
        // (An SQPOLL ring's kernel thread submits: the process never enters to submit.)
        if (FS_RUNNERS.includes(runner)) expect(ring).to.equal(undefined);
        else if (runner === R_SQPOLL) expect(ring).to.not.equal(undefined);
        else expect((ring?.submittedSqes ?? 0) + (ring?.inlineReads ?? 0) + (ring?.inlineWrites ?? 0)).to.be.greaterThan(0);
        if (write) expect(blocksWritten()).to.be.greaterThan(0);
        if (workload === 'append') {
          const appended = readdirSync(dir).filter((f) => f.startsWith('append-'));
          const sizes = appended.map((f) => statSync(join(dir, f)).size);
          expect(sizes.some((s) => s > 0 && s % BLOCK_BYTES === 0), `append files ${appended.join(', ')}`).to.equal(true);
        }
      });
    }
  }

  it('a synced-append runner starts its own file empty each time', async () => {
    await measureRunner(request(R_LINKED, 'append', 1));
    const file = join(dir, 'append-UringIo-writeDurable.bin');
    const first = statSync(file).size;
    await measureRunner({ ...request(R_LINKED, 'append', 1), seconds: 0.005 });
    expect(first).to.be.greaterThan(0);
    expect(statSync(file).size).to.be.lessThan(first + BLOCK_BYTES);
  });

  it('a runner measured in a child process answers with the same kind of figures', async () => {
    const { figures, ring } = await measureRunnerInChild(request('UringIo', 'read', 4));
    expect(figures.opsPerSecond).to.be.greaterThan(0);
    expect(ring?.inlineReads ?? 0).to.be.greaterThan(0);
  });

  it('an unknown runner, or one the workload has not, fails naming it', async () => {
    let err: unknown;
    try {
      await measureRunner(request('UringIo, inlineWrites', 'read'));
    } catch (caught) {
      err = caught;
    }
    expect(String(err)).to.contain('no runner "UringIo, inlineWrites" for read');
    let childErr: unknown;
    try {
      await measureRunnerInChild(request('no such runner', 'read'));
    } catch (caught) {
      childErr = caught;
    }
    expect(String(childErr)).to.match(/no such runner \(read, QD 2\) exited 1: uring-runner: no runner "no such runner" for read/);
  });
});

describe('bench: cpu-check, JavaScript speed per CPU', function () {
  this.timeout(60_000);
  it('measures every CPU and says how far apart they are', function () {
    const check = measurePerCpu();
    if ('reason' in check) {
      console.log(`      (skipped: ${check.reason})`);
      this.skip();
    }
    expect(check.awaitNanosByCpu.length).to.be.at.least(1);
    expect(check.copyNanosByCpu.length).to.equal(check.awaitNanosByCpu.length);
    for (const nanos of check.awaitNanosByCpu) expect(nanos).to.be.within(1, 100_000);
    // 4 KiB in under 10 ns would be 400 GB/s (no copy made); over 100 µs is not a loop of copies either.
    for (const nanos of check.copyNanosByCpu) expect(nanos).to.be.within(10, 100_000);
    expect(cpuCheckLine(check)).to.match(/^JavaScript per CPU \(pinned to each CPU in turn\): an await cpu0 \d+ ns.*\(slowest ÷ fastest \d\.\d\d×\); a random 4 KiB copy cpu0 \d+ ns.*\(slowest ÷ fastest \d\.\d\d×\)/);
    expect(cpuCheckLine({ awaitNanosByCpu: [50, 50], copyNanosByCpu: [280, 400] })).to.match(/a random 4 KiB copy cpu0 280 ns, cpu1 400 ns \(slowest ÷ fastest 1\.43×\) — the CPUs differ/);
    expect(cpuCheckLine({ awaitNanosByCpu: [50, 52], copyNanosByCpu: [280, 290] })).to.not.match(/the CPUs differ/);
    expect(cpuCheckLine({ reason: 'no taskset' })).to.equal('JavaScript per CPU: not measured (no taskset)');
  });
});
