/**
 * Simulation and SimNode: the public face of the simulator.
 *
 * A `Simulation` owns the seed, one scheduler (clock + event queue), the trace, the fault rules
 * and the nodes. Each node is a simulated machine with its own disk and `SimIo`; nodes share the
 * clock and queue and crash independently. Everything random is drawn from streams derived from
 * the seed (see `prng.ts`), so the same seed and the same code give the same run and the same
 * `hash()`.
 */
import { createHash } from 'node:crypto';
import { createNodeFs, type NodeFs } from '../../nodefs/create-node-fs.js';
import type { FsHost, SyncCapableIo } from '../../interfaces/namespace-io.js';
import { StorageError } from '../../interfaces/errors.js';
import type { Clock } from '../../interfaces/clock.js';
import { checkOptionalBoolean, checkUnsigned, snapshotOptions } from '../../interfaces/validate.js';
import { canonicalSeed, Prng, type SimSeed } from './prng.js';
import { Scheduler } from './scheduler.js';
import { Trace } from './trace.js';
import { DirInode, Disk, checkSimProfile, type DiskOptions, type SimProfile } from './disk.js';
import {
  checkFaultConfig, checkLatencyConfig, FAULT_KINDS, FaultController, MediaState, NodeFaults,
  type FaultConfig, type FaultFilter, type FaultKind, type FaultPresetName, type LatencyConfig,
} from './faults.js';
import {
  describeImage, diskFromImage, hashImage, imageDigest, materialize, NOTHING_SURVIVES, RandomChooser, ReplayChooser,
  type ImageDir, type InflightWrite,
} from './crash.js';
import { SimIo, type SimNodeContext } from './sim-io.js';
import { Interception, notIntercepting } from '../../intercept/interception.js';
import { runTwice } from '../../determinism/check-determinism.js';

/** Most trace records a Simulation keeps (`traceCapacity`): 2^24, under 1 GiB of trace memory. */
export const TRACE_CAPACITY_MAX = 1 << 24;

/** Options of {@link Simulation}. */
export interface SimulationOptions {
  /** The seed: a safe integer or a string. Same seed, same code: same run. */
  readonly seed: SimSeed;
  /** What a crash may lose. Default `'posix'` (the most adversarial legal behaviour). */
  readonly profile?: SimProfile;
  /** Fault rules or a preset name. Default: none. Changeable later through `sim.faults`. */
  readonly faults?: FaultConfig | FaultPresetName;
  /** Device latency: a config, `true`/`'default'` for the SSD-like preset, `false`/`'none'` (default) for none. */
  readonly latency?: LatencyConfig | boolean | 'none' | 'default';
  /** Sector size: the unit of torn writes and of direct I/O alignment. 512 or 4096 (default). */
  readonly sectorSizeBytes?: number;
  /** Disk capacity of each node; writes and allocations past it fail with `ENOSPC`. Default: unlimited. */
  readonly capacityBytes?: number;
  /** `run` rejects with `ERR_TIME_LIMIT` once simulated time passes this. Default: none. */
  readonly timeLimitMs?: number;
  /** Unsynced bytes per node past which the simulated kernel writes everything back. Default 16 MiB. */
  readonly dirtyBytesMax?: number;
  /**
   * Trace records kept for `trace.events()`/`format()` (the hash covers all of them). Default 65536,
   * at most {@link TRACE_CAPACITY_MAX} (their memory, about 55 bytes each, is allocated up front).
   */
  readonly traceCapacity?: number;
  /**
   * Route `node:fs`/`node:fs/promises` calls made inside `node.within(fn)` to that node's disk,
   * and run timers, `Date`, `performance.now`, `hrtime` and `Math.random`/crypto randomness on
   * the simulation's clock and seed while `run` is active. Default false. One intercepting
   * simulation at a time; released by `close()` or the end of `run`.
   */
  readonly intercept?: boolean;
  /**
   * Sees every fault the simulator decides to inject, before it takes effect; returning false
   * vetoes that one fault (see {@link FaultFilter}). For tools that shrink a failing run to the
   * faults it needs (`faultline shrink`) or log decisions as they happen. Default: none.
   */
  readonly faultFilter?: FaultFilter;
}

const SIMULATION_OPTION_NAMES = [
  'seed', 'profile', 'faults', 'latency', 'sectorSizeBytes', 'capacityBytes', 'timeLimitMs', 'dirtyBytesMax', 'traceCapacity', 'intercept', 'faultFilter',
] as const;

/** Options of {@link SimNode.crashStates}. */
export interface CrashStatesOptions {
  /** Most states returned. Past it, a deterministic sample. */
  readonly limit: number;
  /** Most crash states materialised while exploring. Default `max(256, 16 * limit)`. */
  readonly exploreMax?: number;
}

/** The states returned by {@link SimNode.crashStates}. */
export interface CrashStateList extends ReadonlyArray<CrashState> {
  /** True when every reachable state was explored (the list is complete up to `limit`). */
  readonly complete: boolean;
  /** Distinct states found before applying `limit`. */
  readonly distinctCount: number;
}

const TRACE_CRASH = 2;
const TRACE_RESTART = 3;
const TRACE_WRITEBACK = 4;

/**
 * One disk state a crash can leave. Immutable, and independent of what the node does afterwards:
 * a state captured by `crashStates()` stays valid to restart into later, after more operations,
 * crashes or restarts of the node (it holds its own copy-on-write image, never the live disk), as
 * often as wanted.
 */
export class CrashState {
  /**
   * @internal
   * `digest` is the sha256 (hex) of the state's content: every path, kind, size and non-zero byte
   * (not inode numbers, not how the state was reached). Equal digests mean equal states, across
   * calls of `crashStates()` and across crashes, so a set of digests deduplicates states a test
   * has already checked.
   */
  constructor(readonly node: SimNode, readonly digest: string, readonly image: ImageDir) {}

  /** Crashes the node if it is running, then restarts it into this state. Returns the new Io. */
  restart(): SimIo {
    return this.node.restart(this);
  }

  /** Every path in the state, sorted, directories with a trailing '/', files with their size. */
  describe(): string[] {
    return describeImage(this.image);
  }

  /**
   * The files and directories of the state: path → bytes (files) or `'dir'`. Symbolic links are
   * left out (see `describe()`, which lists them as `path -> target`); a file with several names
   * is listed under each.
   */
  entries(): Map<string, Uint8Array | 'dir'> {
    const out = new Map<string, Uint8Array | 'dir'>();
    const walk = (dir: ImageDir, prefix: string): void => {
      for (const [name, node] of dir.entries) {
        const path = prefix === '' ? name : `${prefix}/${name}`;
        if (node.kind === 'dir') {
          out.set(path, 'dir');
          walk(node, path);
        } else if (node.kind === 'file') {
          const bytes = new Uint8Array(node.data.sizeBytes);
          node.data.read(bytes, 0);
          out.set(path, bytes);
        }
      }
    };
    walk(this.image, '');
    return out;
  }

  /** The bytes of the file at `path` (normalized, relative to the root), or undefined. */
  readFile(path: string): Uint8Array | undefined {
    const value = this.entries().get(path);
    return value === undefined || value === 'dir' ? undefined : value;
  }
}

/** A simulated machine: one disk, one Io at a time, crashes and restarts. */
export class SimNode implements SimNodeContext {
  readonly scheduler: Scheduler;
  readonly trace: Trace;
  readonly faults: NodeFaults;
  readonly media = new MediaState();
  readonly latencyPrng: Prng;
  readonly latency: LatencyConfig;
  readonly sectorBytes: number;
  readonly seedSalt: number;
  private readonly crashPrng: Prng;
  private readonly samplePrng: Prng;
  private currentIo: SimIo;
  private disk: Disk;
  private nextInodeId = 1;
  private readonly diskOptions: DiskOptions;
  /** After a crash and until the restart: the disk as it was, the writes in flight, and the chosen state. */
  private crashedDisk: Disk | undefined;
  private crashedInflight: InflightWrite[] = [];
  private crashedImage: ImageDir | undefined;
  private restartCount = 0;
  private readonly faultsInjected = new Map<FaultKind, number>();
  private nodeFs: NodeFs | undefined;
  private readonly namePrng: Prng;

  /** @internal Use `sim.node(name)`. */
  constructor(readonly sim: Simulation, readonly name: string, readonly index: number, options: {
    profile: SimProfile; capacityBytes: number; dirtyBytesMax: number; sectorBytes: number; latency: LatencyConfig;
  }) {
    this.scheduler = sim.scheduler;
    this.trace = sim.trace;
    this.faults = new NodeFaults(sim.faults, sim.seedText, name, sim.options.faultFilter);
    this.latencyPrng = new Prng(sim.seedText, `latency/${name}`);
    this.crashPrng = new Prng(sim.seedText, `crash/${name}`);
    this.samplePrng = new Prng(sim.seedText, `crash-sample/${name}`);
    this.seedSalt = new Prng(sim.seedText, `rot/${name}`).nextU32();
    this.namePrng = new Prng(sim.seedText, `fs-names/${name}`);
    this.latency = options.latency;
    this.sectorBytes = options.sectorBytes;
    const writebackCode = this.trace.code('writeback');
    this.diskOptions = {
      profile: options.profile,
      capacityBytes: options.capacityBytes,
      dirtyBytesMax: options.dirtyBytesMax,
      allocInodeId: () => this.nextInodeId++,
      nowMs: () => this.scheduler.now(),
      onWriteback: (reason, amount) => {
        this.trace.record(TRACE_WRITEBACK, this.index, writebackCode, this.scheduler.now(), -1, -1, -1, amount, undefined, reason);
      },
    };
    this.disk = new Disk(new DirInode(0), this.diskOptions);
    this.currentIo = new SimIo(this, this.disk);
  }

  /** The node's current Io (a fresh one after each restart). */
  get io(): SimIo {
    return this.currentIo;
  }

  /**
   * Node's fs API on this node's disk (callback, `*Sync` and `promises` forms): absolute paths
   * name places from the disk's root. Always the current disk: after a restart it works on the
   * restarted disk, and fds and FileHandles from before are dead (`EBADF`); between a crash and the
   * restart calls fail with `ERR_CRASHED`. Generated names (mkdtemp) come from the seed.
   */
  get fs(): NodeFs {
    if (this.nodeFs === undefined) {
      const node = this;
      const host: FsHost = { get io(): SyncCapableIo { return node.currentIo.posix; }, random: () => node.namePrng.next() };
      this.nodeFs = createNodeFs(host);
    }
    return this.nodeFs;
  }

  /** True between `crash()` and `restart()`. */
  get crashed(): boolean {
    return this.crashedImage !== undefined;
  }

  /** @internal */
  countFault(kind: FaultKind): void {
    this.faultsInjected.set(kind, (this.faultsInjected.get(kind) ?? 0) + 1);
  }

  /** @internal A `powerCut` fault fired. */
  powerCut(): void {
    this.crash();
  }

  /** Faults injected on this node so far, by kind (every kind present, in `FAULT_KINDS` order). */
  faultCounts(): Record<FaultKind, number> {
    const out = {} as Record<FaultKind, number>;
    for (const kind of FAULT_KINDS) out[kind] = this.faultsInjected.get(kind) ?? 0;
    return out;
  }

  /** Restarts so far. */
  get restarts(): number {
    return this.restartCount;
  }

  /**
   * Power loss now. Operations in flight and every later call on the current Io reject with
   * `ERR_CRASHED`. The disk keeps one legal crash state, chosen from the seed. Crashing a crashed
   * node does nothing.
   */
  crash(): void {
    if (this.crashed) return;
    const inflight = this.currentIo.inflightWrites();
    const image = materialize(this.disk, this.sectorBytes, new RandomChooser(this.crashPrng), inflight);
    this.enterCrashed(inflight, image);
  }

  private enterCrashed(inflight: InflightWrite[], image: ImageDir): void {
    this.crashedDisk = this.disk;
    this.crashedInflight = inflight;
    this.crashedImage = image;
    this.trace.record(TRACE_CRASH, this.index, this.trace.code('crash'), this.scheduler.now(), -1, -1, -1,
      this.disk.pendingMeta.length + this.disk.dirtyFiles.size + inflight.length);
    this.currentIo.crash();
  }

  /**
   * Restarts the node and returns its fresh Io (also `node.io` from now on). Without `state`, the
   * disk is what the last crash left; with one (from `crashStates`), that state. A running node is
   * crashed first.
   */
  restart(state?: CrashState): SimIo {
    if (state !== undefined && (!(state instanceof CrashState) || state.node !== this)) {
      throw new StorageError('ERR_INVALID_ARGUMENT', 'restart: the crash state belongs to another node', { operation: 'restart', node: this.name });
    }
    if (!this.crashed) {
      if (state === undefined) this.crash();
      else this.enterCrashed(this.currentIo.inflightWrites(), state.image);
    }
    const image = state?.image ?? (this.crashedImage as ImageDir);
    this.disk = diskFromImage(image, this.diskOptions);
    this.crashedDisk = undefined;
    this.crashedInflight = [];
    this.crashedImage = undefined;
    this.restartCount++;
    this.currentIo = new SimIo(this, this.disk);
    this.trace.record(TRACE_RESTART, this.index, this.trace.code('restart'), this.scheduler.now(), -1, -1, -1, this.restartCount);
    return this.currentIo;
  }

  /**
   * Every distinct disk state a crash at this moment can leave (after a crash: that the crash could
   * have left), deduplicated by content. The choice space is explored exhaustively while it fits in
   * `exploreMax` materialisations (`complete` is then true); otherwise random states are sampled
   * from a seeded stream. Past `limit` distinct states, a deterministic sample of `limit` is kept
   * (always including the state where nothing pending survived and, when found, the one where
   * everything did).
   *
   * Each state stays valid after the node moves on: restart into it at any later time. States of
   * one call are distinct by `digest`; the same state found by a later call has the same digest,
   * so callers deduplicate across calls with a set of digests.
   */
  crashStates(callerOptions: CrashStatesOptions): CrashStateList {
    const options = snapshotOptions('crashStates', callerOptions, ['limit', 'exploreMax']);
    const limit = options.limit;
    if (!Number.isInteger(limit) || limit < 1) {
      throw new StorageError('ERR_INVALID_ARGUMENT', 'crashStates: limit must be a positive integer', { operation: 'crashStates', argument: 'limit' });
    }
    const exploreMax = options.exploreMax ?? Math.max(256, 16 * limit);
    if (!Number.isInteger(exploreMax) || exploreMax < 1) {
      throw new StorageError('ERR_INVALID_ARGUMENT', 'crashStates: exploreMax must be a positive integer', { operation: 'crashStates', argument: 'exploreMax' });
    }
    const disk = this.crashedDisk ?? this.disk;
    const inflight = this.crashed ? this.crashedInflight : this.currentIo.inflightWrites();
    const found = new Map<string, ImageDir>();
    const add = (image: ImageDir): void => {
      const digest = imageDigest(image);
      if (!found.has(digest)) found.set(digest, image);
    };
    let complete = false;
    let prefix: number[] | undefined = [];
    let explored = 0;
    while (prefix !== undefined && explored < exploreMax) {
      const chooser = new ReplayChooser(prefix);
      add(materialize(disk, this.sectorBytes, chooser, inflight));
      explored++;
      prefix = chooser.next();
      if (prefix === undefined) complete = true;
    }
    const allDigest = imageDigest(materialize(disk, this.sectorBytes, 'all', inflight));
    if (!complete) {
      add(materialize(disk, this.sectorBytes, 'all', inflight));
      for (let i = 0; i < exploreMax && found.size < limit * 4; i++) {
        add(materialize(disk, this.sectorBytes, new RandomChooser(this.samplePrng), inflight));
      }
    }
    const digests = [...found.keys()];
    let kept = digests;
    if (digests.length > limit) {
      // Keep the first (nothing survived) and the all-survived state, then a seeded sample.
      const must = new Set<string>([digests[0] as string]);
      if (found.has(allDigest) && limit > 1) must.add(allDigest);
      const rest = digests.filter((d) => !must.has(d));
      for (let i = rest.length - 1; i > 0; i--) {
        const j = this.samplePrng.below(i + 1);
        const t = rest[i] as string;
        rest[i] = rest[j] as string;
        rest[j] = t;
      }
      const chosen = new Set([...must, ...rest.slice(0, limit - must.size)]);
      kept = digests.filter((d) => chosen.has(d));
    }
    const states = kept.map((d) => new CrashState(this, d, found.get(d) as ImageDir));
    return Object.assign(states, { complete, distinctCount: found.size });
  }

  /** @internal Digest of what is durable now (what survives if nothing pending does). */
  durableDigest(hash: ReturnType<typeof createHash>): void {
    const image = this.crashedImage ?? materialize(this.disk, this.sectorBytes, NOTHING_SURVIVES, []);
    hashImage(hash, image);
  }

  /**
   * Runs `fn` so that every `node:fs` call it makes, and every callback or promise continuation
   * it starts, reaches this node's disk (`node.fs`). Needs `intercept: true`. Rejects with
   * `ERR_CRASHED` on a crashed node.
   */
  within<T>(fn: () => T | Promise<T>): Promise<T> {
    const interception = this.sim.interception;
    return interception === undefined ? notIntercepting(this) : interception.within(this, fn);
  }

  /** @internal For deadlock reports. */
  describe(): Record<string, unknown> {
    return { crashed: this.crashed, inFlight: this.currentIo.inFlightCount, restarts: this.restartCount };
  }
}

/** A deterministic simulation of one or more machines with simulated disks. */
export class Simulation {
  readonly seed: SimSeed;
  /** The canonical seed text every stream is derived from. */
  readonly seedText: string;
  readonly profile: SimProfile;
  readonly sectorSizeBytes: number;
  readonly capacityBytes: number;
  /** @internal */
  readonly scheduler: Scheduler;
  /** The shared simulated clock (also `node.io.clock`). */
  readonly clock: Clock;
  /** The fault rules, switchable at run time: `set`, `enable`, `disable`, `configure`. */
  readonly faults: FaultController;
  /** Every operation, injected fault, crash and restart. */
  readonly trace: Trace;
  private readonly nodeList: SimNode[] = [];
  private readonly nodeNames: string[] = [];
  private readonly nodesByName = new Map<string, SimNode>();
  private readonly workload: Prng;
  private readonly latency: LatencyConfig;
  private readonly dirtyBytesMax: number;
  /** The options this simulation was built with (a determinism check builds a twin from them). */
  readonly options: SimulationOptions;
  /** @internal Set when built with `intercept: true`. */
  readonly interception: Interception | undefined;

  constructor(callerOptions: SimulationOptions) {
    if (typeof callerOptions !== 'object' || callerOptions === null) {
      throw new StorageError('ERR_INVALID_ARGUMENT', 'Simulation: needs an options object with a seed', { operation: 'Simulation', argument: 'options' });
    }
    // Read once: a getter cannot make the checked configuration differ from the one simulated.
    const options = snapshotOptions('Simulation', callerOptions, SIMULATION_OPTION_NAMES);
    this.seedText = canonicalSeed(options.seed);
    this.seed = options.seed;
    this.profile = checkSimProfile('Simulation', options.profile ?? 'posix');
    const sector = options.sectorSizeBytes ?? 4096;
    if (sector !== 512 && sector !== 4096) throw new StorageError('ERR_INVALID_ARGUMENT', 'Simulation: sectorSizeBytes must be 512 or 4096', { operation: 'Simulation', argument: 'sectorSizeBytes' });
    this.sectorSizeBytes = sector;
    this.capacityBytes = positiveInteger('capacityBytes', options.capacityBytes, Number.MAX_SAFE_INTEGER, Number.MAX_SAFE_INTEGER);
    this.dirtyBytesMax = positiveInteger('dirtyBytesMax', options.dirtyBytesMax, 16 * 1024 * 1024, Number.MAX_SAFE_INTEGER);
    const timeLimitMs = positive('timeLimitMs', options.timeLimitMs, Number.POSITIVE_INFINITY);
    this.latency = checkLatencyConfig(options.latency);
    const faultConfig = checkFaultConfig(options.faults);
    this.faults = new FaultController(faultConfig);
    this.scheduler = new Scheduler(timeLimitMs);
    this.scheduler.describePending = () => {
      const nodes: Record<string, unknown> = {};
      for (const node of this.nodeList) nodes[node.name] = node.describe();
      return { nodes };
    };
    this.clock = this.scheduler;
    this.trace = new Trace(positiveInteger('traceCapacity', options.traceCapacity, 65_536, TRACE_CAPACITY_MAX), this.nodeNames);
    this.workload = new Prng(this.seedText, 'workload');
    // The checked copies of object configurations: later changes to the caller's objects change nothing.
    this.options = {
      ...options,
      ...(typeof options.faults === 'object' && options.faults !== null ? { faults: faultConfig } : {}),
      ...(typeof options.latency === 'object' && options.latency !== null ? { latency: this.latency } : {}),
    };
    if (options.faultFilter !== undefined && typeof options.faultFilter !== 'function') {
      throw new StorageError('ERR_INVALID_ARGUMENT', 'Simulation: faultFilter must be a function', { operation: 'Simulation', argument: 'faultFilter' });
    }
    checkOptionalBoolean('Simulation', 'intercept', options.intercept);
    // Last: a simulation that failed to build must not leave node:fs patched.
    this.interception = options.intercept === true
      ? new Interception(this.scheduler, this.seedText, (node) => (node as SimNode).fs)
      : undefined;
    this.interception?.acquire();
  }

  /**
   * Ends the simulation's hold on the process: removes fs interception (if it holds it), leaving
   * `node:fs` exactly as it was. Idempotent. The simulation's state stays readable.
   */
  close(): void {
    this.interception?.release();
  }

  /**
   * Runs `main(sim)` twice, on this simulation and on a fresh one built from the same options,
   * and compares `hash()`. Rejects with `ERR_NONDETERMINISM` (details: the first differing trace
   * record and its position) when they differ; otherwise settles as the first run did. `main`
   * must do all its setup itself (nodes, faults), since the twin starts from nothing.
   */
  checkDeterminism<T>(main: (sim: Simulation) => T | Promise<T>): Promise<T> {
    return runTwice(this, () => new Simulation(this.options), main);
  }

  /** The node called `name`, created on first use. */
  node(name: string): SimNode {
    let node = this.nodesByName.get(name);
    if (node === undefined) {
      if (typeof name !== 'string' || name.length === 0) throw new StorageError('ERR_INVALID_ARGUMENT', 'sim.node: node name must be a non-empty string', { operation: 'node', argument: 'name' });
      if (this.nodeList.length >= 0xffff) throw new StorageError('ERR_LIMIT_EXCEEDED', 'sim.node: too many nodes', { operation: 'node', limit: 0xffff });
      node = new SimNode(this, name, this.nodeList.length, {
        profile: this.profile, capacityBytes: this.capacityBytes, dirtyBytesMax: this.dirtyBytesMax,
        sectorBytes: this.sectorSizeBytes, latency: this.latency,
      });
      this.nodeList.push(node);
      this.nodeNames.push(name);
      this.nodesByName.set(name, node);
    }
    return node;
  }

  /** Every node, in creation order. */
  get nodes(): readonly SimNode[] {
    return this.nodeList;
  }

  /**
   * Runs `main` in simulated time until it settles, and resolves or rejects as it does. Rejects with
   * `ERR_DEADLOCK` when main waits and no simulated event is left, `ERR_TIME_LIMIT` past the time
   * limit. One run at a time per simulation.
   */
  run<T>(main: () => T | Promise<T>): Promise<T> {
    if (typeof main !== 'function') {
      return Promise.reject(new StorageError('ERR_INVALID_ARGUMENT', 'run: main must be a function', { operation: 'run', argument: 'main' }));
    }
    const interception = this.interception;
    return interception === undefined ? this.scheduler.run(main) : interception.run(() => this.scheduler.run(main));
  }

  /** A seeded number in [0, 1) for the workload. Its own stream: drawing it never shifts a fault decision. */
  random(): number {
    return this.workload.next();
  }

  /** A seeded integer in [0, n) from the workload stream. */
  randomInt(n: number): number {
    return this.workload.below(n);
  }

  /** sha256 (hex) of the seed, the whole trace, the clock and every node's durable state. */
  hash(): string {
    const hash = createHash('sha256');
    hash.update(this.seedText);
    hash.update(`|${this.trace.digest()}|${this.trace.length}|${this.scheduler.now()}|`);
    for (const node of this.nodeList) {
      hash.update(`node:${node.name}:${node.crashed ? 'crashed' : 'up'}:${node.restarts}|`);
      node.durableDigest(hash);
    }
    return hash.digest('hex');
  }
}

/** A count or size: an integer from 1 to `max` (`ERR_LIMIT_EXCEEDED` past it: each trace record is memory allocated up front). */
function positiveInteger(name: string, value: number | undefined, fallback: number, max: number): number {
  if (value === undefined) return fallback;
  if (checkUnsigned('Simulation', name, value, max) === 0) {
    throw new StorageError('ERR_INVALID_ARGUMENT', `Simulation: ${name} must be a positive integer`, { operation: 'Simulation', argument: name });
  }
  return value;
}

function positive(name: string, value: number | undefined, fallback: number): number {
  if (value === undefined) return fallback;
  if (typeof value !== 'number' || Number.isNaN(value) || value <= 0) {
    throw new StorageError('ERR_INVALID_ARGUMENT', `Simulation: ${name} must be a positive number`, { operation: 'Simulation', argument: name });
  }
  return value;
}

