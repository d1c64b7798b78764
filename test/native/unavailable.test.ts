/**
 * The unavailable path, provoked for real: a child process installs a seccomp filter (as Docker's
 * default profile does) so that io_uring_setup fails with EPERM or ENOSYS. The library must say
 * why and how to fix it (`isSupported`, `ERR_IOURING_UNAVAILABLE`), and `openIo('auto')` must
 * fall back to the fs backend, saying so once on stderr.
 */
import { expect } from 'chai';
import { execFile } from 'node:child_process';
import { rm } from 'node:fs/promises';
import { constants } from 'node:os';
import { describeUring, makeRoots, siblingScript } from './support.js';

interface ChildReport {
  readonly restricted: number;
  readonly support: { supported: boolean; reason?: string; errno?: number };
  readonly constructorCode?: string;
  readonly constructorDetails?: Record<string, unknown>;
  readonly constructorMessage?: string;
  readonly explicitCode?: string;
  readonly backends: string[];
}

function runChild(errno: number, root: string): Promise<{ report: ChildReport; stderr: string }> {
  return new Promise((resolve, reject) => {
    execFile(process.execPath, [...process.execArgv, siblingScript('child-unavailable'), String(errno), root], { timeout: 60_000 },
      (err, stdout, stderr) => {
        if (err) {
          reject(new Error(`child failed: ${err.message}\n${stderr}`));
          return;
        }
        const line = stdout.trim().split('\n').pop() ?? '';
        resolve({ report: JSON.parse(line) as ChildReport, stderr });
      });
  });
}

describeUring('io_uring unavailable (seccomp-blocked io_uring_setup)', function () {
  this.timeout(90_000);
  let base: string;
  let root: string;

  beforeEach(async function () {
    ({ base, root } = await makeRoots('faultline-unavail-'));
  });

  afterEach(async function () {
    await rm(base, { recursive: true, force: true });
  });

  for (const [name, errno, pattern] of [
    ['EPERM', constants.errno.EPERM, /seccomp|io_uring_disabled/],
    ['ENOSYS', constants.errno.ENOSYS, /ENOSYS/],
  ] as const) {
    it(`${name}: explains the cause and the fix, refuses UringIo, and openIo('auto') falls back once, loudly`, async function () {
      const { report, stderr } = await runChild(errno, root);
      if (report.restricted !== 0) {
        console.log(`    (seccomp unavailable here, errno ${report.restricted}: cannot provoke the failure)`);
        this.skip();
      }
      expect(report.support.supported).to.equal(false);
      expect(report.support.errno).to.equal(errno);
      expect(report.support.reason).to.match(pattern);
      expect(report.constructorCode).to.equal('ERR_IOURING_UNAVAILABLE');
      expect(report.constructorDetails?.['errno']).to.equal(errno);
      expect(report.constructorDetails?.['errnoName']).to.equal(name);
      expect(report.constructorMessage).to.match(pattern);
      expect(report.explicitCode).to.equal('ERR_IOURING_UNAVAILABLE');
      expect(report.backends).to.deep.equal(['fs', 'fs']);
      const notes = stderr.split('\n').filter((line) => line.includes('io_uring is not available'));
      expect(notes).to.have.length(1);
      expect(notes[0]).to.match(pattern);
    });
  }
});
