/**
 * Errors that name the public call: an error from the Io underneath a Storage call (`mkdir: the Io
 * was shut down`, `readdir: no such file or directory`) is re-raised as
 * `storage.open('wal', 'segment-0'): the Io was shut down (io.mkdir 'wal')`, with the same code
 * and the same `details` (the original stays as `cause`).
 */
import { StorageError } from '../interfaces/errors.js';
import { intrinsicBuffer, intrinsicByteLength, intrinsicByteOffset, isUint8Array } from '../interfaces/validate.js';

const SHOWN_CHARS_MAX = 64;

function showArgument(value: unknown): string {
  try {
    if (typeof value === 'string') {
      const text = value.length > SHOWN_CHARS_MAX ? `${value.slice(0, SHOWN_CHARS_MAX)}…` : value;
      return `'${text}'`;
    }
    // The engine's tag and getters: the call is described before its arguments are checked, and
    // describing must not run a subclass's getters (one could change the name being opened).
    if (isUint8Array(value)) {
      const lengthBytes = intrinsicByteLength(value);
      const hex = Buffer.from(intrinsicBuffer(value), intrinsicByteOffset(value), Math.min(lengthBytes, SHOWN_CHARS_MAX / 2)).toString('hex');
      return `0x${hex}${lengthBytes > SHOWN_CHARS_MAX / 2 ? '…' : ''}`;
    }
  } catch {
    // A hostile argument (detached, Proxy): the call is still named, the argument is not shown.
  }
  return '…';
}

/** `storage.open('wal', 'segment-0')`: the call as the user wrote it (arguments shortened). */
export function describeCall(operation: string, ...args: readonly unknown[]): string {
  return `${operation}(${args.map(showArgument).join(', ')})`;
}

/** `err` re-raised under `call` when it is a StorageError that does not name `operation` yet. */
export function inCall(err: unknown, operation: string, call: string): unknown {
  if (!(err instanceof StorageError) || err.message.startsWith(operation)) return err;
  const ioOperation = typeof err.details.operation === 'string' ? err.details.operation : undefined;
  const path = typeof err.details.path === 'string' ? err.details.path : undefined;
  const prefix = ioOperation === undefined ? '' : `${ioOperation}: `;
  const reason = prefix !== '' && err.message.startsWith(prefix) ? err.message.slice(prefix.length) : err.message;
  const where = ioOperation === undefined ? '' : ` (io.${ioOperation}${path === undefined ? '' : ` '${path}'`})`;
  return new StorageError(err.code, `${call}: ${reason}${where}`, err.details, { cause: err });
}
