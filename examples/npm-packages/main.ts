/**
 * `node dist/examples/npm-packages/main.js [profile]`: runs write-file-atomic, steno and the
 * correct atomic writer unmodified on a simulated node, cuts the power after each write resolved,
 * and prints what every crash state holds.
 */
import { createRequire } from 'node:module';
import { Writer } from 'steno';
import type { SimProfile } from '../../src/backends/sim/index.js';
import { writeFileAtomicDurable } from './atomic-write.js';
import { crashCheck, type CrashReport } from './crash-check.js';

const require = createRequire(import.meta.url);
const writeFileAtomic = require('write-file-atomic') as (path: string, data: string) => Promise<void>;

export const WRITERS: ReadonlyArray<[string, (path: string, text: string) => Promise<void>]> = [
  ['write-file-atomic', (path, text) => writeFileAtomic(path, text)],
  ['steno', (path, text) => new Writer(path).write(text)],
  ['writeFileAtomicDurable (examples/npm-packages/atomic-write.ts)', writeFileAtomicDurable],
];

export function formatReport(r: CrashReport): string {
  const o = r.outcomes;
  return `${r.writer} on ${r.profile}: ${r.states} crash states${r.complete ? ' (all)' : ' (sampled)'}: ` +
    `new ${o.new}, old ${o.old}, missing ${o.missing}, other ${o.other}${o.other > 0 ? ` (sizes ${r.otherSizesBytes.join(', ')} bytes)` : ''} -> durable ${r.durable ? 'yes' : 'NO'}, atomic ${r.atomic ? 'yes' : 'NO'}`;
}

if (import.meta.url === `file://${process.argv[1]}`) {
  const profiles = (process.argv.length > 2 ? process.argv.slice(2) : ['posix', 'ext4-ordered']) as SimProfile[];
  for (const profile of profiles) {
    for (const [name, write] of WRITERS) console.log(formatReport(await crashCheck(name, write, profile)));
  }
}
