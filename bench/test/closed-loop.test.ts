import { expect } from 'chai';
import { closedLoop } from '../workloads/closed-loop.js';

describe('bench/workloads closedLoop', () => {
  it('keeps exactly queueDepth operations in flight and counts only after the warm-up', async () => {
    let fakeNowMs = 0;
    let inFlight = 0;
    let inFlightMax = 0;
    let started = 0;
    const result = await closedLoop({ queueDepth: 4, warmupMs: 10, durationMs: 20 }, async () => {
      started += 1;
      inFlight += 1;
      inFlightMax = Math.max(inFlightMax, inFlight);
      await Promise.resolve();
      fakeNowMs += 1;
      inFlight -= 1;
      return 7;
    }, () => fakeNowMs);
    expect(inFlightMax).to.equal(4);
    // Operations finishing at fake times 10..30 (and the lanes' last ones) count; earlier ones do not.
    expect(result.ops).to.be.within(20, 24);
    expect(result.ops).to.be.lessThan(started);
    expect(result.bytes).to.equal(result.ops * 7);
    expect(result.errors).to.equal(0);
  });

  it('rethrows failures unless told to tolerate them, and then bounds them', async () => {
    let fakeNowMs = 0;
    const failing = async (): Promise<number> => {
      fakeNowMs += 1;
      throw new Error('boom');
    };
    let caught: unknown;
    await closedLoop({ queueDepth: 1, warmupMs: 0, durationMs: 100 }, failing, () => fakeNowMs).catch((e: unknown) => { caught = e; });
    expect(caught).to.be.instanceOf(Error);
    const tolerated = await closedLoop({ queueDepth: 2, warmupMs: 0, durationMs: 10, tolerateErrors: true }, failing, () => fakeNowMs);
    expect(tolerated.errors).to.be.greaterThan(0);
    caught = undefined;
    fakeNowMs = 0;
    await closedLoop({ queueDepth: 1, warmupMs: 0, durationMs: 1000, tolerateErrors: true, errorsMax: 5 }, failing, () => fakeNowMs)
      .catch((e: unknown) => { caught = e; });
    expect(caught).to.be.instanceOf(Error);
  });
});
