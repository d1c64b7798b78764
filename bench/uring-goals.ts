/**
 * The end of `bench/uring-reads.ts`: its table of ratios and the table of the goals, both
 * computed from the measured rows. Kept apart from the script (which measures as soon as it is
 * loaded) and free of I/O, so tests can feed it rows.
 */

export const WORKLOADS = ['read', 'read-direct', 'write', 'write-direct', 'append'] as const;
export type Workload = (typeof WORKLOADS)[number];

export const TITLES: Readonly<Record<Workload, string>> = {
  'read': '4 KiB random read, cached',
  'read-direct': '4 KiB random read, O_DIRECT',
  'write': '4 KiB random write, cached',
  'write-direct': '4 KiB random write, O_DIRECT',
  'append': '4 KiB append + fdatasync',
};

/** Names of the rows in the Goals table, where every cell lists several rows. */
const SHORT_TITLES: Readonly<Record<Workload, string>> = {
  'read': 'cached read',
  'read-direct': 'O_DIRECT read',
  'write': 'cached write',
  'write-direct': 'O_DIRECT write',
  'append': 'synced append',
};

/** A runner's medians; `threadCpuUsPerOp` is fio's own figure for its submitting thread alone. */
export interface Figures { opsPerSecond: number; cpuUsPerOp: number; threadCpuUsPerOp?: number }

export interface Row { workload: Workload; depth: number; runner: string; figures: Figures }

export const R_URING = 'UringIo';
export const R_STORAGE = 'Storage on UringIo';
export const R_PROMISES = 'fs.promises FileHandle';
export const R_UV = 'fs callbacks, UV_USE_IO_URING=1';
export const R_FIO = 'fio io_uring';
export const R_LINKED = 'UringIo writeDurable';
/** UringIo with `sqpoll: true`: a kernel thread polls the SQ, as libuv's ring does (cached reads and writes, synced appends with writeDurable). */
export const R_SQPOLL = 'UringIo, sqpoll';
/**
 * UringIo with `waitInRing: true`: the event loop waits for completions in io_uring_enter (the
 * next request submitted by the same call), as fio's loop does, instead of in epoll.
 */
export const R_WAIT_IN_RING = 'UringIo, waitInRing';
/** fio's io_uring engine with `--sqthread_poll=1`: the like-for-like of {@link R_SQPOLL}. */
export const R_FIO_SQPOLL = 'fio io_uring, sqthread_poll';

/**
 * The control: fio's io_uring engine with the very command of {@link R_FIO}, run as a runner of its
 * own in the same rotation. Its ratio to fio is what this machine's run-to-run spread alone makes
 * of a ratio of medians on that row, for an identical tool: a ratio to fio inside that spread is
 * not told apart from 1.0 by the run (see {@link controlFloor}).
 */
export const R_FIO_AGAIN = 'fio io_uring, run again';

/**
 * UringIo's readBatch/writeBatch: one loop issuing batches of QD entries, each batch awaited before
 * the next (one promise per QD operations). A different caller from the others (QD in flight at
 * the start of each batch, fewer towards its end), measured for what the batch API buys.
 */
export const R_BATCH = 'UringIo readBatch/writeBatch';

/**
 * UringIo, and its readBatch, reading into buffers from `io.allocAligned` instead of ordinary ones:
 * the addon's own reference-counted memory, which the kernel reads into in place. An ordinary
 * buffer is read through the slot's bounce memory and copied out at completion (the memory-safety
 * rule: the kernel never holds memory JavaScript can free), a second 4 KiB copy after the kernel's
 * own. fio reads into its own buffers, with no such copy: these two runners are its like-for-like
 * on cached reads where the ring carries them (at QD 1 a read is answered at the call into the
 * caller's buffer either way).
 */
export const R_ALIGNED = 'UringIo, allocAligned buffers';
export const R_BATCH_ALIGNED = 'UringIo readBatch, allocAligned';

/**
 * fio's io_uring engine in lockstep batches of QD (`--iodepth_batch_submit=QD
 * --iodepth_batch_complete_min=QD`: QD submitted at once, all QD reaped before the next batch):
 * the like-for-like of {@link R_BATCH}. Against fio keeping QD in flight, a batch loop compares a
 * queue that drains to zero every batch with one that never drains, which no batch API can win
 * where the device or io-wq sets the pace (fio itself ran 0.46x of its own continuous queue on
 * cached writes at QD 8 in batches).
 */
export const R_FIO_BATCH = 'fio io_uring, batches of QD';

/**
 * The C references (bench/reference/), on a ring set up and woken as UringIo's (same flags, an
 * eventfd waited on in epoll), no JavaScript runtime: on synced appends ring-append.c (the write
 * linked to fdatasync, as writeDurable), on O_DIRECT rows ring-depth.c (QD kept in flight, every
 * completion a wake-up finds resubmitted in one enter, as UringIo's dispatch). A diagnostic
 * runner: UringIo ÷ it is what Node costs, it ÷ fio what the ring and wake-up cost.
 */
export const R_C_RING = 'C on the same ring and wake-up';

/**
 * UringIo with `inlineReads: false`: every cached read through the ring, as before reads alone were
 * answered at the call from the page cache. A diagnostic runner on cached reads: UringIo ÷ it is
 * what the inline path buys at each depth.
 */
export const R_RING_ONLY = 'UringIo, inlineReads: false';

/**
 * UringIo with `coalesceReads` set each way, whatever this host's default (`ringInfo.coalesceReads`):
 * reads that arrive together sent to the ring as one submission, or each answered at the call. A
 * diagnostic pair on cached reads: which one wins depends on what a system call costs here.
 */
export const R_COALESCE_ON = 'UringIo, coalesceReads: true';
export const R_COALESCE_OFF = 'UringIo, coalesceReads: false';

/**
 * UringIo with `inlineWrites: true` (opt-in): a buffered write is done by pwrite on the JS thread
 * while no request waits for a slot, instead of by an io-wq worker the ring hands it to. A
 * different mode, not the default: the event loop waits for each page-cache copy. On synced
 * appends, its `writeDurable`: the write at the call, only the fsync through the ring.
 */
export const R_INLINE_WRITES = 'UringIo, inlineWrites';

/**
 * UringIo with `inlineWrites` and `coalesceWrites` (both opt-in): a lone write by pwrite on the JS
 * thread, writes that arrive together through the ring as one submission. Beside
 * {@link R_INLINE_WRITES}, it shows from which depth the ring's io-wq workers win.
 */
export const R_INLINE_COALESCED = 'UringIo, inlineWrites, coalesceWrites';

/**
 * fio's psync engine, one thread: a pwrite per operation, each waited for, which is what
 * {@link R_INLINE_WRITES} does on the JS thread: its like-for-like (fio's io_uring engine hands
 * each buffered ext4 write to io-wq, as UringIo's default ring does).
 */
export const R_FIO_PSYNC = 'fio psync, one thread';

/**
 * Storage on a UringIo with `inlineWrites` (one `blob.writeAt` of one 4 KiB buffer; on synced
 * appends `blob.writeAtDurable`): what Storage costs on top of {@link R_INLINE_WRITES}, as
 * {@link R_STORAGE} on top of the default ring.
 */
export const R_STORAGE_INLINE_WRITES = 'Storage on UringIo, inlineWrites';

/**
 * The same, with each 4 KiB block given as two buffers (a 16-byte head and the rest), the vectored
 * `blob.writeAt` of a log record: a writev, done at the call by pwritev.
 */
export const R_STORAGE_INLINE_VECTORED = 'Storage, inlineWrites, writeAt of 2 buffers';

/** How a missing runner is named in "n/a (fio not run)". */
const SHORT_RUNNERS: Readonly<Record<string, string>> = {
  [R_URING]: 'UringIo', [R_STORAGE]: 'Storage', [R_PROMISES]: 'fs.promises', [R_UV]: 'UV_USE_IO_URING=1', [R_FIO]: 'fio', [R_LINKED]: 'writeDurable',
  [R_SQPOLL]: 'UringIo sqpoll', [R_WAIT_IN_RING]: 'UringIo waitInRing', [R_FIO_SQPOLL]: 'fio sqthread_poll', [R_BATCH]: 'readBatch/writeBatch', [R_FIO_BATCH]: 'fio in batches',
  [R_C_RING]: 'C on the same ring', [R_RING_ONLY]: 'inlineReads: false', [R_COALESCE_ON]: 'coalesceReads: true', [R_COALESCE_OFF]: 'coalesceReads: false', [R_INLINE_WRITES]: 'UringIo inlineWrites', [R_INLINE_COALESCED]: 'UringIo inlineWrites coalesceWrites',
  [R_ALIGNED]: 'UringIo allocAligned', [R_BATCH_ALIGNED]: 'readBatch allocAligned', [R_FIO_PSYNC]: 'fio psync', [R_FIO_AGAIN]: 'fio run again', [R_STORAGE_INLINE_WRITES]: 'Storage inlineWrites', [R_STORAGE_INLINE_VECTORED]: 'Storage inlineWrites vectored',
};

/** The runner that stands for UringIo on a row: synced appends go through writeDurable (write and fdatasync linked). */
export function headlineRunner(workload: Workload): string {
  return workload === 'append' ? R_LINKED : R_URING;
}

interface Point { readonly workload: Workload; readonly depth: number }

/** The measured (workload, depth) pairs: workloads in {@link WORKLOADS} order, depths as measured. */
function pointsOf(rows: readonly Row[]): Point[] {
  const points: Point[] = [];
  for (const row of rows) {
    if (!points.some((p) => p.workload === row.workload && p.depth === row.depth)) points.push({ workload: row.workload, depth: row.depth });
  }
  return points.sort((a, b) => WORKLOADS.indexOf(a.workload) - WORKLOADS.indexOf(b.workload));
}

function figuresOf(rows: readonly Row[], at: Point, runner: string): Figures | undefined {
  return rows.find((r) => r.workload === at.workload && r.depth === at.depth && r.runner === runner)?.figures;
}

/** The table of every ratio, in Markdown (pasted into BENCHMARKS.md). */
export function summaryTableLines(rows: readonly Row[]): string[] {
  const ratio = (a: number | undefined, b: number | undefined): string => (a === undefined || b === undefined ? 'n/a' : `${(a / b).toFixed(2)}×`);
  const ops = (f: Figures | undefined): string => (f === undefined ? 'n/a' : `${Math.round(f.opsPerSecond / 100) / 10}k`);
  const cpu = (f: Figures | undefined): string => (f === undefined ? 'n/a' : f.cpuUsPerOp.toFixed(2) +
    (f.threadCpuUsPerOp === undefined ? '' : ` (${f.threadCpuUsPerOp.toFixed(2)})`));
  // "fio ÷ fs.promises" is the ceiling of the "÷ fs.promises" goal: where the native tool itself is
  // under 3x, the device (not the API) sets the pace and no caller of io_uring can reach 3x.
  const lines = [
    '| workload | QD | UringIo ops/s | fio ops/s | ÷ fio | fio again ÷ fio | ÷ UV_USE_IO_URING=1 | ÷ fs.promises | fio ÷ fs.promises | Storage ÷ UringIo | CPU µs/op: UringIo · fio process (fio thread) · UV_USE_IO_URING=1 · Storage |',
    '|---|--:|--:|--:|--:|--:|--:|--:|--:|--:|--:|',
  ];
  for (const at of pointsOf(rows)) {
    const u = figuresOf(rows, at, headlineRunner(at.workload));
    const f = figuresOf(rows, at, R_FIO);
    const uv = figuresOf(rows, at, R_UV);
    const st = figuresOf(rows, at, R_STORAGE);
    const promises = figuresOf(rows, at, R_PROMISES);
    const again = figuresOf(rows, at, R_FIO_AGAIN);
    lines.push(`| ${TITLES[at.workload]}${at.workload === 'append' ? ' (writeDurable)' : ''} | ${at.depth} | ${ops(u)} | ${ops(f)} | ` +
      `${ratio(u?.opsPerSecond, f?.opsPerSecond)} | ${ratio(again?.opsPerSecond, f?.opsPerSecond)} | ${ratio(u?.opsPerSecond, uv?.opsPerSecond)} | ` +
      `${ratio(u?.opsPerSecond, promises?.opsPerSecond)} | ${ratio(f?.opsPerSecond, promises?.opsPerSecond)} | ` +
      `${ratio(st?.opsPerSecond, u?.opsPerSecond)} | ` +
      `${cpu(u)} · ${cpu(f)} · ${cpu(uv)} · ${cpu(st)} |`);
  }
  return lines;
}

/** One goal of the issue: `subject` ops/s ≥ `minRatio` × `reference` ops/s on each row of `workloads`. */
export interface Goal {
  /** Absent: the row's {@link headlineRunner}. */
  readonly subject?: string;
  readonly subjectText: string;
  /** Absent: the row's {@link headlineRunner} (Storage against the raw call it stands on). */
  readonly reference?: string;
  readonly referenceText: string;
  readonly minRatio: number;
  readonly workloads: readonly Workload[];
  /** A runner whose own ratio to the reference shows what the device lets anyone reach (fio). */
  readonly ceiling?: string;
}

const RANDOM_WORKLOADS: readonly Workload[] = ['read', 'read-direct', 'write', 'write-direct'];

/** The goals, one line each in the Goals table; the thresholds live here and nowhere else. */
export const GOALS: readonly Goal[] = [
  { subject: R_URING, subjectText: 'UringIo', reference: R_FIO, referenceText: 'fio io_uring', minRatio: 1.0, workloads: RANDOM_WORKLOADS },
  { subject: R_LINKED, subjectText: 'synced appends (writeDurable)', reference: R_FIO, referenceText: 'fio', minRatio: 1.0, workloads: ['append'] },
  { subjectText: 'every row', reference: R_UV, referenceText: 'UV_USE_IO_URING=1', minRatio: 1.0, workloads: WORKLOADS },
  { subjectText: 'every row', reference: R_PROMISES, referenceText: 'fs.promises', minRatio: 3.0, workloads: WORKLOADS, ceiling: R_FIO },
  { subject: R_STORAGE, subjectText: 'Storage on UringIo', referenceText: 'UringIo (writeDurable for appends)', minRatio: 0.9, workloads: WORKLOADS },
  // Not one of the goals: the like-for-like view of the rows where libuv's SQPOLL thread
  // (a kernel thread polling on another CPU) beats UringIo's default ring.
  { subject: R_SQPOLL, subjectText: 'UringIo with sqpoll (as libuv) on cached reads and writes and synced appends', reference: R_UV, referenceText: 'UV_USE_IO_URING=1', minRatio: 1.0, workloads: ['read', 'write', 'append'] },
  // A polling thread on both sides; and synced appends against fio's plain ring too, its faster
  // mode for them on this machine.
  { subject: R_SQPOLL, subjectText: 'UringIo with sqpoll', reference: R_FIO_SQPOLL, referenceText: 'fio --sqthread_poll=1', minRatio: 1.0, workloads: ['read', 'write', 'append'] },
  { subject: R_SQPOLL, subjectText: 'synced appends on UringIo sqpoll', reference: R_FIO, referenceText: 'fio io_uring (no SQPOLL)', minRatio: 1.0, workloads: ['append'] },
  // Not a goal: a diagnosis of the append gap. The same ring, link and wake-up driven from C
  // instead of Node; what UringIo misses here is the runtime's, not the ring's.
  { subject: R_LINKED, subjectText: 'synced appends (writeDurable), diagnostic', reference: R_C_RING, referenceText: 'C on the same ring and wake-up', minRatio: 1.0, workloads: ['append'] },
  // Not a goal either: the same diagnosis at depth, where the device sets the pace. fio waits inside
  // io_uring_enter, UringIo in the event loop's epoll; the C program waits as UringIo does.
  { subject: R_URING, subjectText: 'UringIo on O_DIRECT, diagnostic', reference: R_C_RING, referenceText: 'C on the same ring and wake-up', minRatio: 1.0, workloads: ['read-direct', 'write-direct'], ceiling: R_FIO },
  // The batch API: one promise per QD operations, against fio issuing the same lockstep
  // batches at the same depth (not fio's continuous queue: see R_FIO_BATCH).
  { subject: R_BATCH, subjectText: 'UringIo readBatch/writeBatch (batches of QD)', reference: R_FIO_BATCH, referenceText: 'fio io_uring in batches of QD', minRatio: 1.0, workloads: RANDOM_WORKLOADS },
  // Not the default buffers: cached reads into allocAligned memory, which the ring fills in place as
  // fio fills its own buffers (an ordinary buffer costs a second copy, out of the bounce memory).
  { subject: R_ALIGNED, subjectText: 'UringIo into allocAligned buffers (no bounce copy, as fio)', reference: R_FIO, referenceText: 'fio io_uring', minRatio: 1.0, workloads: ['read'] },
  { subject: R_BATCH_ALIGNED, subjectText: 'UringIo readBatch into allocAligned buffers', reference: R_FIO_BATCH, referenceText: 'fio io_uring in batches of QD', minRatio: 1.0, workloads: ['read'] },
  // Not the default: the opt-in wait in io_uring_enter, on the rows where the device or io-wq sets
  // the pace (a cached read is answered at the call and never waits).
  { subject: R_WAIT_IN_RING, subjectText: 'UringIo with waitInRing (opt-in)', reference: R_FIO, referenceText: 'fio io_uring', minRatio: 1.0, workloads: ['read-direct', 'write', 'write-direct', 'append'] },
  { subject: R_WAIT_IN_RING, subjectText: 'UringIo with waitInRing (opt-in)', reference: R_UV, referenceText: 'UV_USE_IO_URING=1', minRatio: 1.0, workloads: ['read-direct', 'write', 'write-direct', 'append'] },
  // Not the default: the opt-in synchronous page-cache writes, against the references on
  // cached writes, and against fio's synchronous engine on one thread, their like-for-like.
  // On synced appends the mode's writeDurable: the write at the call, the fsync alone in the ring.
  { subject: R_INLINE_WRITES, subjectText: 'UringIo with inlineWrites (opt-in)', reference: R_FIO, referenceText: 'fio io_uring', minRatio: 1.0, workloads: ['write', 'append'] },
  { subject: R_INLINE_WRITES, subjectText: 'UringIo with inlineWrites (opt-in)', reference: R_UV, referenceText: 'UV_USE_IO_URING=1', minRatio: 1.0, workloads: ['write', 'append'] },
  { subject: R_INLINE_WRITES, subjectText: 'UringIo with inlineWrites (opt-in)', reference: R_PROMISES, referenceText: 'fs.promises', minRatio: 3.0, workloads: ['write'] },
  { subject: R_INLINE_WRITES, subjectText: 'UringIo with inlineWrites (opt-in)', reference: R_FIO_PSYNC, referenceText: 'fio psync on one thread', minRatio: 1.0, workloads: ['write'] },
  // The same opt-in mode with writes arriving together sent to the ring (also opt-in).
  { subject: R_INLINE_COALESCED, subjectText: 'UringIo with inlineWrites and coalesceWrites (opt-in)', reference: R_FIO, referenceText: 'fio io_uring', minRatio: 1.0, workloads: ['write'] },
  { subject: R_INLINE_COALESCED, subjectText: 'UringIo with inlineWrites and coalesceWrites (opt-in)', reference: R_UV, referenceText: 'UV_USE_IO_URING=1', minRatio: 1.0, workloads: ['write'] },
  // The Storage goal on the opt-in mode: Storage over the raw call it stands on.
  { subject: R_STORAGE_INLINE_WRITES, subjectText: 'Storage on UringIo with inlineWrites', reference: R_INLINE_WRITES, referenceText: 'UringIo with inlineWrites', minRatio: 0.9, workloads: ['write', 'append'] },
  // Not a goal: what the mode buys a vectored blob.writeAt (a writev) against Storage on the default
  // ring (one buffer; io-wq sets that ring's pace whether one buffer or two).
  { subject: R_STORAGE_INLINE_VECTORED, subjectText: 'Storage vectored writeAt (2 buffers) with inlineWrites', reference: R_STORAGE, referenceText: 'Storage on the default ring', minRatio: 1.0, workloads: ['write'] },
];

/** A ratio of ops/s, or the runner whose figure is missing on that row. */
export type Ratio = { readonly value: number } | { readonly missingRunner: string };

export interface GoalCheck {
  readonly workload: Workload;
  readonly depth: number;
  readonly ratio: Ratio;
  /** False when the ratio is short of the goal or could not be taken. */
  readonly met: boolean;
  /** For a goal with a ceiling: the ceiling runner's ratio to the same reference on this row. */
  readonly ceiling?: Ratio;
  /**
   * For a goal against fio that the row misses, where the control ran: the {@link controlFloor} of
   * the row's workload, and whether the ratio is at or above it (not told apart from fio's own).
   */
  readonly control?: { readonly floor: number; readonly withinSpread: boolean };
}

export interface GoalResult { readonly goal: Goal; readonly checks: readonly GoalCheck[] }

function ratioOf(rows: readonly Row[], at: Point, numerator: string, denominator: string): Ratio {
  const top = figuresOf(rows, at, numerator);
  const bottom = figuresOf(rows, at, denominator);
  if (top === undefined) return { missingRunner: numerator };
  if (bottom === undefined) return { missingRunner: denominator };
  return { value: top.opsPerSecond / bottom.opsPerSecond };
}

/**
 * The control's verdict on a workload: over its rows, the farthest the second fio landed from the
 * first, as the lower of the ratio and its inverse (either run may be the faster). A ratio of
 * medians between one tool and fio at or above it is within what this run measured between fio
 * and itself on that workload. Rows of a workload share a device regime (page cache, virtio
 * device, io-wq), so they are pooled: one row's single control ratio is too few to bound it.
 * Undefined where the control did not run on the workload.
 */
export function controlFloor(rows: readonly Row[], workload: Workload): number | undefined {
  let floor: number | undefined;
  for (const at of pointsOf(rows)) {
    if (at.workload !== workload) continue;
    const ratio = ratioOf(rows, at, R_FIO_AGAIN, R_FIO);
    if (!('value' in ratio)) continue;
    const low = Math.min(ratio.value, 1 / ratio.value);
    floor = floor === undefined ? low : Math.min(floor, low);
  }
  return floor;
}

function checkGoal(rows: readonly Row[], goal: Goal, at: Point): GoalCheck {
  const reference = goal.reference ?? headlineRunner(at.workload);
  const ratio = ratioOf(rows, at, goal.subject ?? headlineRunner(at.workload), reference);
  const met = 'value' in ratio && ratio.value >= goal.minRatio;
  let check: GoalCheck = { workload: at.workload, depth: at.depth, ratio, met };
  if (met) return check;
  const floor = reference === R_FIO && goal.minRatio === 1 ? controlFloor(rows, at.workload) : undefined;
  if (floor !== undefined && 'value' in ratio) check = { ...check, control: { floor, withinSpread: ratio.value >= floor } };
  if (goal.ceiling === undefined) return check;
  return { ...check, ceiling: ratioOf(rows, at, goal.ceiling, reference) };
}

/** Every goal checked on every measured row it covers. */
export function evaluateGoals(rows: readonly Row[]): GoalResult[] {
  const points = pointsOf(rows);
  return GOALS.map((goal) => ({
    goal,
    checks: points.filter((at) => goal.workloads.includes(at.workload)).map((at) => checkGoal(rows, goal, at)),
  }));
}

function runnerName(runner: string): string {
  return SHORT_RUNNERS[runner] ?? runner;
}

/** "0.95×"; three decimals where two would round across the threshold (0.996 must not read "1.00×" under "not met"). */
function ratioText(value: number, threshold: number): string {
  const rounded = value.toFixed(2);
  return (Number(rounded) >= threshold) === (value >= threshold) ? `${rounded}×` : `${value.toFixed(3)}×`;
}

/** Whether the ceiling runner itself reaches the goal on a row that misses it: "fio itself 1.60×, short of it too". */
function ceilingText(goal: Goal, ceiling: Ratio | undefined): string {
  if (goal.ceiling === undefined || ceiling === undefined) return '';
  if (!('value' in ceiling)) return `; ${runnerName(ceiling.missingRunner)} not run`;
  const reach = ceiling.value >= goal.minRatio ? 'reaches it' : 'short of it too';
  return `; ${runnerName(goal.ceiling)} itself ${ratioText(ceiling.value, goal.minRatio)}, ${reach}`;
}

function checkText(check: GoalCheck, goal: Goal): string {
  const where = check.workload === 'append' ? SHORT_TITLES.append : `${SHORT_TITLES[check.workload]} QD ${check.depth}`;
  if (!('value' in check.ratio)) return `${where} (n/a, ${runnerName(check.ratio.missingRunner)} not run)`;
  const control = check.control === undefined ? '' : check.control.withinSpread ? '; within fio ÷ fio' : '; past fio ÷ fio';
  return `${where} (${ratioText(check.ratio.value, goal.minRatio)}${ceilingText(goal, check.ceiling)}${control})`;
}

/** The "not met" cell: one "n/a (fio not run)" when a missing runner leaves no row to judge. */
function notMetCell(result: GoalResult): string {
  if (result.checks.length === 0) return 'n/a (not measured)';
  const missing = new Set(result.checks.map((c) => ('value' in c.ratio ? undefined : c.ratio.missingRunner)));
  const [onlyMissing] = missing;
  if (missing.size === 1 && onlyMissing !== undefined) return `n/a (${runnerName(onlyMissing)} not run)`;
  const short = result.checks.filter((c) => !c.met);
  return short.length === 0 ? '—' : short.map((c) => checkText(c, result.goal)).join(', ');
}

/**
 * The control's line under the Goals table: per workload, the {@link controlFloor} that "within fio
 * ÷ fio" and "past fio ÷ fio" in the table refer to; undefined where the control did not run.
 */
export function controlLine(rows: readonly Row[]): string | undefined {
  const floors = WORKLOADS.flatMap((workload) => {
    const floor = controlFloor(rows, workload);
    return floor === undefined ? [] : [`${SHORT_TITLES[workload]} ${floor.toFixed(2)}×`];
  });
  if (floors.length === 0) return undefined;
  return `Control: fio's command run twice, as two runners of the rotation (\`${R_FIO_AGAIN}\`). The farthest the two ` +
    `landed apart, per workload (the lower of fio again ÷ fio and its inverse, over the depths): ${floors.join(', ')}. ` +
    'A miss against fio marked "within fio ÷ fio" is no farther from fio than fio was from itself in this run: the run does not ' +
    'tell it apart from 1.0. "Past fio ÷ fio" is a miss the run resolves.';
}

/** The Goals table in Markdown: per goal, the rows that meet it and those that do not, with their figures. */
export function goalsTableLines(results: readonly GoalResult[]): string[] {
  const lines = ['| goal | met | not met |', '|---|---|---|'];
  for (const result of results) {
    const { goal } = result;
    const met = result.checks.filter((c) => c.met);
    const metCell = met.length === 0 ? '—' : met.map((c) => checkText(c, goal)).join(', ');
    lines.push(`| ${goal.subjectText} ≥ ${goal.minRatio.toFixed(1)}× ${goal.referenceText} | ${metCell} | ${notMetCell(result)} |`);
  }
  return lines;
}
