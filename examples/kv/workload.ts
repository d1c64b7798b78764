/**
 * The KV store's simulation workload (`faultline sim kv`, `kv:<variant>` for a broken build).
 *
 * Per seed: a few epochs on one simulated node. Each epoch recovers the store, checks every key
 * against the model, then runs several concurrent clients doing random puts, deletes and gets
 * while a power cut strikes after a random number of operations, at a random simulated time, at a
 * random Io operation (the simulator's `powerCut` rule), or once the epoch is idle. A store that fails-stop (a sync or write error) gets a power cycle, as an
 * operator would give it. The invariants:
 * - a get during normal operation returns exactly the last acknowledged value;
 * - after every recovery, each key holds its last acknowledged value or one of the writes that
 *   were in flight at the crash, and no key holds a value that was never written;
 * - recovery itself succeeds.
 * Loss of acknowledged data or a failed recovery is excused only when the simulator injected a
 * media fault on the node (silent corruption, a misdirected write, a latent sector error): no
 * single-copy store survives those, and the store must then report it rather than make up data.
 */
import { isStorageError } from '../../src/interfaces/errors.js';
import { InvariantViolation, defineWorkload, type WorkloadContext, type WorkloadNode } from '../../src/cli/workload.js';
import { KV_BUGS, isKvBug, type KvBug } from './bugs.js';
import { KvModel, type ModelValue } from './model.js';
import { KvStore, type KvStoreOptions } from './store.js';

/** Tunables of one run, from `ctx.options` (all optional). */
interface Plan {
  readonly clients: number;
  readonly keysPerClient: number;
  readonly epochs: number;
  readonly opsPerClient: number;
  readonly valueBytesMax: number;
  readonly largeValueBytesMax: number;
  readonly store: KvStoreOptions;
}

/** Chance per Io operation of the store that the `powerCut` rule cuts the power, in epochs that arm it. */
const IO_POWER_CUT_RATE = 0.01;

/** Bounds recovery attempts (each after a power cycle) before a failing recovery is judged. */
const RECOVERY_ATTEMPTS_MAX = 3;
/** Bounds re-reads of a key whose read failed with an I/O error during verification. */
const VERIFY_READ_ATTEMPTS_MAX = 3;

function intOption(ctx: WorkloadContext, name: string, fallback: number, max: number): number {
  const raw = ctx.options[name];
  if (raw === undefined) return fallback;
  const value = Number(raw);
  if (!Number.isSafeInteger(value) || value <= 0 || value > max) {
    throw new InvariantViolation(`option ${name} must be an integer in [1, ${max}]`, { option: name, value: raw });
  }
  return value;
}

function plan(ctx: WorkloadContext, bug: KvBug | undefined): Plan {
  return {
    clients: intOption(ctx, 'clients', 3, 64),
    keysPerClient: intOption(ctx, 'keys', 6, 1024),
    epochs: intOption(ctx, 'epochs', 4, 1000),
    opsPerClient: intOption(ctx, 'ops', 12, 100_000),
    valueBytesMax: intOption(ctx, 'valueBytes', 400, 1 << 16),
    // A quarter of the values span sectors, so a torn append can cut a record in half and a
    // batch can fill whole pages that no later append rewrites.
    largeValueBytesMax: intOption(ctx, 'largeValueBytes', 6000, 1 << 20),
    // Small segments and eager compaction so rollover and compaction happen in every seed.
    store: {
      segmentBytesMax: intOption(ctx, 'segmentBytes', 8192, 1 << 30),
      compactionSegmentsMin: intOption(ctx, 'compactAfter', 2, 1 << 20),
      ...(bug === undefined ? {} : { bug }),
    },
  };
}

/** True for fault kinds that can destroy or alter data that was already durable. */
function isMediaFault(kind: string): boolean {
  return /corrupt|misdirect|latent|sector/i.test(kind);
}

class Run {
  private readonly model = new KvModel();
  private readonly history = new Map<string, Uint8Array[]>();
  private writeId = 0;
  private opsStarted = 0;
  private crashAtOp = -1;
  private crashed = false;
  private clientsDone = false;
  /** Simulated length of the last epoch with no early crash: the horizon of timed power cuts. */
  private epochMsEstimate = 20;
  private readonly stats = { puts: 0, deletes: 0, gets: 0, crashes: 0, failStops: 0, recoveries: 0, readErrors: 0 };

  constructor(private readonly ctx: WorkloadContext, private readonly node: WorkloadNode, private readonly plan: Plan) {}

  /** Returns `false` when the run stopped early on an excused media fault. */
  async go(): Promise<boolean> {
    for (let epoch = 0; epoch < this.plan.epochs; epoch++) {
      const store = await this.recover(epoch);
      if (store === undefined) return false;
      if (!(await this.verify(store, epoch))) return false;
      const totalOps = this.plan.clients * this.plan.opsPerClient;
      // The power cut comes after a random number of operations (mid-request), at a random
      // simulated time (mid-anything: a sync, a rollover, a compaction), at a random Io operation
      // of the store (the simulator's `powerCut` rule: between any two of its writes, syncs and
      // renames), or once the epoch is idle.
      const draw = this.ctx.random();
      this.crashAtOp = draw < 0.4 ? 1 + this.ctx.randomInt(totalOps) : -1;
      const crashAtMs = draw >= 0.4 && draw < 0.8 ? this.ctx.random() * this.epochMsEstimate : -1;
      if (draw >= 0.9) this.ctx.sim.faults.set('powerCut', { rate: IO_POWER_CUT_RATE, node: this.node.name });
      this.opsStarted = 0;
      this.crashed = false;
      this.clientsDone = false;
      const startedMs = this.ctx.sim.clock.now();
      const clients: Promise<void>[] = [];
      for (let c = 0; c < this.plan.clients; c++) clients.push(this.client(store, c));
      const timer = crashAtMs < 0 ? Promise.resolve() : this.timedPowerCut(crashAtMs);
      await Promise.all(clients);
      this.clientsDone = true;
      await timer;
      if (draw >= 0.9) {
        this.ctx.sim.faults.set('powerCut', undefined);
        if (this.ctx.sim.node(this.node.name).crashed && !this.crashed) {
          this.crashed = true;
          this.stats.crashes += 1;
          this.ctx.log('power cut (powerCut rule, at an Io operation)');
        }
      }
      if (!this.crashed) this.epochMsEstimate = Math.max(1, this.ctx.sim.clock.now() - startedMs);
      if (store.failed !== undefined && !this.crashed) {
        this.stats.failStops += 1;
        this.ctx.log(`epoch ${epoch}: store failed (${codeOf(store.failed)}); power-cycling`);
      }
      if (!this.crashed) this.powerCut(`epoch ${epoch} end`);
      await store.close().catch(() => undefined);
      this.node.restart();
    }
    const store = await this.recover(this.plan.epochs);
    if (store === undefined) return false;
    const ok = await this.verify(store, this.plan.epochs);
    await store.close();
    this.ctx.log(`done: ${JSON.stringify(this.stats)}`);
    return ok;
  }

  private async timedPowerCut(afterMs: number): Promise<void> {
    await this.ctx.sim.clock.sleep(afterMs);
    if (!this.crashed && !this.clientsDone) this.powerCut(`at +${afterMs.toFixed(3)}ms`);
  }

  private powerCut(why: string): void {
    this.crashed = true;
    this.stats.crashes += 1;
    this.ctx.log(`power cut (${why})`);
    this.node.crash();
  }

  private async recover(epoch: number): Promise<KvStore | undefined> {
    for (let attempt = 1; ; attempt++) {
      try {
        const store = await KvStore.open(this.node.io, this.plan.store);
        this.stats.recoveries += 1;
        const s = store.stats;
        this.ctx.log(`epoch ${epoch}: recovered ${s.keys} keys from ${s.recoveredRecords} records, cut ${s.truncatedTailBytes} torn bytes`);
        return store;
      } catch (err) {
        this.ctx.log(`epoch ${epoch}: recovery attempt ${attempt} failed: ${codeOf(err)} ${messageOf(err)}`);
        if (attempt >= RECOVERY_ATTEMPTS_MAX || !isRetryable(err)) {
          if (this.excused()) {
            this.ctx.excuse(`recovery failed (${codeOf(err)}) after an injected media fault`);
            return undefined;
          }
          // Every attempt hit an I/O error while the disk was injecting them (swarm seeds turn
          // read errors up to 10% of reads): a correct store cannot read its log, and says so.
          if (attempt >= RECOVERY_ATTEMPTS_MAX && isStorageError(err, 'EIO') && this.eioInjected()) {
            this.ctx.excuse(`recovery failed ${attempt} times on injected I/O errors`);
            return undefined;
          }
          throw new InvariantViolation(`recovery failed: ${codeOf(err)} ${messageOf(err)}`, { epoch, code: codeOf(err) });
        }
        this.node.crash();
        this.node.restart();
      }
    }
  }

  private eioInjected(): boolean {
    for (const kind of this.node.injectedFaults()) if (/Error$/.test(kind)) return true;
    return false;
  }

  private excused(): boolean {
    for (const kind of this.node.injectedFaults()) if (isMediaFault(kind)) return true;
    return false;
  }

  /** Checks every key after recovery. Returns `false` when acknowledged data was lost but excused. */
  private async verify(store: KvStore, epoch: number): Promise<boolean> {
    const keys = new Set([...this.model.knownKeys(), ...store.keys()]);
    for (const key of [...keys].sort()) {
      let observed: ModelValue | undefined;
      for (let attempt = 1; observed === undefined; attempt++) {
        try {
          observed = (await store.get(key)) ?? null;
        } catch (err) {
          if (attempt >= VERIFY_READ_ATTEMPTS_MAX || !isRetryable(err)) {
            if (this.excused()) {
              this.ctx.excuse(`read of ${key} after recovery failed (${codeOf(err)}) after an injected media fault`);
              await store.close().catch(() => undefined);
              return false;
            }
            throw new InvariantViolation(`read of ${key} after recovery failed: ${codeOf(err)}`, { epoch, key, code: codeOf(err) });
          }
        }
      }
      const expectation = this.model.expectation(key);
      const verdict = this.model.settle(key, observed, (k, v) => this.everWritten(k, v));
      if (verdict === 'lost') {
        if (this.excused()) {
          this.ctx.excuse(`acknowledged write to ${key} lost after an injected media fault`);
          await store.close().catch(() => undefined);
          return false;
        }
        throw new InvariantViolation(`acknowledged write lost: ${key} is ${observed === null ? 'absent' : 'an older value'} after recovery (expected ${expectation})`, { epoch, key });
      }
    }
    return true;
  }

  private everWritten(key: string, value: ModelValue): boolean {
    if (value === null) return true;
    return (this.history.get(key) ?? []).some((written) => Buffer.compare(written, value) === 0);
  }

  private nextValue(): Uint8Array {
    const large = this.ctx.random() < 0.25;
    const lengthBytes = large
      ? this.plan.valueBytesMax + this.ctx.randomInt(Math.max(1, this.plan.largeValueBytesMax - this.plan.valueBytesMax))
      : 8 + this.ctx.randomInt(this.plan.valueBytesMax - 7);
    const value = new Uint8Array(lengthBytes);
    const view = new DataView(value.buffer);
    view.setUint32(0, ++this.writeId, true);
    view.setUint32(4, this.ctx.seed >>> 0, true);
    // Non-zero filler: a torn record whose lost sectors read as zeros must not look valid.
    const fill = 1 + this.ctx.randomInt(255);
    for (let i = 8; i < lengthBytes; i++) value[i] = (fill + i) & 0xff || 1;
    return value;
  }

  private async client(store: KvStore, index: number): Promise<void> {
    const keys: string[] = [];
    for (let k = 0; k < this.plan.keysPerClient; k++) keys.push(`c${index}-k${k}`);
    for (let op = 0; op < this.plan.opsPerClient; op++) {
      if (this.crashed || store.failed !== undefined) return;
      this.opsStarted += 1;
      if (this.opsStarted === this.crashAtOp) {
        this.powerCut(`after ${this.opsStarted} operations`);
        return;
      }
      const key = keys[this.ctx.randomInt(keys.length)]!;
      const draw = this.ctx.random();
      if (draw < 0.5) {
        const value = this.nextValue();
        const written = this.history.get(key) ?? [];
        written.push(value);
        this.history.set(key, written);
        this.model.issue(key, value);
        this.stats.puts += 1;
        try {
          await store.put(key, value);
        } catch (err) {
          this.ctx.log(`put ${key} failed: ${codeOf(err)}`);
          return;
        }
        this.model.acknowledge(key, value);
      } else if (draw < 0.65) {
        this.model.issue(key, null);
        this.stats.deletes += 1;
        try {
          await store.delete(key);
        } catch (err) {
          this.ctx.log(`delete ${key} failed: ${codeOf(err)}`);
          return;
        }
        this.model.acknowledge(key, null);
      } else {
        this.stats.gets += 1;
        let observed: Uint8Array | undefined;
        try {
          observed = await store.get(key);
        } catch (err) {
          if (this.crashed || store.failed !== undefined) return;
          // An injected read error or a checksum mismatch is reported, never turned into data.
          this.stats.readErrors += 1;
          this.ctx.log(`get ${key} failed: ${codeOf(err)}`);
          continue;
        }
        if (this.crashed) return;
        this.model.checkRead(key, observed ?? null);
      }
    }
  }
}

function codeOf(err: unknown): string {
  if (typeof err === 'object' && err !== null && 'code' in err && typeof err.code === 'string') return err.code;
  return err instanceof Error ? err.name : typeof err;
}

function messageOf(err: unknown): string {
  return err instanceof Error ? err.message : String(err);
}

/** Errors a power cycle may cure: I/O errors, detected damage (a transient corruption on read), lack of space. */
function isRetryable(err: unknown): boolean {
  return isStorageError(err, 'EIO') || isStorageError(err, 'ERR_BLOB_CORRUPT') || isStorageError(err, 'ERR_CRASHED')
    // Out of space or quota during recovery: an operator frees some and restarts the store.
    || isStorageError(err, 'ENOSPC') || isStorageError(err, 'EDQUOT');
}

export default defineWorkload({
  description: 'the example KV store (WAL segments, group commit, compaction) under power cuts and disk faults',
  variants: KV_BUGS,
  async run(ctx: WorkloadContext): Promise<void> {
    const variant = ctx.options['variant'];
    if (variant !== undefined && !isKvBug(variant)) {
      throw new InvariantViolation(`unknown kv variant ${variant}`, { variant, known: Object.keys(KV_BUGS) });
    }
    const node = ctx.node('kv');
    const run = new Run(ctx, node, plan(ctx, variant));
    await run.go();
  },
});
