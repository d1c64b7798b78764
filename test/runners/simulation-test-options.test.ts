/**
 * `simulationTest`'s options under hostile input. It registers a test that runs later, so what it
 * was given must be checked and copied at registration: a seed list emptied afterwards must not
 * make the test pass without running a seed, and a bad profile, fault configuration, trace count
 * or timeout is an error of simulationTest itself, not of the first seed.
 */
import { expect } from 'chai';
import { StorageError } from '../../src/interfaces/errors.js';
import { replayCommand, simulationTest } from '../../src/testing/index.js';

interface Registered {
  readonly title: string;
  readonly body: () => Promise<unknown>;
}

/** A runner that keeps what `simulationTest` registers, to run it here. */
function recorder(): { runner: { it: (title: string, body: () => Promise<unknown>) => void }; tests: Registered[] } {
  const tests: Registered[] = [];
  return { runner: { it: (title, body) => { tests.push({ title, body: () => body.call({ timeout: () => undefined }) }); } }, tests };
}

function refused(run: () => unknown, code: string, argument: string): StorageError {
  try {
    run();
  } catch (err) {
    expect(err).to.be.instanceOf(StorageError);
    const error = err as StorageError;
    expect([error.code, error.details.operation, error.details['argument']]).to.deep.equal([code, 'simulationTest', argument]);
    expect(error.message).to.match(/^simulationTest: /);
    return error;
  }
  return expect.fail('expected simulationTest to refuse its options');
}

describe('simulationTest: options under hostile input', () => {
  const saved = process.env['FAULTLINE_SEED'];
  beforeEach(() => { delete process.env['FAULTLINE_SEED']; });
  after(() => {
    if (saved === undefined) delete process.env['FAULTLINE_SEED'];
    else process.env['FAULTLINE_SEED'] = saved;
  });

  it('runs the seeds it was given at registration, whatever happens to the list afterwards', async () => {
    const { runner, tests } = recorder();
    const ran: number[][] = [[], []];
    const emptied = [1, 2, 3];
    simulationTest('emptied', { seeds: emptied }, ({ seed }) => { ran[0]!.push(seed); }, runner);
    emptied.length = 0;
    // A list whose length reads 2 once and 0 after: the test must not pass over no seed.
    let lengthReads = 0;
    const fickle = new Proxy([7, 8], { get: (target, key, receiver) => (key === 'length' ? (++lengthReads > 1 ? 0 : 2) : Reflect.get(target, key, receiver) as unknown) });
    simulationTest('fickle', { seeds: fickle }, ({ seed }) => { ran[1]!.push(seed); }, runner);
    expect(tests.map((t) => t.title)).to.deep.equal(['emptied (3 seeds)', 'fickle (2 seeds)']);
    for (const test of tests) await test.body();
    expect(ran).to.deep.equal([[1, 2, 3], [7, 8]]);
  });

  it('refuses seed lists with holes, non-integers or too many seeds, and counts past the limit', () => {
    const { runner } = recorder();
    const body = (): void => undefined;
    expect(refused(() => simulationTest('t', { seeds: [1, , 3] as number[] }, body, runner), 'ERR_INVALID_ARGUMENT', 'seeds').details['index']).to.equal(1);
    refused(() => simulationTest('t', { seeds: [1, 2.5] }, body, runner), 'ERR_INVALID_ARGUMENT', 'seeds');
    refused(() => simulationTest('t', { seeds: [2 ** 53] }, body, runner), 'ERR_INVALID_ARGUMENT', 'seeds');
    refused(() => simulationTest('t', { seeds: 0 }, body, runner), 'ERR_INVALID_ARGUMENT', 'seeds');
    refused(() => simulationTest('t', { seeds: Number.NaN }, body, runner), 'ERR_INVALID_ARGUMENT', 'seeds');
    expect(refused(() => simulationTest('t', { seeds: 1e8 }, body, runner), 'ERR_LIMIT_EXCEEDED', 'seeds').details['limit']).to.equal(10_000_000);
    const long = new Proxy([1], { get: (target, key, receiver) => (key === 'length' ? 2 ** 31 : Reflect.get(target, key, receiver) as unknown) });
    expect(refused(() => simulationTest('t', { seeds: long }, body, runner), 'ERR_LIMIT_EXCEEDED', 'seeds.length').details['limit']).to.equal(10_000_000);
    const trap = new Proxy([1], { get: () => { throw new Error('trap'); } });
    refused(() => simulationTest('t', { seeds: trap }, body, runner), 'ERR_INVALID_ARGUMENT', 'seeds');
  });

  it('refuses a bad profile, fault configuration, trace count or timeout at registration', () => {
    const { runner, tests } = recorder();
    const body = (): void => undefined;
    refused(() => simulationTest('t', { profile: 'ntfs' as never }, body, runner), 'ERR_INVALID_ARGUMENT', 'profile');
    expect(refused(() => simulationTest('t', { faults: 'some' as never }, body, runner), 'ERR_INVALID_ARGUMENT', 'faults').message).to.include('options.faults');
    refused(() => simulationTest('t', { faults: { readError: 5 } as never }, body, runner), 'ERR_INVALID_ARGUMENT', 'faults');
    refused(() => simulationTest('t', { traceEvents: -1 }, body, runner), 'ERR_INVALID_ARGUMENT', 'traceEvents');
    refused(() => simulationTest('t', { traceEvents: Number.NaN }, body, runner), 'ERR_INVALID_ARGUMENT', 'traceEvents');
    refused(() => simulationTest('t', { traceEvents: 2 ** 30 }, body, runner), 'ERR_LIMIT_EXCEEDED', 'traceEvents');
    refused(() => simulationTest('t', { timeoutMs: -1 }, body, runner), 'ERR_INVALID_ARGUMENT', 'timeoutMs');
    refused(() => simulationTest('t', { timeoutMs: 0 }, body, runner), 'ERR_INVALID_ARGUMENT', 'timeoutMs');
    refused(() => simulationTest('t', { timeoutMs: '5' as never }, body, runner), 'ERR_INVALID_ARGUMENT', 'timeoutMs');
    refused(() => simulationTest('t', { timeoutMs: 2 ** 31 }, body, runner), 'ERR_LIMIT_EXCEEDED', 'timeoutMs');
    expect(tests).to.deep.equal([]);
  });

  it('runs with the fault rules as they were at registration', async () => {
    const { runner, tests } = recorder();
    const rule = { rate: 0 };
    const seen: unknown[] = [];
    simulationTest('rules', { seeds: 1, faults: { readError: rule } }, ({ sim }) => { seen.push((sim.options.faults as { readError?: { rate?: number } }).readError?.rate); }, runner);
    rule.rate = 1;
    await tests[0]!.body();
    expect(seen).to.deep.equal([0]);
  });

  it('takes FAULTLINE_SEED in decimal digits only', () => {
    const { runner, tests } = recorder();
    for (const text of ['0x10', '1e3', ' 7 ', '1.0', '9007199254740993']) {
      process.env['FAULTLINE_SEED'] = text;
      refused(() => simulationTest('t', {}, () => undefined, runner), 'ERR_INVALID_ARGUMENT', 'FAULTLINE_SEED');
    }
    process.env['FAULTLINE_SEED'] = '-5';
    simulationTest('t', {}, () => undefined, runner);
    expect(tests.map((t) => t.title)).to.deep.equal(['t (seed -5)']);
  });

  it('replayCommand refuses an environment name a shell would run as a command, and values that are not strings', () => {
    const refusedBy = (run: () => unknown): StorageError => {
      try {
        run();
      } catch (err) {
        expect(err).to.be.instanceOf(StorageError);
        expect([(err as StorageError).code, (err as StorageError).details.operation]).to.deep.equal(['ERR_INVALID_ARGUMENT', 'replayCommand']);
        return err as StorageError;
      }
      return expect.fail('expected replayCommand to refuse its arguments');
    };
    expect(refusedBy(() => replayCommand({ 'A;touch pwned;B': 'x' }, 't')).details['name']).to.equal('A;touch pwned;B');
    refusedBy(() => replayCommand({ 'FAULTLINE SEED': '1' }, 't'));
    refusedBy(() => replayCommand({ X: 5 as never }, 't'));
    refusedBy(() => replayCommand(null as never, 't'));
    refusedBy(() => replayCommand(new Proxy({}, { ownKeys: () => { throw new Error('trap'); } }), 't'));
    expect(replayCommand({ FAULTLINE_SEED: "7'; rm x" }, 't')).to.match(/^FAULTLINE_SEED='7'\\''; rm x' /);
  });
});
