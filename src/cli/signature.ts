/**
 * A failure's signature: what makes two failing seeds "the same bug" when `faultline merge`
 * groups them. The error code, the message with its numbers and hex strings masked (a key, an
 * offset or a seed differ from seed to seed; the sentence does not), and the workload's top stack
 * frames without columns or directories (frames of Node and of faultline's own runner and
 * simulator are skipped: they are the same for every failure).
 */
import { fileURLToPath } from 'node:url';
import type { SeedError } from './run-seed.js';

/** Stack frames kept in a signature. */
export const SIGNATURE_FRAMES = 3;
/** Longest message kept in a signature, in characters. */
export const SIGNATURE_MESSAGE_CHARS_MAX = 200;

/** The message with what varies between seeds masked: hex strings as `#`, numbers as `N`. */
export function normaliseMessage(message: string): string {
  return message
    .slice(0, SIGNATURE_MESSAGE_CHARS_MAX)
    .replace(/\b0x[0-9a-f]+\b|\b[0-9a-f]{8,}\b/gi, '#')
    .replace(/[0-9]+(\.[0-9]+)?/g, 'N');
}

/** faultline's own `src/` (compiled or not): the runner, the simulator, Storage. */
const OWN_SRC = fileURLToPath(new URL('..', import.meta.url));

/** Frames of faultline's own code, of Node's internals and of dependencies. */
function isRunnerFrame(location: string): boolean {
  if (location.startsWith('node:') || /[\\/]node_modules[\\/]/.test(location)) return true;
  const path = location.startsWith('file:') ? fileURLToPath(location) : location;
  return path.startsWith(OWN_SRC);
}

/** The top frames of `stack` that belong to the workload (or the code it tests), as `fn (file:line)`. */
export function topFrames(stack: string | undefined, count = SIGNATURE_FRAMES): string[] {
  if (stack === undefined) return [];
  const frames: string[] = [];
  for (const line of stack.split('\n')) {
    if (frames.length >= count) break;
    const match = /^\s*at (?:(.*?) \()?(.*?)(?::(\d+))?(?::\d+)?\)?$/.exec(line);
    if (match === null) continue;
    const location = match[2] ?? '';
    if (location === '' || isRunnerFrame(location)) continue;
    const file = location.split(/[\\/]/).pop() ?? location;
    frames.push(`${match[1] ?? '<anonymous>'} (${file}${match[3] === undefined ? '' : `:${match[3]}`})`);
  }
  return frames;
}

/** The signature of a failing seed's error. */
export function failureSignature(error: SeedError | undefined): string {
  if (error === undefined) return 'unknown';
  const frames = topFrames(error.stack);
  return `${error.code}: ${normaliseMessage(error.message)}${frames.length > 0 ? ` @ ${frames.join(' < ')}` : ''}`;
}
