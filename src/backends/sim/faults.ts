/**
 * Fault rules, presets, and the per-node injector that draws them.
 *
 * A rule has a rate (probability per eligible operation), an optional target (node names, path
 * globs matched with picomatch, operation kinds) and an optional trigger (after the node started N
 * operations; from/until a simulated time). Rules can be replaced, enabled and disabled while a
 * simulation runs (`sim.faults`). Every fault kind of every node draws from its own seeded stream,
 * and draws only for operations its rule targets, so switching one fault on or off never changes
 * the decisions of another. A target added to an existing kind later (the directory fsync of
 * `fsyncError`) draws from a lane of its own, so the seeds that existed before keep their
 * decisions. Rules are checked whole when set: unknown keys, kinds and errnos, and rules that can
 * never fire, are `ERR_INVALID_ARGUMENT`.
 */
import picomatch from 'picomatch';
import { StorageError } from '../../interfaces/errors.js';
import { IO_OPERATIONS, type IoOperation } from '../../interfaces/io.js';
import { readCallerValue, snapshotOptions } from '../../interfaces/validate.js';
import { Prng } from './prng.js';

/** Every injectable fault. */
export const FAULT_KINDS = [
  /** EIO on a read; nothing is read. */
  'readError',
  /** EIO on a write; nothing is written. */
  'writeError',
  /**
   * fsyncgate: a file fsync fails with `errno` (EIO, or ENOSPC/EDQUOT as writeback on thin
   * provisioning, NFS or quotas reports); its unsynced writes are dropped from durability, the cache
   * keeps them. A directory fsync fails the same way and commits none of its entries.
   */
  'fsyncError',
  /** A read returns fewer bytes than it could (at least one). */
  'shortRead',
  /** A write writes fewer bytes than asked (at least one). */
  'shortWrite',
  /** A read finds a bad sector: it and later reads of that sector fail with EIO until it is rewritten. */
  'latentSectorError',
  /** A read returns one flipped bit (transient: a retry reads correctly). */
  'corruptRead',
  /** A sector rots at rest: every read of it returns one flipped bit (chosen from its content and the seed) until rewritten. */
  'corruptAtRest',
  /** A write lands at another sector of the same file; the intended sectors keep their old bytes. */
  'misdirectedWrite',
  /** The disk stops answering for `durationMs`: every operation completes no earlier than that. */
  'stall',
  /** The disk limps for `durationMs`: latencies are multiplied by `factor`. */
  'slowDisk',
  /**
   * A namespace operation (a creating open, rename, unlink, mkdir, rmdir, link, symlink; the
   * synchronous twins draw exactly as the asynchronous calls) fails with `errno` and changes
   * nothing: EIO as after a journal abort, ENOSPC/EDQUOT where the operation needs space (all but
   * unlink and rmdir).
   */
  'namespaceError',
  /**
   * The device acknowledges a write that does not reach the media: `lost` (never, even once
   * synced) or `phantom` (it lands only after the next fsync, which still succeeds). Reads keep
   * returning it until a restart (or a direct write to the page); `mode` fixes one, else each
   * injection picks one.
   */
  'lostWrite',
  /** Power is cut as the operation would take effect: the node crashes (the workload restarts it). */
  'powerCut',
  /**
   * A read returns the bytes of another place of the same file (1 to 8 sectors away; zeros past
   * its end) as if they were the asked ones. Transient: a retry reads correctly.
   */
  'misdirectedRead',
] as const;
export type FaultKind = (typeof FAULT_KINDS)[number];

/** Operations each fault kind can hit. */
export const FAULT_OPERATIONS: Readonly<Record<FaultKind, readonly IoOperation[]>> = {
  readError: ['read'],
  writeError: ['write'],
  fsyncError: ['fsync'],
  shortRead: ['read'],
  shortWrite: ['write'],
  latentSectorError: ['read'],
  corruptRead: ['read'],
  corruptAtRest: ['read'],
  misdirectedWrite: ['write'],
  stall: IO_OPERATIONS,
  slowDisk: IO_OPERATIONS,
  namespaceError: ['open', 'rename', 'unlink', 'mkdir', 'rmdir', 'link', 'symlink'],
  lostWrite: ['write'],
  powerCut: IO_OPERATIONS,
  misdirectedRead: ['read'],
};

/** The errors `fsyncError` and `namespaceError` can inject. */
export const FAULT_ERRNOS = ['EIO', 'ENOSPC', 'EDQUOT'] as const;
export type FaultErrno = (typeof FAULT_ERRNOS)[number];

/** Namespace operations that need no space: only EIO can hit them. */
export const SPACELESS_OPERATIONS: readonly IoOperation[] = ['unlink', 'rmdir'];

/** One fault's configuration. */
export interface FaultRule {
  /** Probability per eligible operation, in [0, 1]. */
  readonly rate: number;
  /** `false` keeps the rule but injects nothing. Default true. */
  readonly enabled?: boolean;
  /** Only on these nodes (names). Default: every node. */
  readonly node?: string | readonly string[];
  /** Only on paths matching these globs (picomatch; the path given at open for fd operations). */
  readonly path?: string | readonly string[];
  /** Only on these operation kinds (within those the fault can hit). */
  readonly operation?: IoOperation | readonly IoOperation[];
  /** Only once the node has started more than this many operations. */
  readonly afterOperations?: number;
  /** Only at or after this simulated time. */
  readonly atMs?: number;
  /** Only before this simulated time. */
  readonly untilMs?: number;
  /** `stall` and `slowDisk`: how long the episode lasts. Default 100 ms. */
  readonly durationMs?: number;
  /** `slowDisk`: latency multiplier. Default 10. */
  readonly factor?: number;
  /** `fsyncError`, `namespaceError`: the error (one, or a list to pick from per injection). Default EIO. */
  readonly errno?: FaultErrno | readonly FaultErrno[];
  /** `lostWrite`: `lost` or `phantom`. Default: picked per injection. */
  readonly mode?: 'lost' | 'phantom';
}

export type FaultConfig = { readonly [K in FaultKind]?: FaultRule };

/** Latency of one operation kind: a minimum plus an exponential tail of the given mean. */
export interface LatencyRule {
  readonly minMs: number;
  readonly tailMs: number;
}

/** Simulated device latency. Off (every operation completes at once, in order) when absent. */
export interface LatencyConfig {
  /** Default for every operation kind. */
  readonly minMs?: number;
  readonly tailMs?: number;
  /** Overrides per operation kind (fsync is usually much slower). */
  readonly operations?: { readonly [K in IoOperation]?: LatencyRule };
}

export const FAULTS_NONE: FaultConfig = Object.freeze({});

/** Low rates: a long workload meets every fault a few times. */
export const FAULTS_DEFAULT: FaultConfig = Object.freeze({
  readError: { rate: 0.001 },
  writeError: { rate: 0.001 },
  fsyncError: { rate: 0.002, errno: ['EIO', 'ENOSPC', 'EDQUOT'] },
  shortRead: { rate: 0.01 },
  shortWrite: { rate: 0.01 },
  latentSectorError: { rate: 0.0005 },
  corruptRead: { rate: 0.0005 },
  corruptAtRest: { rate: 0.0002 },
  misdirectedWrite: { rate: 0.0002 },
  stall: { rate: 0.0005, durationMs: 50 },
  slowDisk: { rate: 0.0005, durationMs: 200, factor: 10 },
  namespaceError: { rate: 0.001, errno: ['EIO', 'ENOSPC', 'EDQUOT'] },
});

/** High rates: most short workloads meet several faults. */
export const FAULTS_HEAVY: FaultConfig = Object.freeze({
  readError: { rate: 0.01 },
  writeError: { rate: 0.01 },
  fsyncError: { rate: 0.02, errno: ['EIO', 'ENOSPC', 'EDQUOT'] },
  shortRead: { rate: 0.05 },
  shortWrite: { rate: 0.05 },
  latentSectorError: { rate: 0.005 },
  corruptRead: { rate: 0.005 },
  corruptAtRest: { rate: 0.002 },
  misdirectedWrite: { rate: 0.002 },
  stall: { rate: 0.005, durationMs: 100 },
  slowDisk: { rate: 0.005, durationMs: 500, factor: 20 },
  namespaceError: { rate: 0.01, errno: ['EIO', 'ENOSPC', 'EDQUOT'] },
});

export const LATENCY_NONE: LatencyConfig = Object.freeze({});

/** An SSD-like device: reads and writes tens of microseconds, fsync around a millisecond. */
export const LATENCY_DEFAULT: LatencyConfig = Object.freeze({
  minMs: 0.02,
  tailMs: 0.05,
  operations: { fsync: { minMs: 0.5, tailMs: 1.5 }, read: { minMs: 0.05, tailMs: 0.1 }, write: { minMs: 0.05, tailMs: 0.1 } },
});

export type FaultPresetName = 'none' | 'default' | 'heavy';

/** A preset by name (what the CLI's `--faults none|default|heavy` uses). */
export function faultPreset(name: FaultPresetName): FaultConfig {
  switch (name) {
    case 'none': return FAULTS_NONE;
    case 'default': return FAULTS_DEFAULT;
    case 'heavy': return FAULTS_HEAVY;
    default:
      throw new StorageError('ERR_INVALID_ARGUMENT', 'unknown fault preset', { argument: 'faults', preset: String(name) });
  }
}

/** `operation`: the option the message is about, named first as every message names its call. */
function invalid(message: string, details: Record<string, unknown>, operation = 'faults'): StorageError {
  return new StorageError('ERR_INVALID_ARGUMENT', `${operation}: ${message}`, { operation, ...details });
}

function isFaultKind(kind: unknown): kind is FaultKind {
  return typeof kind === 'string' && (FAULT_KINDS as readonly string[]).includes(kind);
}

/** Fields every rule may have. */
const RULE_FIELDS = ['rate', 'enabled', 'node', 'path', 'operation', 'afterOperations', 'atMs', 'untilMs'] as const;
/** Fields only some kinds take (any other kind refuses them as unknown). */
const KIND_FIELDS: Readonly<Partial<Record<FaultKind, readonly string[]>>> = {
  stall: ['durationMs'],
  slowDisk: ['durationMs', 'factor'],
  fsyncError: ['errno'],
  namespaceError: ['errno'],
  lostWrite: ['mode'],
};

/**
 * Kinds that can hit an operation whose path is the root, `.` (its fsync, readdir, stat). No
 * namespace operation can succeed on the root, so `namespaceError` is not one of them.
 */
const ROOT_KINDS: ReadonlySet<FaultKind> = new Set<FaultKind>(['stall', 'slowDisk', 'fsyncError', 'powerCut']);

/** Most entries in one list field of a fault rule (operations, nodes, errnos, paths): a bound on the read. */
const FAULT_LIST_LENGTH_MAX = 4096;

/** A string or a non-empty array of them, read once (length, then each element by index) into a fresh array. */
function stringList(kind: FaultKind, field: string, value: unknown): readonly string[] | undefined {
  if (value === undefined) return undefined;
  if (typeof value === 'string' && value.length > 0) return [value];
  const bad = (): StorageError => invalid(`fault ${field} must be a non-empty string or a non-empty array of them`, { kind, field });
  const read = (get: () => unknown): unknown => readCallerValue('faults', get, field, `fault rule '${kind}'`);
  if (read(() => Array.isArray(value)) !== true) throw bad();
  const array = value as readonly unknown[];
  const length = read(() => array.length);
  if (typeof length !== 'number' || length === 0) throw bad();
  if (length > FAULT_LIST_LENGTH_MAX) throw invalid(`fault ${field} lists more than ${FAULT_LIST_LENGTH_MAX} entries`, { kind, field, limit: FAULT_LIST_LENGTH_MAX });
  const items: string[] = [];
  for (let i = 0; i < length; i += 1) {
    const item = read(() => array[i]);
    if (typeof item !== 'string' || item.length === 0) throw bad();
    items.push(item);
  }
  return items;
}

/**
 * A rule is checked whole when it is set, including whether it can ever fire: an operation its kind
 * cannot hit, a path no simulated path can match (absolute, with `..`, the root for a kind that
 * only hits files) or an empty time window would otherwise be accepted and silently inject nothing.
 */
function checkRule(kind: FaultKind, rule: unknown): FaultRule {
  // Read once: the rule kept is the one checked, whatever getters return or the caller changes later.
  const r = snapshotOptions('faults', rule as FaultRule, [...RULE_FIELDS, ...(KIND_FIELDS[kind] ?? [])], `fault rule '${kind}'`);
  if (typeof r.rate !== 'number' || !(r.rate >= 0 && r.rate <= 1)) throw invalid('fault rate must be in [0, 1]', { kind });
  if (r.enabled !== undefined && typeof r.enabled !== 'boolean') throw invalid('fault enabled must be a boolean', { kind, field: 'enabled' });
  for (const key of ['afterOperations', 'atMs', 'untilMs', 'durationMs'] as const) {
    const v = r[key];
    if (v !== undefined && (typeof v !== 'number' || !(v >= 0))) throw invalid(`fault ${key} must be a number >= 0`, { kind, field: key });
  }
  if (r.atMs !== undefined && r.untilMs !== undefined && r.untilMs <= r.atMs) {
    throw invalid('fault rule can never fire: untilMs is not after atMs', { kind, field: 'untilMs' });
  }
  if (r.factor !== undefined && (typeof r.factor !== 'number' || !(r.factor >= 1))) throw invalid('fault factor must be >= 1', { kind });
  const opList = stringList(kind, 'operation', r.operation);
  const ops = opList ?? [];
  for (const op of ops) {
    if (!(IO_OPERATIONS as readonly string[]).includes(op)) throw invalid('unknown operation in fault rule', { kind, value: op });
    if (!(FAULT_OPERATIONS[kind] as readonly string[]).includes(op)) {
      throw invalid(`fault rule can never fire: ${kind} cannot hit operation '${op}'`, { kind, value: op, operations: [...FAULT_OPERATIONS[kind]] });
    }
  }
  const nodeList = stringList(kind, 'node', r.node);
  const errnoList = stringList(kind, 'errno', r.errno);
  const errnos = errnoList ?? [];
  for (const errno of errnos) {
    if (!(FAULT_ERRNOS as readonly string[]).includes(errno)) throw invalid(`fault errno must be one of ${FAULT_ERRNOS.join(', ')}`, { kind, field: 'errno', value: errno });
  }
  if (kind === 'namespaceError' && errnos.length > 0 && !errnos.includes('EIO') && ops.length > 0 && ops.every((op) => SPACELESS_OPERATIONS.includes(op as IoOperation))) {
    throw invalid('fault rule can never fire: unlink and rmdir need no space, so only EIO can hit them', { kind, field: 'errno' });
  }
  if (r.mode !== undefined && r.mode !== 'lost' && r.mode !== 'phantom') throw invalid("fault mode must be 'lost' or 'phantom'", { kind, field: 'mode' });
  const globList = stringList(kind, 'path', r.path);
  const globs = globList ?? [];
  for (const glob of globs) {
    // Simulated paths are normalized: relative, no '..', no empty, '.' or trailing components.
    const parts = glob.split('/');
    const inner = parts[0] === '.' && parts.length > 1 ? parts.slice(1) : parts;
    if (glob.startsWith('/') || inner.some((part, i) => part === '..' || part === '' || (part === '.' && inner.length > 1) || (i > 0 && part === '.'))) {
      throw invalid('fault rule can never fire: paths are relative and normalized (no leading or trailing /, no empty, . or .. components)', { kind, field: 'path', value: glob });
    }
  }
  if (globs.length > 0 && !ROOT_KINDS.has(kind) && globs.every((g) => g === '.')) {
    throw invalid(`fault rule can never fire: ${kind} cannot hit the root directory '.'`, { kind, field: 'path' });
  }
  return {
    ...r,
    ...(opList === undefined ? {} : { operation: opList as readonly IoOperation[] }),
    ...(nodeList === undefined ? {} : { node: nodeList }),
    ...(errnoList === undefined ? {} : { errno: errnoList as readonly FaultErrno[] }),
    ...(globList === undefined ? {} : { path: globList }),
  };
}

/** Checks a whole configuration (or resolves a preset name). */
export function checkFaultConfig(config: unknown): FaultConfig {
  if (config === undefined) return FAULTS_NONE;
  if (typeof config === 'string') return faultPreset(config as FaultPresetName);
  if (typeof config !== 'object' || config === null) throw invalid('must be an object or a preset name', {});
  const rules = snapshotOptions('faults', config as Record<string, unknown>, FAULT_KINDS, 'faults');
  const out: Partial<Record<FaultKind, FaultRule>> = {};
  for (const kind of FAULT_KINDS) {
    const rule = rules[kind];
    if (rule !== undefined) out[kind] = checkRule(kind, rule);
  }
  return out;
}

export function checkLatencyConfig(config: unknown): LatencyConfig {
  if (config === undefined || config === false || config === 'none') return LATENCY_NONE;
  if (config === true || config === 'default') return LATENCY_DEFAULT;
  if (typeof config !== 'object' || config === null) throw invalid('must be an object, a boolean or a preset name', {}, 'latency');
  // Read once, nested objects too: the configuration kept is the one checked.
  const top = snapshotOptions('latency', config as LatencyConfig, ['minMs', 'tailMs', 'operations'], 'latency');
  let c: LatencyConfig = top;
  if (top.operations !== undefined) {
    const given = snapshotOptions('latency', top.operations, IO_OPERATIONS, 'latency.operations');
    const operations: Partial<Record<IoOperation, LatencyRule>> = {};
    for (const op of IO_OPERATIONS) {
      const rule = given[op];
      if (rule !== undefined) operations[op] = snapshotOptions('latency', rule, ['minMs', 'tailMs'], `latency.operations.${op}`);
    }
    c = { ...top, operations };
  }
  const check = (v: unknown, field: string): void => {
    if (v !== undefined && (typeof v !== 'number' || !Number.isFinite(v) || v < 0)) throw invalid('values must be finite numbers >= 0', { field }, 'latency');
  };
  check(c.minMs, 'minMs');
  check(c.tailMs, 'tailMs');
  if (c.operations !== undefined) {
    for (const op of IO_OPERATIONS) {
      const rule = c.operations[op];
      if (rule !== undefined) { check(rule.minMs, `${op}.minMs`); check(rule.tailMs, `${op}.tailMs`); }
    }
  }
  return c;
}

/**
 * The faults of a simulation, switchable at run time. Changes apply to operations submitted
 * afterwards (and to decisions taken when an operation in flight completes).
 */
export class FaultController {
  private rules: Partial<Record<FaultKind, FaultRule>>;
  private readonly disabled = new Set<FaultKind>();
  /** Bumped on every change; injectors recompile lazily. */
  version = 0;

  constructor(config: FaultConfig) {
    this.rules = { ...config };
  }

  /** Replaces the whole configuration (a preset name or an object). Re-enables every kind. */
  configure(config: FaultConfig | FaultPresetName): void {
    this.rules = { ...checkFaultConfig(config) };
    this.disabled.clear();
    this.version++;
  }

  /** Sets (or with `undefined` removes) the rule of one kind. */
  set(kind: FaultKind, rule: FaultRule | undefined): void {
    if (!isFaultKind(kind)) throw invalid(`unknown fault kind '${String(kind)}'`, { kind: String(kind), argument: String(kind) });
    if (rule === undefined) delete this.rules[kind];
    else this.rules[kind] = checkRule(kind, rule);
    this.version++;
  }

  /** The rule of one kind, if any. */
  get(kind: FaultKind): FaultRule | undefined {
    return this.rules[kind];
  }

  /** Turns one kind (or, with no argument, every kind) back on. */
  enable(kind?: FaultKind): void {
    if (kind === undefined) this.disabled.clear();
    else this.disabled.delete(kind);
    this.version++;
  }

  /** Turns one kind (or every kind) off without forgetting its rule. */
  disable(kind?: FaultKind): void {
    if (kind === undefined) for (const k of FAULT_KINDS) this.disabled.add(k);
    else this.disabled.add(kind);
    this.version++;
  }

  /** The rule of `kind` when it is configured and switched on. */
  active(kind: FaultKind): FaultRule | undefined {
    const rule = this.rules[kind];
    if (rule === undefined || this.disabled.has(kind) || rule.enabled === false || rule.rate <= 0) return undefined;
    return rule;
  }
}

function toList<T>(value: T | readonly T[] | undefined): readonly T[] | undefined {
  if (value === undefined) return undefined;
  return Array.isArray(value) ? (value as readonly T[]) : [value as T];
}

class CompiledRule {
  readonly matchPath: ((path: string) => boolean) | undefined;
  readonly operations: ReadonlySet<IoOperation>;
  /** The rule's trigger and rate as plain numbers (no optional-field checks when drawing). */
  readonly rate: number;
  readonly afterOperations: number;
  readonly atMs: number;
  readonly untilMs: number;
  /** The errors to inject (`fsyncError`, `namespaceError`). */
  readonly errnos: readonly FaultErrno[];
  constructor(readonly kind: FaultKind, readonly rule: FaultRule, readonly prng: Prng) {
    this.errnos = toList(rule.errno) ?? ['EIO'];
    const globs = toList(rule.path);
    this.matchPath = globs === undefined ? undefined : picomatch(globs as string[], { dot: true });
    const allowed = FAULT_OPERATIONS[kind];
    const wanted = toList(rule.operation);
    this.operations = new Set(wanted === undefined ? allowed : allowed.filter((op) => wanted.includes(op)));
    this.rate = rule.rate;
    this.afterOperations = rule.afterOperations ?? -1;
    this.atMs = rule.atMs ?? Number.NEGATIVE_INFINITY;
    this.untilMs = rule.untilMs ?? Number.POSITIVE_INFINITY;
  }
}

/**
 * The rules that can fire on one operation kind, by fault kind. A class with every kind as a field
 * (instead of an object with the kinds present as keys) so every table has one shape.
 */
export class RuleTable {
  readError: CompiledRule | undefined = undefined;
  writeError: CompiledRule | undefined = undefined;
  fsyncError: CompiledRule | undefined = undefined;
  shortRead: CompiledRule | undefined = undefined;
  shortWrite: CompiledRule | undefined = undefined;
  latentSectorError: CompiledRule | undefined = undefined;
  corruptRead: CompiledRule | undefined = undefined;
  corruptAtRest: CompiledRule | undefined = undefined;
  misdirectedWrite: CompiledRule | undefined = undefined;
  stall: CompiledRule | undefined = undefined;
  slowDisk: CompiledRule | undefined = undefined;
  namespaceError: CompiledRule | undefined = undefined;
  lostWrite: CompiledRule | undefined = undefined;
  powerCut: CompiledRule | undefined = undefined;
  misdirectedRead: CompiledRule | undefined = undefined;
}

/** Persistent media damage of one node (survives crashes): sectors by inode id. */
export class MediaState {
  readonly latent = new Map<number, Set<number>>();
  readonly rotten = new Map<number, Set<number>>();
  count = 0;

  mark(map: Map<number, Set<number>>, inodeId: number, sector: number): void {
    let set = map.get(inodeId);
    if (set === undefined) { set = new Set(); map.set(inodeId, set); }
    if (!set.has(sector)) { set.add(sector); this.count++; }
  }

  /** A write over sectors [first, last] rewrites them: their damage is gone. */
  clear(inodeId: number, first: number, last: number): void {
    this.clearIn(this.latent, inodeId, first, last);
    this.clearIn(this.rotten, inodeId, first, last);
  }

  private clearIn(map: Map<number, Set<number>>, inodeId: number, first: number, last: number): void {
    const set = map.get(inodeId);
    if (set === undefined) return;
    if (last - first < 16) {
      // The usual write covers a few sectors: probe them instead of scanning the set.
      for (let sector = first; sector <= last; sector++) if (set.delete(sector)) this.count--;
    } else {
      for (const sector of [...set]) {
        if (sector >= first && sector <= last) { set.delete(sector); this.count--; }
      }
    }
    if (set.size === 0) map.delete(inodeId);
  }
}

/** The fault decisions of one node: compiled rules and their streams. */
/**
 * One fault the simulator has decided to inject, offered to the simulation's `faultFilter` before
 * it takes effect.
 */
export interface FaultDecision {
  readonly node: string;
  readonly kind: FaultKind;
  /**
   * 1-based: this is the `occurrence`-th decision to inject `kind` on `node` in this run, vetoed
   * decisions included. Each kind of each node draws from its own stream, so with the same seed
   * and the same vetoes the numbering is the same on every run, and vetoing one decision leaves
   * every other kind's decisions unchanged.
   */
  readonly occurrence: number;
  /** The operation the fault would hit, and its path (`''` for operations on an fd). */
  readonly operation: IoOperation;
  readonly path: string;
}

/**
 * Sees every decision to inject a fault; returning false vetoes it (the operation goes on as if
 * the draw had missed; the kind's stream has advanced exactly as without the veto). Called
 * synchronously inside the operation; it must not start I/O, and what it throws propagates out of
 * that operation.
 */
export type FaultFilter = (decision: FaultDecision) => boolean;

export class NodeFaults {
  private compiledVersion = -1;
  private readonly streams = new Map<string, Prng>();
  private byOperation = new Map<IoOperation, RuleTable>();
  /** `byOperation` for the two hot operations, without a Map lookup. */
  private readRules: RuleTable | undefined = undefined;
  private writeRules: RuleTable | undefined = undefined;
  /** Stall and limp episodes: simulated times until which they last. */
  stallUntilMs = 0;
  slowUntilMs = 0;
  slowFactor = 1;

  /** Decisions to inject, by kind, for `FaultDecision.occurrence` (kept only with a filter). */
  private readonly decisions = new Map<FaultKind, number>();

  constructor(
    private readonly controller: FaultController,
    private readonly seedText: string,
    private readonly nodeName: string,
    private readonly filter?: FaultFilter,
  ) {}

  private stream(kind: FaultKind, lane = ''): Prng {
    const key = lane === '' ? kind : `${kind}/${lane}`;
    let prng = this.streams.get(key);
    if (prng === undefined) {
      prng = new Prng(this.seedText, `fault/${this.nodeName}/${key}`);
      this.streams.set(key, prng);
    }
    return prng;
  }

  private compile(): void {
    this.compiledVersion = this.controller.version;
    this.byOperation = new Map();
    for (const kind of FAULT_KINDS) {
      const rule = this.controller.active(kind);
      if (rule === undefined) continue;
      const nodes = toList(rule.node);
      if (nodes !== undefined && !nodes.includes(this.nodeName)) continue;
      const compiled = new CompiledRule(kind, rule, this.stream(kind));
      for (const op of compiled.operations) {
        let table = this.byOperation.get(op);
        if (table === undefined) {
          table = new RuleTable();
          this.byOperation.set(op, table);
        }
        table[kind] = compiled;
      }
    }
    this.readRules = this.byOperation.get('read');
    this.writeRules = this.byOperation.get('write');
  }

  /** The rules that can fire on `op` (empty on the fast path when no fault targets it). */
  rulesFor(op: IoOperation): RuleTable | undefined {
    if (this.compiledVersion !== this.controller.version) this.compile();
    if (op === 'read') return this.readRules;
    if (op === 'write') return this.writeRules;
    return this.byOperation.get(op);
  }

  /**
   * Draws whether `kind` fires for this operation. Consumes one number from the kind's stream
   * whenever the rule targets the operation, fired or not. With `lane`, from a stream of its own
   * named `lane`: a new target of an existing kind (the directory fsync of `fsyncError`) draws
   * there, so the kind's decisions on its old targets, and so existing seeds, are unchanged. Every
   * decision goes through this one method, so the simulation's `faultFilter` sees them all.
   */
  draw(rules: RuleTable, kind: FaultKind, op: IoOperation, path: string, operationsStarted: number, nowMs: number, lane?: string): CompiledRule | undefined {
    const c = rules[kind];
    if (c === undefined) return undefined;
    if (operationsStarted <= c.afterOperations || nowMs < c.atMs || nowMs >= c.untilMs) return undefined;
    if (c.matchPath !== undefined && !c.matchPath(path)) return undefined;
    // No operation check here: `rules` is the table of `op`, compiled from each rule's operations.
    const prng = lane === undefined ? c.prng : this.stream(kind, lane);
    if (prng.next() >= c.rate) return undefined;
    return this.filter === undefined || this.offer(kind, op, path) ? c : undefined;
  }

  private offer(kind: FaultKind, operation: IoOperation, path: string): boolean {
    const occurrence = (this.decisions.get(kind) ?? 0) + 1;
    this.decisions.set(kind, occurrence);
    return this.filter!({ node: this.nodeName, kind, occurrence, operation, path }) !== false;
  }

  /** The error a fired `fsyncError`/`namespaceError` injects (drawing only when there is a choice). */
  errnoOf(rule: CompiledRule, allowed?: readonly FaultErrno[], lane = ''): FaultErrno {
    const list = allowed === undefined ? rule.errnos : rule.errnos.filter((e) => allowed.includes(e));
    if (list.length <= 1) return list[0] ?? 'EIO';
    return list[this.stream(rule.kind, lane).below(list.length)] as FaultErrno;
  }

  /** The stream of a kind, for the details of a fault that fired (which bit, which sector...). */
  detailStream(kind: FaultKind): Prng {
    return this.stream(kind);
  }
}
