/**
 * Runs a body against a simulated node's Io, inside `sim.run` (the simulator only advances its
 * clock and delivers completions while a run is active). Faults off: no faults, no latency, the
 * pure cost of the simulated disk. Faults on: every fault of the `default` preset at its low rate,
 * with the SSD-like latency model so stalls and slow-disk episodes have something to stretch.
 */
import type { Io } from '../../src/interfaces/io.js';
import { loadSimulator } from '../drivers/backends.js';
import { NotAvailable, type Driver } from '../drivers/driver.js';
import { IoDriver } from '../drivers/faultline-io.js';
import { competitorById } from '../competitors.js';
import type { MeasureRequest } from '../types.js';

interface SimulationLike {
  node(name: string): { readonly io: Io };
  run<T>(main: () => T | Promise<T>): Promise<T>;
}

type SimulationClass = new (options: { seed: number; faults?: string; latency?: string }) => SimulationLike;

export async function withSimulatedDriver<T>(req: MeasureRequest, faults: boolean, body: (driver: Driver) => Promise<T>): Promise<T> {
  const module = await loadSimulator();
  const Simulation = module['Simulation'] as SimulationClass | undefined;
  if (typeof Simulation !== 'function') throw new NotAvailable('the simulator module has no Simulation export');
  const sim = new Simulation(faults ? { seed: req.seed, faults: 'default', latency: 'default' } : { seed: req.seed, faults: 'none', latency: 'none' });
  const io = sim.node('bench').io;
  const driver = new IoDriver(competitorById(req.competitor).label, io, false);
  return sim.run(() => body(driver));
}
