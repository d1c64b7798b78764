/**
 * The model tests' replay (both the Io and the Storage model test run through `assertModel`): a
 * failure ends with the exact command that replays it, and FAULTLINE_MODEL_SEED/PATH replay it.
 */
import { expect } from 'chai';
import fc from 'fast-check';
import { assertModel } from '../conformance/model-check.js';

const property = (): fc.IAsyncPropertyWithHooks<[number]> => fc.asyncProperty(fc.integer({ min: 0, max: 10_000 }), async (n) => {
  if (n >= 5000) throw new Error(`too big: ${n}`);
});

async function failure(): Promise<Error> {
  try {
    await assertModel('demo model', property(), 200);
  } catch (err) {
    return err as Error;
  }
  throw new Error('the property did not fail');
}

describe('model test replay', function () {
  const saved = { seed: process.env['FAULTLINE_MODEL_SEED'], path: process.env['FAULTLINE_MODEL_PATH'] };
  afterEach(function () {
    for (const [name, value] of [['FAULTLINE_MODEL_SEED', saved.seed], ['FAULTLINE_MODEL_PATH', saved.path]] as const) {
      if (value === undefined) delete process.env[name];
      else process.env[name] = value;
    }
  });

  it('a failure prints the replay command, and that seed and path reproduce the shrunk counterexample', async function () {
    delete process.env['FAULTLINE_MODEL_SEED'];
    delete process.env['FAULTLINE_MODEL_PATH'];
    const first = await failure();
    expect(first.message).to.include('demo model: ');
    expect(first.message).to.include('too big: 5000');
    const match = /replay: FAULTLINE_MODEL_SEED=(-?\d+) FAULTLINE_MODEL_PATH=([\d:]+) node /.exec(first.message);
    expect(match, first.message).to.not.equal(null);
    process.env['FAULTLINE_MODEL_SEED'] = match![1];
    process.env['FAULTLINE_MODEL_PATH'] = match![2];
    const again = await failure();
    expect(again.message).to.include('too big: 5000');
    expect(again.message).to.include(`FAULTLINE_MODEL_SEED=${match![1]}`);
  });

  it('a malformed FAULTLINE_MODEL_SEED is refused, not ignored', async function () {
    process.env['FAULTLINE_MODEL_SEED'] = 'abc';
    let message = '';
    try {
      await assertModel('demo model', property(), 10);
    } catch (err) {
      message = (err as Error).message;
    }
    expect(message).to.include('FAULTLINE_MODEL_SEED must be an integer');
  });
});
