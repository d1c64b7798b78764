/**
 * The simulation trace: every operation with its result, every injected fault with its kind,
 * every crash, restart and kernel writeback.
 *
 * Cheap by construction: a record is a handful of numbers stored into preallocated typed arrays
 * (a ring holding the last `capacity` records) plus at most two string references (a path, an
 * error code) that are never built on the hot path. Text is made only when asked for
 * (`format`, `events`). A running 64-bit mix of every record, including those the ring has
 * dropped, feeds `sim.hash()`, so the hash covers the whole run at no per-event hashing cost.
 */

export const TRACE_TYPES = ['op', 'fault', 'crash', 'restart', 'writeback', 'note'] as const;
export type TraceType = (typeof TRACE_TYPES)[number];

/** One trace record, decoded. */
export interface TraceEvent {
  /** Position in the whole run (0-based), including records the ring no longer holds. */
  readonly index: number;
  readonly timeMs: number;
  readonly type: TraceType;
  readonly node: string;
  /** For `op`: the operation; for `fault`: the fault kind; otherwise a short label. */
  readonly what: string;
  readonly fd: number;
  readonly offsetBytes: number;
  readonly lengthBytes: number;
  /** For `op`: bytes transferred (read/write) or the fd (open); -1 when not applicable. */
  readonly result: number;
  readonly path?: string;
  /** For `op`: the error code when it failed; for `fault`: extra detail. */
  readonly detail?: string;
}

const scratch = new Float64Array(1);
const scratchWords = new Uint32Array(scratch.buffer);

function mix32(h: number, x: number): number {
  h ^= x;
  h = Math.imul(h, 0x85eb_ca6b);
  h ^= h >>> 13;
  h = Math.imul(h, 0xc2b2_ae35);
  h ^= h >>> 16;
  return h;
}

export class Trace {
  readonly capacity: number;
  private count = 0;
  /** `count % capacity`: where the next record goes. */
  private ringIndex = 0;
  private readonly times: Float64Array;
  private readonly types: Uint8Array;
  private readonly nodes: Uint16Array;
  private readonly whats: Uint16Array;
  private readonly fds: Float64Array;
  private readonly offsets: Float64Array;
  private readonly lengths: Float64Array;
  private readonly results: Float64Array;
  private readonly paths: (string | undefined)[];
  private readonly details: (string | undefined)[];
  private hashA = 0x243f_6a88;
  private hashB = 0x85a3_08d3;
  /** Names of operations and fault kinds, indexed by the `what` field. */
  private readonly whatNames: string[] = [];
  private readonly whatIndex = new Map<string, number>();
  private readonly nodeNames: string[];

  constructor(capacity: number, nodeNames: string[]) {
    this.capacity = Math.max(1, Math.floor(capacity));
    this.nodeNames = nodeNames;
    this.times = new Float64Array(this.capacity);
    this.types = new Uint8Array(this.capacity);
    this.nodes = new Uint16Array(this.capacity);
    this.whats = new Uint16Array(this.capacity);
    this.fds = new Float64Array(this.capacity);
    this.offsets = new Float64Array(this.capacity);
    this.lengths = new Float64Array(this.capacity);
    this.results = new Float64Array(this.capacity);
    this.paths = new Array<string | undefined>(this.capacity);
    this.details = new Array<string | undefined>(this.capacity);
  }

  /** The numeric code of a label (operation, fault kind); interned once. */
  code(what: string): number {
    let code = this.whatIndex.get(what);
    if (code === undefined) {
      code = this.whatNames.length;
      this.whatNames.push(what);
      this.whatIndex.set(what, code);
    }
    return code;
  }

  /** Records that happened in the whole run. */
  get length(): number { return this.count; }

  /** The 64-bit running digest of every record, as 16 hex digits. */
  digest(): string {
    return (this.hashA >>> 0).toString(16).padStart(8, '0') + (this.hashB >>> 0).toString(16).padStart(8, '0');
  }

  record(
    type: number, node: number, what: number, timeMs: number,
    fd: number, offsetBytes: number, lengthBytes: number, result: number,
    path?: string, detail?: string, hashPath = true,
  ): void {
    // The ring position is kept apart from the count (a float modulo per record showed in profiles).
    const i = this.ringIndex;
    this.ringIndex = i + 1 === this.capacity ? 0 : i + 1;
    this.count++;
    this.times[i] = timeMs;
    this.types[i] = type;
    this.nodes[i] = node;
    this.whats[i] = what;
    this.fds[i] = fd;
    this.offsets[i] = offsetBytes;
    this.lengths[i] = lengthBytes;
    this.results[i] = result;
    this.paths[i] = path;
    this.details[i] = detail;
    let a = this.hashA;
    let b = this.hashB;
    scratch[0] = timeMs;
    a = mix32(a, scratchWords[0] as number);
    b = mix32(b, scratchWords[1] as number);
    a = mix32(a, (type << 24) ^ (node << 8) ^ what);
    b = mix32(b, fd | 0);
    scratch[0] = offsetBytes;
    a = mix32(a, scratchWords[0] as number);
    b = mix32(b, scratchWords[1] as number);
    a = mix32(a, lengthBytes | 0);
    b = mix32(b, result | 0);
    // fd operations pass hashPath=false: their path follows from the fd, already mixed in.
    if (path !== undefined && hashPath) a = this.mixString(a, path);
    if (detail !== undefined) b = this.mixString(b, detail);
    this.hashA = a;
    this.hashB = b;
  }

  private mixString(h: number, s: string): number {
    h = mix32(h, s.length);
    for (let i = 0; i < s.length; i++) h = mix32(h, s.charCodeAt(i));
    return h;
  }

  /** The last `lastN` records still held (all held records by default), oldest first. */
  events(lastN: number = this.capacity): TraceEvent[] {
    const held = Math.min(this.count, this.capacity);
    const n = Math.max(0, Math.min(held, Math.floor(lastN)));
    const out: TraceEvent[] = [];
    for (let index = this.count - n; index < this.count; index++) {
      const i = index % this.capacity;
      const path = this.paths[i];
      const detail = this.details[i];
      const event: TraceEvent = {
        index,
        timeMs: this.times[i] as number,
        type: TRACE_TYPES[this.types[i] as number] ?? 'note',
        node: this.nodeNames[this.nodes[i] as number] ?? '?',
        what: this.whatNames[this.whats[i] as number] ?? '?',
        fd: this.fds[i] as number,
        offsetBytes: this.offsets[i] as number,
        lengthBytes: this.lengths[i] as number,
        result: this.results[i] as number,
        ...(path === undefined ? {} : { path }),
        ...(detail === undefined ? {} : { detail }),
      };
      out.push(event);
    }
    return out;
  }

  /** Held records of one type (e.g. every injected fault), oldest first. */
  filter(type: TraceType): TraceEvent[] {
    return this.events().filter((e) => e.type === type);
  }

  /** The last `lastN` records as text, one per line. */
  format(lastN: number = 50): string {
    return this.events(lastN).map(formatEvent).join('\n');
  }
}

/** One record as a line of text. */
export function formatEvent(e: TraceEvent): string {
  const head = `#${e.index} t=${e.timeMs.toFixed(3)}ms ${e.node} ${e.type} ${e.what}`;
  const parts: string[] = [head];
  if (e.path !== undefined) parts.push(`path=${e.path}`);
  if (e.fd >= 0) parts.push(`fd=${e.fd}`);
  if (e.offsetBytes >= 0) parts.push(`off=${e.offsetBytes}`);
  if (e.lengthBytes >= 0) parts.push(`len=${e.lengthBytes}`);
  if (e.result >= 0) parts.push(`-> ${e.result}`);
  if (e.detail !== undefined) parts.push(e.type === 'op' ? `!${e.detail}` : `(${e.detail})`);
  return parts.join(' ');
}
