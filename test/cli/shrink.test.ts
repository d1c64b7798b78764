/**
 * `faultline shrink`: on broken variants of the example store, the shrunk run still fails with the
 * same error (its replay line reproduces it, hash for hash), it keeps no more injected faults than
 * the original, and vetoing any fault it kept makes that failure go away.
 */
import { expect } from 'chai';
import { mkdtemp, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import type { ShrinkJson } from '../../src/cli/cmd-shrink.js';
import { failureSignature } from '../../src/cli/signature.js';
import { faultline, replayArgs } from './run-cli.js';

interface SimDoc {
  failures: Array<{ seed: number }>;
}
interface ReplayDoc {
  ok: boolean;
  code?: string;
  message?: string;
  stack?: string;
  hash: string;
}

function signatureOf(doc: ReplayDoc): string | undefined {
  if (doc.ok) return undefined;
  return failureSignature({ code: doc.code ?? '', message: doc.message ?? '', ...(doc.stack === undefined ? {} : { stack: doc.stack }) });
}

describe('cli: shrinking a failing seed', function () {
  this.timeout(120_000);

  for (const variant of ['kv:fsync-retry', 'kv:trust-size']) {
    it(`${variant}: the shrunk run fails the same way and needs every fault it kept`, async () => {
      const sim = await faultline(['sim', variant, '--seeds', '60', '--faults', 'heavy', '--workers', '2', '--json']);
      const seed = (JSON.parse(sim.stdout) as SimDoc).failures[0]?.seed;
      expect(seed, `${variant} caught in 60 seeds`).to.be.a('number');
      const shrink = await faultline(['shrink', variant, '--seed', String(seed), '--faults', 'heavy', '--json']);
      expect(shrink.code, shrink.stderr).to.equal(0);
      const doc = JSON.parse(shrink.stdout) as ShrinkJson;
      expect(doc.budgetExhausted).to.equal(false);
      expect(doc.keptRecords.length).to.equal(doc.faultsAfter);
      expect(doc.kept.length).to.equal(doc.faultsAfter);
      expect(doc.withoutKept).to.have.length(doc.faultsAfter);
      for (const outcome of doc.withoutKept) expect(outcome).to.match(/^(pass|fails differently \(.+\))$/);

      const replay = await faultline([...replayArgs(doc.replay), '--json']);
      const replayed = JSON.parse(replay.stdout) as ReplayDoc;
      expect(replayed.ok).to.equal(false);
      expect(replayed.hash).to.equal(doc.hash);
      expect(signatureOf(replayed)).to.equal(doc.signature);

      for (const kept of doc.kept) {
        const args = replayArgs(doc.replay);
        const at = args.indexOf('--veto');
        const withVeto = at >= 0 ? args.map((a, i) => (i === at + 1 ? `${a},${kept}` : a)) : [...args, '--veto', kept];
        const without = JSON.parse((await faultline([...withVeto, '--json'])).stdout) as ReplayDoc;
        expect(signatureOf(without), `vetoing ${kept} still fails the same way`).to.not.equal(doc.signature);
      }
    });
  }

  it('a removal that makes the seed spin fails that run with ERR_SEED_TIMEOUT instead of hanging shrink', async () => {
    const dir = await mkdtemp(join(tmpdir(), 'faultline-shrink-'));
    try {
      const path = join(dir, 'spin-without-fault.mjs');
      // Fails on the injected read error; without it, spins in a synchronous loop.
      await writeFile(path, `
export default { async run(ctx) {
  ctx.sim.faults.set('readError', { rate: 1 });
  const io = ctx.node('a').io;
  const fd = await io.open('f', { read: true, write: true, create: true });
  await io.write(fd, new Uint8Array(8), 0);
  try { await io.read(fd, new Uint8Array(8), 0); } catch (e) { throw new Error('read failed: ' + e.code); }
  for (;;) {}
} };
`);
      const started = performance.now();
      const shrink = await faultline(['shrink', path, '--seed', '1', '--faults', 'none', '--seed-timeout', '700ms', '--json']);
      expect(shrink.code, shrink.stderr).to.equal(0);
      const doc = JSON.parse(shrink.stdout) as ShrinkJson;
      expect(doc.kept).to.deep.equal(['a/readError/1']);
      expect(doc.faultsOff).to.deep.equal([]);
      expect(doc.withoutKept).to.have.length(1);
      expect(doc.withoutKept[0]).to.match(/^fails differently \(ERR_SEED_TIMEOUT: /);
      expect(performance.now() - started).to.be.lessThan(30_000);
    } finally {
      await rm(dir, { recursive: true, force: true });
    }
  });

  it('refuses a seed that passes', async () => {
    const run = await faultline(['shrink', 'kv', '--seed', '1']);
    expect(run.code).to.equal(2);
    expect(run.stderr).to.include('shrink: seed 1 passes');
  });
});
