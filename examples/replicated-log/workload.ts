/**
 * The multi-node workload (`faultline sim replicated-log`): three replicas, each a simulated node
 * with its own disk, hold copies of one log. A leader process (diskless: its log is what it
 * learned from the replicas at election, plus what it appended since) sends entries to every
 * replica and acknowledges an entry only when two replicas have synced it.
 *
 * Chaos: replicas lose power and restart independently while the others keep going, and the
 * leader itself fails now and then: a new one is elected from two or more live replicas, taking
 * the log with the highest (term of last entry, length) — Raft's election restriction — and
 * replicas that disagree with it truncate their divergent tail. A new leader acknowledges only
 * entries of its own term (committing older ones by counting copies is unsafe: Raft's figure 8).
 *
 * Invariants:
 * - after every blackout and at the end, every acknowledged entry is, with its exact payload, on
 *   at least two replicas;
 * - after every recovery, no replica holds a payload that no leader ever produced;
 * - at the end (all replicas caught up, then every node power-cut and recovered), every replica
 *   holds exactly the leader's log: the logs agree entry for entry.
 * Loss is excused only when a media fault (bit rot, a misdirected write, a latent sector error)
 * was injected on a replica.
 */
import { isStorageError } from '../../src/interfaces/errors.js';
import { InvariantViolation, defineWorkload, type WorkloadContext, type WorkloadNode } from '../../src/cli/workload.js';
import { ReplicaLog } from './replica.js';

const REPLICAS = ['r0', 'r1', 'r2'] as const;
const QUORUM = 2;
/** Bounds every polling loop of the workload (iterations of 1 simulated ms). */
const POLL_ITERATIONS_MAX = 100_000;
/** Bounds recovery attempts of one replica before a failing recovery is judged. */
const RECOVERY_ATTEMPTS_MAX = 3;

export const REPLICATED_LOG_VARIANTS = {
  'ack-on-one': 'the leader acknowledges an entry once one replica has synced it',
  'ack-before-sync': 'replicas confirm an entry once written, before fsync',
} as const;

function isMediaFault(kind: string): boolean {
  return /corruptAtRest|misdirect|latent/i.test(kind);
}

/** Chance per Io operation of a replica that the simulator's `powerCut` rule cuts its power. */
const IO_POWER_CUT_RATE = 0.003;

/** Raised to end a run early when a media fault excuses a loss. */
class Excused extends Error {}

function termOf(payload: Uint8Array | undefined): number {
  return payload === undefined ? 0 : new DataView(payload.buffer, payload.byteOffset).getUint32(0, true);
}

function same(a: Uint8Array | undefined, b: Uint8Array | undefined): boolean {
  return a !== undefined && b !== undefined && Buffer.compare(a, b) === 0;
}

class Replica {
  log: ReplicaLog | undefined;
  down = false;
  crashes = 0;
  constructor(readonly node: WorkloadNode) {}
}

class Run {
  private entries: Uint8Array[] = [];
  private term = 0;
  /** Bumped at every election: a pump that started under an older leader re-checks. */
  private generation = 0;
  private electing = false;
  private readonly acked = new Map<number, Uint8Array>();
  private readonly produced = new Set<string>();
  private readonly replicas: Replica[];
  private producing = true;
  private chaosRunning = true;
  private serial = 0;
  private readonly quorum: number;
  private readonly confirmBeforeSync: boolean;

  constructor(private readonly ctx: WorkloadContext, private readonly entryCount: number, private readonly crashCount: number) {
    this.replicas = REPLICAS.map((name) => new Replica(ctx.node(name)));
    const variant = ctx.options['variant'];
    this.quorum = variant === 'ack-on-one' ? 1 : QUORUM;
    this.confirmBeforeSync = variant === 'ack-before-sync';
  }

  private excused(): boolean {
    return this.replicas.some((r) => [...r.node.injectedFaults()].some(isMediaFault));
  }

  async go(): Promise<void> {
    for (const replica of this.replicas) await this.recover(replica);
    await this.elect('start');
    // Besides the chaos below, the simulator itself cuts a replica's power now and then at one of
    // its Io operations (mid-append, mid-truncate, mid-recovery): the pump power-cycles it.
    this.ctx.sim.faults.set('powerCut', { rate: IO_POWER_CUT_RATE });
    const pumps = this.replicas.map((replica) => this.pump(replica));
    await Promise.all([this.produce(), this.chaos(), ...pumps]);
    this.ctx.sim.faults.set('powerCut', undefined);
    for (const replica of this.replicas) this.powerCut(replica, 'final');
    for (const replica of this.replicas) await this.restart(replica);
    this.checkAcknowledged('final');
    this.checkConverged();
    for (const replica of this.replicas) await replica.log?.close();
    this.ctx.log(`done: term ${this.term}, ${this.entries.length} entries, ${this.acked.size} acknowledged, crashes ${this.replicas.map((r) => r.crashes).join('/')}`);
  }

  private powerCut(replica: Replica, why: string): void {
    replica.down = true;
    replica.crashes += 1;
    replica.log = undefined;
    this.ctx.log(`power cut on ${replica.node.name} (${why})`);
    replica.node.crash();
  }

  private async restart(replica: Replica): Promise<void> {
    replica.node.restart();
    await this.recover(replica);
    replica.down = false;
  }

  private async recover(replica: Replica): Promise<void> {
    let log: ReplicaLog | undefined;
    for (let attempt = 1; log === undefined; attempt++) {
      try {
        log = await ReplicaLog.open(replica.node.io, this.confirmBeforeSync);
      } catch (err) {
        const code = isStorageError(err) ? err.code : String(err);
        this.ctx.log(`${replica.node.name}: recovery attempt ${attempt} failed: ${code}`);
        if (attempt >= RECOVERY_ATTEMPTS_MAX) {
          if (this.excused()) throw new Excused(`${replica.node.name}: recovery failure excused by a media fault`);
          throw new InvariantViolation(`${replica.node.name}: recovery failed: ${code}`, { node: replica.node.name, code });
        }
        replica.node.crash();
        replica.node.restart();
      }
    }
    for (let i = 0; i < log.length; i++) {
      const payload = log.entry(i)!;
      if (!this.produced.has(Buffer.from(payload).toString('hex'))) {
        if (this.excused()) throw new Excused(`${replica.node.name}: damaged entry ${i} excused by a media fault`);
        throw new InvariantViolation(`${replica.node.name} holds entry ${i} that no leader ever produced`, { node: replica.node.name, index: i });
      }
    }
    replica.log = log;
    this.ctx.log(`${replica.node.name}: recovered ${log.length} entries (last term ${termOf(log.entry(log.length - 1))})`);
  }

  /** Every acknowledged entry must be on a quorum of replicas with its exact payload. */
  private checkAcknowledged(when: string): void {
    for (const [index, payload] of this.acked) {
      const holders = this.replicas.filter((r) => same(r.log?.entry(index), payload));
      if (holders.length < QUORUM) {
        if (this.excused()) throw new Excused(`entry ${index} lost (${when}); excused by a media fault`);
        throw new InvariantViolation(`acknowledged entry ${index} is on ${holders.length} replica(s) after recovery (${when})`, {
          index, holders: holders.map((r) => r.node.name),
        });
      }
    }
  }

  /**
   * At the end every replica had caught up (same entries as the leader, all synced) before the
   * power cut, so each must recover exactly the leader's log: they agree entry for entry.
   */
  private checkConverged(): void {
    for (const replica of this.replicas) {
      const log = replica.log!;
      const length = Math.max(log.length, this.entries.length);
      for (let i = 0; i < length; i++) {
        if (!same(log.entry(i), this.entries[i])) {
          if (this.excused()) throw new Excused(`${replica.node.name} diverges at entry ${i}; excused by a media fault`);
          throw new InvariantViolation(`${replica.node.name} disagrees with the leader at entry ${i} after the final recovery (${log.length} entries, leader ${this.entries.length})`, {
            node: replica.node.name, index: i,
          });
        }
      }
    }
  }

  /**
   * A new leader: waits for a quorum of live replicas, takes the log with the highest (last term,
   * length) among them — a quorum always contains a copy of every acknowledged entry, and the
   * term rule picks one that has them all — and starts a new term.
   */
  private async elect(why: string): Promise<void> {
    this.electing = true;
    for (let iteration = 0; ; iteration++) {
      const live = this.replicas.filter((r) => !r.down && r.log !== undefined);
      if (live.length >= QUORUM) {
        const rank = (r: Replica): [number, number] => {
          const log = r.log!;
          return [termOf(log.entry(log.length - 1)), log.length];
        };
        live.sort((a, b) => {
          const [a1, a2] = rank(a);
          const [b1, b2] = rank(b);
          return b1 - a1 || b2 - a2;
        });
        const winner = live[0]!.log!;
        const entries: Uint8Array[] = [];
        for (let i = 0; i < winner.length; i++) entries.push(winner.entry(i)!);
        this.entries = entries;
        this.term += 1;
        this.generation += 1;
        this.electing = false;
        this.ctx.log(`election (${why}): term ${this.term}, leader log from ${live[0]!.node.name} with ${entries.length} entries`);
        return;
      }
      if (iteration >= POLL_ITERATIONS_MAX) throw new InvariantViolation('election never found a quorum of live replicas');
      await this.ctx.sim.clock.sleep(1);
    }
  }

  private async produce(): Promise<void> {
    for (let i = 0; i < this.entryCount;) {
      await this.ctx.sim.clock.sleep(this.ctx.randomInt(4));
      if (this.electing) continue;
      const payload = new Uint8Array(16 + this.ctx.randomInt(200));
      const view = new DataView(payload.buffer);
      view.setUint32(0, this.term, true);
      view.setUint32(4, ++this.serial, true);
      view.setUint32(8, this.ctx.seed >>> 0, true);
      payload.fill(1 + (this.serial % 250), 12);
      this.produced.add(Buffer.from(payload).toString('hex'));
      this.entries.push(payload);
      i += 1;
    }
    this.producing = false;
  }

  /**
   * Power cuts on random replicas at random times, each followed by a restart. Half of them also
   * take the leader down (as when it shares the machine), so the election runs without that
   * replica; now and then the leader fails alone.
   */
  private async chaos(): Promise<void> {
    for (let c = 0; c < this.crashCount; c++) {
      await this.ctx.sim.clock.sleep(this.ctx.randomInt(20));
      const draw = this.ctx.random();
      if (draw < 0.2) {
        await this.elect(`leader failure ${c}`);
        continue;
      }
      if (draw < 0.35) {
        await this.blackout(c);
        continue;
      }
      const replica = this.replicas[this.ctx.randomInt(this.replicas.length)]!;
      if (replica.down) continue;
      this.powerCut(replica, `chaos ${c}`);
      if (draw < 0.6) await this.elect(`leader failed with ${replica.node.name}`);
      await this.ctx.sim.clock.sleep(this.ctx.randomInt(15));
      await this.restart(replica);
    }
    this.chaosRunning = false;
  }

  /**
   * Every machine loses power at once, mid-flight: afterwards every acknowledged entry must still
   * be on two replicas, and a new leader takes over.
   */
  private async blackout(c: number): Promise<void> {
    if (this.replicas.some((r) => r.down)) return;
    this.electing = true;
    for (const replica of this.replicas) this.powerCut(replica, `blackout ${c}`);
    await this.ctx.sim.clock.sleep(this.ctx.randomInt(10));
    for (const replica of this.replicas) await this.restart(replica);
    this.checkAcknowledged(`blackout ${c}`);
    await this.elect(`after blackout ${c}`);
  }

  /** Brings one replica in line with the leader: truncate a divergent tail, send what it misses, count acknowledgements. */
  private async pump(replica: Replica): Promise<void> {
    for (let iteration = 0; iteration < POLL_ITERATIONS_MAX; iteration++) {
      const log = replica.log;
      // Done only once nothing can change the leader's log or a replica any more.
      if (!this.producing && !this.chaosRunning && !this.electing && this.allCaughtUp()) return;
      if (log === undefined || replica.down || this.electing) {
        await this.ctx.sim.clock.sleep(1);
        continue;
      }
      const generation = this.generation;
      const term = this.term;
      let common = 0;
      while (common < log.length && common < this.entries.length && same(log.entry(common), this.entries[common])) common += 1;
      try {
        if (common < log.length) {
          this.ctx.log(`${replica.node.name}: truncating divergent tail ${common}..${log.length - 1}`);
          await log.truncate(common);
          continue;
        }
        if (log.length >= this.entries.length) {
          await this.ctx.sim.clock.sleep(1);
          continue;
        }
        const from = log.length;
        const batch = this.entries.slice(from);
        await log.append(batch);
        if (replica.log !== log || this.generation !== generation) continue;
        for (let i = from; i < from + batch.length; i++) {
          // Only entries of the leader's own term are acknowledged by counting copies.
          if (termOf(this.entries[i]) !== term || this.acked.has(i)) continue;
          const holders = this.replicas.filter((r) => same(r.log?.entry(i), this.entries[i])).length;
          if (holders >= this.quorum) this.acked.set(i, this.entries[i]!);
        }
        // Acknowledgements also come from other replicas' pumps: recount entries this one already held.
        this.recount(term);
      } catch (err) {
        if (replica.log !== log) continue; // crashed under us: chaos restarts it
        this.ctx.log(`${replica.node.name}: append failed (${isStorageError(err) ? err.code : String(err)}); power-cycling`);
        this.powerCut(replica, 'fail-stop');
        await this.restart(replica);
      }
    }
    const state = this.replicas.map((r) => `${r.node.name}: ${r.down ? 'down' : r.log === undefined ? 'no log' : `${r.log.length} entries${r.log.failed === undefined ? '' : ' (failed)'}`}`).join(', ');
    throw new InvariantViolation(`${replica.node.name}: pump did not finish within ${POLL_ITERATIONS_MAX} iterations (leader ${this.entries.length} entries${this.producing ? ', producing' : ''}${this.electing ? ', electing' : ''}; ${state})`, { node: replica.node.name });
  }

  private recount(term: number): void {
    for (let i = this.entries.length - 1; i >= 0; i--) {
      if (termOf(this.entries[i]) !== term) break;
      if (this.acked.has(i)) continue;
      const holders = this.replicas.filter((r) => same(r.log?.entry(i), this.entries[i])).length;
      if (holders >= this.quorum) this.acked.set(i, this.entries[i]!);
    }
  }

  private allCaughtUp(): boolean {
    return this.replicas.every((r) => r.log !== undefined && !r.down && r.log.length === this.entries.length
      && (this.entries.length === 0 || same(r.log.entry(this.entries.length - 1), this.entries[this.entries.length - 1])));
  }
}

export default defineWorkload({
  description: 'three replicas of one log with leader failover; an entry is acknowledged once two have synced it',
  variants: REPLICATED_LOG_VARIANTS,
  async run(ctx: WorkloadContext): Promise<void> {
    const entries = Number(ctx.options['entries'] ?? 40);
    const crashes = Number(ctx.options['crashes'] ?? 6);
    if (!Number.isSafeInteger(entries) || entries <= 0 || entries > 100_000) throw new InvariantViolation('option entries must be in [1, 100000]');
    if (!Number.isSafeInteger(crashes) || crashes < 0 || crashes > 10_000) throw new InvariantViolation('option crashes must be in [0, 10000]');
    try {
      await new Run(ctx, entries, crashes).go();
    } catch (err) {
      if (err instanceof Excused) {
        ctx.excuse(err.message);
        return;
      }
      throw err;
    }
  },
});
