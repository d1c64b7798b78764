/**
 * The operations of the differential test, as plain data (so fast-check can shrink them and a
 * failure prints as code), and their generators.
 *
 * File descriptors are named by slot: slot k is the k-th successful `open` of the sequence. Each
 * side maps slots to its own fd numbers; a slot that was never filled or was closed becomes a
 * number no side has open (fd numbers are reused differently by each backend, which the contract
 * leaves unspecified, so reuse is not compared).
 */
import fc from 'fast-check';
import { FILE_SIZE_MAX_BYTES, OFFSET_MAX_BYTES } from '../../src/interfaces/limits.js';

export interface OpenFlagsSpec {
  readonly read?: boolean;
  readonly write?: boolean;
  readonly create?: boolean;
  readonly exclusive?: boolean;
  readonly truncate?: boolean;
  readonly directory?: boolean;
}

export type Op =
  | { readonly op: 'open'; readonly path: string; readonly flags: OpenFlagsSpec }
  | { readonly op: 'close'; readonly slot: number }
  | { readonly op: 'read'; readonly slot: number; readonly lengthBytes: number; readonly offsetBytes: number }
  | { readonly op: 'readv'; readonly slot: number; readonly lengthsBytes: readonly number[]; readonly offsetBytes: number }
  | { readonly op: 'write'; readonly slot: number; readonly lengthBytes: number; readonly offsetBytes: number; readonly fill: number }
  | { readonly op: 'writev'; readonly slot: number; readonly lengthsBytes: readonly number[]; readonly offsetBytes: number; readonly fill: number }
  | { readonly op: 'truncate'; readonly slot: number; readonly lengthBytes: number }
  | { readonly op: 'allocate'; readonly slot: number; readonly offsetBytes: number; readonly lengthBytes: number }
  | { readonly op: 'fsync'; readonly slot: number; readonly dataOnly: boolean }
  | { readonly op: 'fstat'; readonly slot: number }
  | { readonly op: 'stat'; readonly path: string }
  | { readonly op: 'rename'; readonly from: string; readonly to: string }
  | { readonly op: 'unlink' | 'mkdir' | 'rmdir' | 'readdir'; readonly path: string };

/** One generated case: the sequence, and whether it uses offsets far past memory-backed limits. */
export interface Sequence {
  readonly big: boolean;
  readonly ops: readonly Op[];
}

/**
 * Run before every sequence (and not shrunk): a small tree with files, nested directories and
 * open fds, so most generated calls reach real entries. Slots after it: 0 `a` (read-write), 1
 * `d1/a` (write-only), 2 `d2` (a directory fd), 3 closed (`b`), 4 never opened.
 */
export const SETUP: readonly Op[] = [
  { op: 'mkdir', path: 'd1' },
  { op: 'mkdir', path: 'd2' },
  { op: 'mkdir', path: 'd1/d2' },
  { op: 'open', path: 'a', flags: { read: true, write: true, create: true } },
  { op: 'write', slot: 0, lengthBytes: 300, offsetBytes: 0, fill: 1 },
  { op: 'open', path: 'd1/a', flags: { write: true, create: true } },
  { op: 'write', slot: 1, lengthBytes: 85, offsetBytes: 10, fill: 2 },
  { op: 'open', path: 'd2', flags: { directory: true } },
  { op: 'open', path: 'b', flags: { write: true, create: true } },
  { op: 'close', slot: 3 },
];

/** An fd number no backend and no kernel has open. */
export const FD_NOT_OPEN = 1_000_000;

/** Bytes written by `write`/`writev`: a pattern from `fill`, so data mix-ups show. */
export function fillBytes(lengthBytes: number, fill: number): Uint8Array {
  const out = new Uint8Array(lengthBytes);
  for (let i = 0; i < lengthBytes; i++) out[i] = (fill * 37 + i * 13 + 1) & 0xff;
  return out;
}

const COMMON_NAMES = ['a', 'b', 'd1', 'd2', 'x'];
const EXOTIC_NAMES = ['c:x', 'C:', '\\a', '\ud800', '\udc00', '\ufffd', 'é', 'n'.repeat(255), 'n'.repeat(256), 'é'.repeat(128)];
/** How a path may end: plain mostly, then the marks Linux gives meaning to. */
const SUFFIXES = ['', '', '', '', '', '/', '/.', '/./', '//'];
const SEPARATORS = ['/', '/', '/', '/', '//', '/./'];
/** Paths every backend refuses before the kernel could answer (library rules), or the root. */
const SPECIAL_PATHS = ['.', './', '..', 'a/../b', '/abs', '', 'a/..', './a'];

const componentArb = fc.oneof(
  { weight: 10, arbitrary: fc.constantFrom(...COMMON_NAMES) },
  { weight: 2, arbitrary: fc.constantFrom(...EXOTIC_NAMES) },
);

const plainPathArb = fc
  .tuple(fc.array(fc.tuple(componentArb, fc.constantFrom(...SEPARATORS)), { minLength: 1, maxLength: 3 }), fc.constantFrom(...SUFFIXES))
  .map(([parts, suffix]) => parts.map(([name, separator], i) => (i === 0 ? name : separator + name)).join('') + suffix);

/** The SETUP tree's entries with the marks Linux gives meaning to, and files used as parents. */
const POINTED_PATHS = [
  'a/', 'a/.', 'a/x', 'd1/', 'd1/.', 'd1/a/', 'd1/a/.', 'd1/d2/.', 'd2/', 'd2/.', 'x/', 'x/.', 'd1/x/', 'b/', 'b/.',
];

export const pathArb: fc.Arbitrary<string> = fc.oneof(
  { weight: 10, arbitrary: plainPathArb },
  { weight: 4, arbitrary: fc.constantFrom(...POINTED_PATHS) },
  { weight: 1, arbitrary: fc.constantFrom(...SPECIAL_PATHS) },
);

const SMALL_OFFSETS = [0, 0, 0, 1, 5, 100, 4095, 4096, 10_000];
const BIG_OFFSETS = [
  2 ** 31, 2 ** 32 + 3, FILE_SIZE_MAX_BYTES - 4097, FILE_SIZE_MAX_BYTES - 1, FILE_SIZE_MAX_BYTES,
  2 ** 44 - 1, OFFSET_MAX_BYTES, OFFSET_MAX_BYTES + 1,
];
const LENGTHS = [0, 1, 3, 85, 300];
const SMALL_SIZES = [0, 1, 50, 5000];
const BIG_SIZES = [2 ** 32, FILE_SIZE_MAX_BYTES, FILE_SIZE_MAX_BYTES + 1, OFFSET_MAX_BYTES, OFFSET_MAX_BYTES + 1];

const openFlagsArb: fc.Arbitrary<OpenFlagsSpec> = fc.oneof(
  {
    weight: 6,
    arbitrary: fc.constantFrom<OpenFlagsSpec>(
      {}, { read: true, write: true, create: true }, { write: true, create: true }, { write: true, create: true, exclusive: true },
      { read: true, write: true }, { write: true }, { directory: true }, { write: true, create: true, truncate: true },
    ),
  },
  {
    weight: 1,
    arbitrary: fc.record(
      { read: fc.boolean(), write: fc.boolean(), create: fc.boolean(), exclusive: fc.boolean(), truncate: fc.boolean(), directory: fc.boolean() },
      { requiredKeys: [] },
    ),
  },
);

function opArb(big: boolean): fc.Arbitrary<Op> {
  const offsetArb = big
    ? fc.oneof({ weight: 3, arbitrary: fc.constantFrom(...SMALL_OFFSETS) }, { weight: 2, arbitrary: fc.constantFrom(...BIG_OFFSETS) })
    : fc.constantFrom(...SMALL_OFFSETS);
  const sizeArb = big
    ? fc.oneof({ weight: 3, arbitrary: fc.constantFrom(...SMALL_SIZES) }, { weight: 1, arbitrary: fc.constantFrom(...BIG_SIZES) })
    : fc.constantFrom(...SMALL_SIZES);
  const slotArb = fc.integer({ min: 0, max: 4 });
  const lengthArb = fc.constantFrom(...LENGTHS);
  const lengthsArb = fc.array(lengthArb, { maxLength: 3 });
  const fillArb = fc.integer({ min: 0, max: 255 });
  return fc.oneof(
    { weight: 6, arbitrary: fc.record({ op: fc.constant('open' as const), path: pathArb, flags: openFlagsArb }) },
    { weight: 2, arbitrary: fc.record({ op: fc.constant('close' as const), slot: slotArb }) },
    { weight: 3, arbitrary: fc.record({ op: fc.constant('read' as const), slot: slotArb, lengthBytes: lengthArb, offsetBytes: offsetArb }) },
    { weight: 2, arbitrary: fc.record({ op: fc.constant('readv' as const), slot: slotArb, lengthsBytes: lengthsArb, offsetBytes: offsetArb }) },
    { weight: 4, arbitrary: fc.record({ op: fc.constant('write' as const), slot: slotArb, lengthBytes: lengthArb, offsetBytes: offsetArb, fill: fillArb }) },
    { weight: 2, arbitrary: fc.record({ op: fc.constant('writev' as const), slot: slotArb, lengthsBytes: lengthsArb, offsetBytes: offsetArb, fill: fillArb }) },
    { weight: 2, arbitrary: fc.record({ op: fc.constant('truncate' as const), slot: slotArb, lengthBytes: sizeArb }) },
    { weight: 1, arbitrary: fc.record({ op: fc.constant('allocate' as const), slot: slotArb, offsetBytes: offsetArb, lengthBytes: fc.constantFrom(0, 1, 4096) }) },
    { weight: 1, arbitrary: fc.record({ op: fc.constant('fsync' as const), slot: slotArb, dataOnly: fc.boolean() }) },
    { weight: 1, arbitrary: fc.record({ op: fc.constant('fstat' as const), slot: slotArb }) },
    { weight: 3, arbitrary: fc.record({ op: fc.constant('stat' as const), path: pathArb }) },
    { weight: 3, arbitrary: fc.record({ op: fc.constant('rename' as const), from: pathArb, to: pathArb }) },
    { weight: 3, arbitrary: fc.record({ op: fc.constantFrom('unlink' as const, 'mkdir' as const, 'rmdir' as const, 'readdir' as const), path: pathArb }) },
  );
}

/** Sequences of up to `opsMax` operations; one in four uses big offsets. */
export function sequenceArb(opsMax: number): fc.Arbitrary<Sequence> {
  return fc
    .boolean()
    .chain((big) => fc.record({ big: fc.constant(big), ops: fc.array(opArb(big), { minLength: 1, maxLength: opsMax }) }));
}

/** An operation as the Io call it stands for (for the printed minimal sequence). */
export function renderOp(op: Op): string {
  // Long runs of one character print as `.repeat(n)`, so a 256-byte name stays readable.
  const q = (s: string): string => JSON.stringify(s).replace(/(.)\1{15,}/g, (run, c: string) => `" + ${JSON.stringify(c)}.repeat(${run.length}) + "`).replace(/^"" \+ | \+ ""$/g, '');
  switch (op.op) {
    case 'open': return `open(${q(op.path)}, ${JSON.stringify(op.flags)})  // -> slot`;
    case 'close': return `close(slot ${op.slot})`;
    case 'read': return `read(slot ${op.slot}, ${op.lengthBytes} bytes, at ${op.offsetBytes})`;
    case 'readv': return `readv(slot ${op.slot}, [${op.lengthsBytes.join(', ')}] bytes, at ${op.offsetBytes})`;
    case 'write': return `write(slot ${op.slot}, ${op.lengthBytes} bytes (fill ${op.fill}), at ${op.offsetBytes})`;
    case 'writev': return `writev(slot ${op.slot}, [${op.lengthsBytes.join(', ')}] bytes (fill ${op.fill}), at ${op.offsetBytes})`;
    case 'truncate': return `truncate(slot ${op.slot}, ${op.lengthBytes})`;
    case 'allocate': return `allocate(slot ${op.slot}, ${op.offsetBytes}, ${op.lengthBytes})`;
    case 'fsync': return `fsync(slot ${op.slot}, { dataOnly: ${op.dataOnly} })`;
    case 'fstat': return `stat(slot ${op.slot})`;
    case 'stat': return `stat(${q(op.path)})`;
    case 'rename': return `rename(${q(op.from)}, ${q(op.to)})`;
    default: return `${op.op}(${q(op.path)})`;
  }
}
