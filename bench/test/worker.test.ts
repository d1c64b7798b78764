import { expect } from 'chai';
import { execFileSync } from 'node:child_process';
import { mkdirSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { measureInChild } from '../child.js';
import { competitorById } from '../competitors.js';
import { fioArguments } from '../fio.js';
import { benchTmpRoot } from '../paths.js';
import { fillPseudoRandom } from '../rng.js';
import { WorkerFailure, type MeasureRequest } from '../types.js';

const KiB = 1024;

describe('bench measurement end to end', function () {
  this.timeout(30_000);
  let dirPath: string;

  before(() => {
    mkdirSync(benchTmpRoot(), { recursive: true });
    dirPath = mkdtempSync(join(benchTmpRoot(), 'test-'));
    const data = new Uint8Array(256 * KiB);
    fillPseudoRandom(data, 5);
    writeFileSync(join(dirPath, 'data.bin'), data);
  });

  after(() => rmSync(dirPath, { recursive: true, force: true }));

  function request(overrides: Partial<MeasureRequest>): MeasureRequest {
    return {
      workload: 'randread', competitor: 'node-callbacks', dirPath, fileName: 'data.bin', fileSizeBytes: 256 * KiB,
      blockBytes: 4 * KiB, queueDepth: 4, direct: false, warmupMs: 10, durationMs: 100, seed: 1, ...overrides,
    };
  }

  it('measures random reads in a child process and reports consistent figures', async () => {
    const result = await measureInChild(request({}), competitorById('node-callbacks'));
    if (!result.ok) throw new Error(`unexpectedly unavailable: ${result.unavailable}`);
    expect(result.ops).to.be.greaterThan(0);
    expect(result.errors).to.equal(0);
    expect(result.opsPerSec).to.be.closeTo(result.ops / (result.elapsedMs / 1000), 1e-6 * result.opsPerSec);
    expect(result.bytesPerSec).to.be.closeTo(result.opsPerSec * 4 * KiB, 1e-6 * result.bytesPerSec);
  });

  it('runs the metadata cycle and leaves no file behind', async () => {
    const own = join(dirPath, 'meta');
    mkdirSync(own);
    const result = await measureInChild(request({ workload: 'metadata', dirPath: own, fileName: 'x', queueDepth: 2 }), competitorById('node-promises'));
    if (!result.ok) throw new Error(`unexpectedly unavailable: ${result.unavailable}`);
    expect(result.ops).to.be.greaterThan(0);
    expect(result.extra['callsPerSec']).to.be.closeTo(result.opsPerSec * 6, 1e-6 * result.opsPerSec * 6);
    const { readdirSync } = await import('node:fs');
    expect(readdirSync(own)).to.deep.equal([]);
  });

  it('reports a child that fails as an error naming the cause', async () => {
    let caught: unknown;
    await measureInChild(request({ fileName: 'missing.bin' }), competitorById('node-callbacks')).catch((err: unknown) => { caught = err; });
    expect(caught).to.be.instanceOf(WorkerFailure);
    expect((caught as WorkerFailure).code).to.equal('ENOENT');
  });

  it('stops a child that hangs and says where it hung and what Node still had pending', async function () {
    // Opening a FIFO for reading waits for a writer that never comes: node:fs's open (made when the
    // measurement starts) sits in the threadpool, the child's JavaScript thread stays free to answer.
    const fifo = join(dirPath, 'hang.fifo');
    execFileSync('mkfifo', [fifo]);
    let caught: unknown;
    const startedMs = Date.now();
    await measureInChild(request({ fileName: 'hang.fifo' }), competitorById('node-callbacks'), 300).catch((err: unknown) => { caught = err; });
    expect(caught).to.be.instanceOf(WorkerFailure);
    const failure = caught as WorkerFailure;
    expect(failure.code).to.equal('ERR_HUNG');
    expect(failure.message).to.contain('"phase":"measuring randread"');
    expect(failure.message).to.contain('FSReqCallback');
    // Stopped by SIGTERM and its report, not by the SIGKILL 5 s later.
    expect(Date.now() - startedMs).to.be.lessThan(5_000);
  });

  it('counts memory held per byte stored for memfs (at least the bytes themselves)', async () => {
    // In a child: it runs with --expose-gc, without which the heap figures are only noise.
    const result = await measureInChild(request({ workload: 'sim', competitor: 'memfs', fileName: 'sim.bin', fileSizeBytes: 4096 * KiB, queueDepth: 8 }), competitorById('memfs'));
    if (!result.ok) throw new Error(`unexpectedly unavailable: ${result.unavailable}`);
    expect(result.ops).to.be.greaterThan(0);
    expect(result.extra['storedBytes']).to.equal(4096 * KiB);
    expect(result.extra['heldPerStored']).to.be.greaterThan(0.9);
  });

  it('gives fio the same file, block size and depth, and threads for psync', () => {
    const req = request({ queueDepth: 8 });
    const uring = fioArguments(req, 'io_uring')!;
    expect(uring).to.include(`--filename=${join(dirPath, 'data.bin')}`);
    expect(uring).to.include('--bs=4096');
    expect(uring).to.include('--iodepth=8');
    expect(uring).to.include('--numjobs=1');
    expect(uring).to.include('--rw=randread');
    const psync = fioArguments(req, 'psync')!;
    expect(psync).to.include('--iodepth=1');
    expect(psync).to.include('--numjobs=8');
    expect(fioArguments(request({ workload: 'metadata' }), 'psync')).to.equal(undefined);
    expect(fioArguments(request({ workload: 'sync-append' }), 'io_uring')).to.include('--fdatasync=1');
  });
});
