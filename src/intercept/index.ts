/** Interception of node:fs, simulated time and seeded randomness for unmodified code (see README). */
export { SIM_EPOCH_MS } from './sim-time.js';
export type { Divergence } from '../determinism/divergence.js';
