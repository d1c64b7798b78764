/**
 * Seeded randomness for everything in an intercepting run: `Math.random()`, `crypto.randomBytes`,
 * `crypto.randomFillSync`/`randomFill`, `crypto.randomInt`, `crypto.randomUUID` and
 * `crypto.getRandomValues` (on `node:crypto` and on the global Web Crypto object) draw from one
 * stream derived from the seed, separate from every fault and crash stream: a workload drawing
 * more random numbers never shifts a fault decision.
 *
 * Written by hand: these are a few lines over the simulator's own generator, and no package
 * replaces Node's crypto sources with a seeded one.
 *
 * Everything replaced is put back exactly (same property descriptors) by `uninstall`.
 */
import { createRequire, syncBuiltinESMExports } from 'node:module';
import { Prng } from '../backends/sim/prng.js';

const require = createRequire(import.meta.url);
const cryptoModule = require('node:crypto') as Record<string, unknown>;

type Saved = Array<{ holder: object; key: string; descriptor: PropertyDescriptor | undefined }>;

/** Largest request `randomBytes`/`getRandomValues` accept, as on Node (Web Crypto's quota). */
const GET_RANDOM_VALUES_MAX_BYTES = 65_536;

function quotaError(length: number): Error {
  const err = new Error(`The ArrayBufferView's byte length (${length}) exceeds the number of bytes of entropy available via this API (65536)`);
  err.name = 'QuotaExceededError';
  return err;
}

function typeError(code: string, message: string): TypeError {
  const err = new TypeError(message) as TypeError & { code: string };
  err.code = code;
  return err;
}

function rangeError(code: string, message: string): RangeError {
  const err = new RangeError(message) as RangeError & { code: string };
  err.code = code;
  return err;
}

/** The seeded replacements of one run. */
export class SimRandom {
  private readonly saved: Saved = [];

  private constructor(private readonly prng: Prng) {
    const fill = (bytes: Uint8Array): void => {
      let i = 0;
      for (; i + 4 <= bytes.length; i += 4) {
        const x = this.prng.nextU32();
        bytes[i] = x & 0xff;
        bytes[i + 1] = (x >>> 8) & 0xff;
        bytes[i + 2] = (x >>> 16) & 0xff;
        bytes[i + 3] = x >>> 24;
      }
      if (i < bytes.length) {
        let x = this.prng.nextU32();
        for (; i < bytes.length; i++, x >>>= 8) bytes[i] = x & 0xff;
      }
    };
    const viewBytes = (view: ArrayBufferView): Uint8Array => new Uint8Array(view.buffer, view.byteOffset, view.byteLength);
    const randomBytes = (size: unknown, callback?: unknown): unknown => {
      if (typeof size !== 'number' || !Number.isInteger(size) || size < 0 || size > 2 ** 31 - 1) {
        throw typeError('ERR_INVALID_ARG_TYPE', 'The "size" argument must be of type number and an integer in range');
      }
      const out = Buffer.alloc(size);
      fill(out);
      if (typeof callback === 'function') {
        process.nextTick(callback as (e: null, b: Buffer) => void, null, out);
        return undefined;
      }
      return out;
    };
    const randomFillSync = <T extends ArrayBufferView | ArrayBuffer>(buffer: T, offset = 0, size?: number): T => {
      const bytes = buffer instanceof ArrayBuffer ? new Uint8Array(buffer) : viewBytes(buffer as ArrayBufferView);
      const end = size === undefined ? bytes.length : offset + size;
      if (offset < 0 || end > bytes.length || offset > end) throw rangeError('ERR_OUT_OF_RANGE', 'The value of "offset" or "size" is out of range');
      fill(bytes.subarray(offset, end));
      return buffer;
    };
    const randomFill = (buffer: ArrayBufferView | ArrayBuffer, ...rest: unknown[]): void => {
      const callback = rest.pop();
      if (typeof callback !== 'function') throw typeError('ERR_INVALID_ARG_TYPE', 'The "callback" argument must be of type function');
      randomFillSync(buffer, ...(rest as [number?, number?]));
      process.nextTick(callback as (e: null, b: unknown) => void, null, buffer);
    };
    const randomInt = (...args: unknown[]): unknown => {
      const callback = typeof args[args.length - 1] === 'function' ? args.pop() as (e: null, n: number) => void : undefined;
      const [min, max] = args.length >= 2 ? [args[0], args[1]] : [0, args[0]];
      if (!Number.isSafeInteger(min) || !Number.isSafeInteger(max)) {
        throw typeError('ERR_INVALID_ARG_TYPE', 'The "min" and "max" arguments must be safe integers');
      }
      const range = (max as number) - (min as number);
      if (range <= 0 || range > 2 ** 48) throw rangeError('ERR_OUT_OF_RANGE', 'The value of "max" is out of range. It must be greater than the value of "min" and the range at most 2^48');
      const value = (min as number) + this.prng.below(range);
      if (callback !== undefined) {
        process.nextTick(callback, null, value);
        return undefined;
      }
      return value;
    };
    const randomUUID = (): string => {
      const b = Buffer.alloc(16);
      fill(b);
      b[6] = ((b[6] as number) & 0x0f) | 0x40;
      b[8] = ((b[8] as number) & 0x3f) | 0x80;
      const h = b.toString('hex');
      return `${h.slice(0, 8)}-${h.slice(8, 12)}-${h.slice(12, 16)}-${h.slice(16, 20)}-${h.slice(20)}`;
    };
    const getRandomValues = <T extends ArrayBufferView | null>(array: T): T => {
      if (!ArrayBuffer.isView(array) || array instanceof Float32Array || array instanceof Float64Array || array instanceof DataView) {
        throw typeError('ERR_INVALID_ARG_TYPE', 'The "typedArray" argument must be an integer-type TypedArray');
      }
      if (array.byteLength > GET_RANDOM_VALUES_MAX_BYTES) throw quotaError(array.byteLength);
      fill(viewBytes(array));
      return array;
    };
    const mathRandom = (): number => this.prng.next();

    this.replace(Math, 'random', mathRandom);
    this.replace(cryptoModule, 'randomBytes', randomBytes);
    this.replace(cryptoModule, 'randomFillSync', randomFillSync);
    this.replace(cryptoModule, 'randomFill', randomFill);
    this.replace(cryptoModule, 'randomInt', randomInt);
    this.replace(cryptoModule, 'randomUUID', randomUUID);
    // node:crypto's getRandomValues is a fixed getter forwarding to the global Web Crypto object,
    // replaced just below.
    const webcrypto = (globalThis as { crypto?: object }).crypto;
    if (webcrypto !== undefined) {
      // Web Crypto's methods live on Crypto.prototype; an own property shadows them for the run.
      this.replace(webcrypto, 'getRandomValues', getRandomValues);
      this.replace(webcrypto, 'randomUUID', randomUUID);
    }
    syncBuiltinESMExports();
  }

  /** Replaces the sources of randomness with the stream `random` of `seedText`. */
  static install(seedText: string): SimRandom {
    return new SimRandom(new Prng(seedText, 'intercept/random'));
  }

  private replace(holder: object, key: string, value: unknown): void {
    const descriptor = Object.getOwnPropertyDescriptor(holder, key);
    if ((descriptor === undefined && !(key in holder)) || descriptor?.configurable === false) return;
    this.saved.push({ holder, key, descriptor });
    Object.defineProperty(holder, key, { value, writable: true, configurable: true, enumerable: descriptor?.enumerable ?? false });
  }

  /** Puts back every replaced property exactly as it was (an inherited one is shadowed no more). */
  uninstall(): void {
    for (let i = this.saved.length - 1; i >= 0; i--) {
      const { holder, key, descriptor } = this.saved[i] as Saved[number];
      if (descriptor === undefined) delete (holder as Record<string, unknown>)[key];
      else Object.defineProperty(holder, key, descriptor);
    }
    this.saved.length = 0;
    syncBuiltinESMExports();
  }
}
