/**
 * The interception lifecycle of one simulation created with `intercept: true`.
 *
 * - fs routing (`node:fs`, `node:fs/promises`) is held from construction until `sim.close()` or
 *   the end of a `run`; `node.within` or a later `run` takes it again if nobody else holds it.
 *   Only one simulation may hold it at a time (`ERR_INVALID_STATE` otherwise, nothing changed).
 * - simulated time and seeded randomness are installed for the duration of each `run` and
 *   restored when it settles, resolved or rejected.
 */
import { StorageError } from '../interfaces/errors.js';
import type { Scheduler } from '../backends/sim/scheduler.js';
import { installFsInterception, interceptionOwner, runInRoute, uninstallFsInterception, type FsRoute } from './fs-router.js';
import { SimRandom } from './sim-random.js';
import { SimTime } from './sim-time.js';

/** What `within` needs of a node. */
export interface InterceptedNode {
  readonly name: string;
  readonly crashed: boolean;
  readonly restarts: number;
}

export class Interception {
  private readonly routes = new WeakMap<InterceptedNode, FsRoute>();

  constructor(
    private readonly scheduler: Scheduler,
    private readonly seedText: string,
    /** The node's fs-shaped object (`node.fs`), read at each call: a restart replaces it. */
    private readonly fsOf: (node: InterceptedNode) => object,
  ) {}

  /** True while this simulation's fs routing is installed. */
  get holding(): boolean {
    return interceptionOwner() === this;
  }

  /** Installs fs routing for this simulation unless it already holds it. */
  acquire(): void {
    if (!this.holding) installFsInterception(this);
  }

  /** Removes fs routing if this simulation holds it, restoring `node:fs` exactly. */
  release(): void {
    uninstallFsInterception(this);
  }

  /** Runs `run` (the scheduler's loop) with fs routing, simulated time and seeded randomness. */
  async run<T>(run: () => Promise<T>): Promise<T> {
    // A second run while one is active is the scheduler's error to give; it must not touch the
    // first run's clock, randomness or fs routing on its way.
    if (this.running) return run();
    this.running = true;
    try {
      return await this.runInstalled(run);
    } finally {
      this.running = false;
    }
  }

  private running = false;

  private async runInstalled<T>(run: () => Promise<T>): Promise<T> {
    this.acquire();
    let time: SimTime | undefined;
    let random: SimRandom | undefined;
    try {
      time = SimTime.install(this.scheduler);
      random = SimRandom.install(this.seedText);
      return await run();
    } finally {
      random?.uninstall();
      time?.uninstall();
      this.release();
    }
  }

  /** Runs `fn` with `node` as the fs context of everything it starts. */
  within<T>(node: InterceptedNode, fn: () => T | Promise<T>): Promise<T> {
    if (typeof fn !== 'function') {
      return Promise.reject(new StorageError('ERR_INVALID_ARGUMENT', 'node.within needs a function', { operation: 'within', argument: 'fn' }));
    }
    if (node.crashed) {
      return Promise.reject(new StorageError('ERR_CRASHED', 'node.within: the node has crashed; restart it first', { operation: 'within', node: node.name }));
    }
    try {
      this.acquire();
    } catch (err) {
      return Promise.reject(err);
    }
    let route = this.routes.get(node);
    if (route === undefined) {
      route = {
        label: node.name,
        fs: () => this.fsOf(node),
        // Odd while crashed; each restart moves it on.
        generation: () => node.restarts * 2 + (node.crashed ? 1 : 0),
      };
      this.routes.set(node, route);
    }
    return runInRoute(route, async () => fn());
  }
}

/** `node.within` on a simulation created without `intercept: true`. */
export function notIntercepting(node: InterceptedNode): Promise<never> {
  return Promise.reject(new StorageError('ERR_INVALID_STATE', 'node.within needs a simulation created with intercept: true', { operation: 'within', node: node.name }));
}
