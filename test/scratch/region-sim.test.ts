import { Simulation } from '../../src/backends/sim/index.js';
import { describeScratchRegion } from './region-suite.js';
import type { ScratchHarnessFactory } from './support.js';

function simFactory(latency: boolean, seed: number): ScratchHarnessFactory {
  return async () => {
    const sim = new Simulation({ seed, latency });
    const node = sim.node('n');
    return {
      io: node.io,
      run: (body) => sim.run(body),
      dispose: () => sim.run(() => node.io.shutdown()),
    };
  };
}

describeScratchRegion('SimIo', simFactory(false, 1), { expectDirect: true });
describeScratchRegion('SimIo with SSD-like latency (out-of-order completions)', simFactory(true, 2), { expectDirect: true });
