/**
 * Model-based test of Storage: random sequences of open, writeAt and writeAtDurable (single and vectored), readAt,
 * readInto, resize, sync, close, remove (blob and partition), scan and writeAtomic, plus a
 * "restart" (a new Storage over the same Io), run against the real Storage and an in-memory model
 * of the same semantics, with fast-check shrinking any failure to a minimal sequence.
 *
 * The model keeps files apart from names, so it captures read-after-remove (a handle keeps its
 * file after the name is removed or atomically replaced) and the handle-local `sizeBytes` rule
 * (a handle checks reads against its own idea of the length, moved only by its own writes and
 * resizes; bytes that the file lost through another handle are `ERR_OUT_OF_RANGE`).
 *
 * Runs: `supports.modelRuns` (default 200), at most `supports.modelCommandsMax` commands each
 * (default 40). `FAULTLINE_MODEL_SEED` fixes the seed to replay a failure fast-check reported.
 */
import { expect } from 'chai';
import fc from 'fast-check';
import type { ErrorCode } from '../../src/interfaces/errors.js';
import { StorageError } from '../../src/interfaces/errors.js';
import type { Blob, Storage } from '../../src/interfaces/storage.js';
import { createStorage, type StorageOptions } from '../../src/storage/index.js';
import { conformanceRunner, MODEL_TIMEOUT_DEFAULT_MS, type BackendFactory, type BackendInstance, type ConformanceSupports, type TestRunnerFunctions } from './harness.js';
import { assertModel } from './model-check.js';

const PARTITIONS = ['p0', 'p1'] as const;
const NAMES = ['a', 'b', 'zz'] as const;
/** Most handles the model keeps open at once; an open past it closes the new handle right away. */
const HANDLES_MAX = 4;
const OFFSET_MAX_BYTES = 10_000;
const LENGTH_MAX_BYTES = 6_000;
const utf8 = new TextEncoder();

/** A file: what a name points to, and what handles keep after the name is gone. */
interface ModelFile {
  bytes: Uint8Array;
  readonly version: number;
}

interface ModelHandle {
  readonly file: ModelFile;
  sizeBytes: number;
  readonly blob: Blob;
  readonly label: string;
}

interface Model {
  readonly partitions: Map<string, Map<string, ModelFile>>;
  readonly handles: ModelHandle[];
}

interface Real {
  storage: Storage;
  readonly backend: BackendInstance;
  readonly options: StorageOptions | undefined;
}

type StorageModelCommand = fc.AsyncCommand<Model, Real>;

async function expectCode(promise: Promise<unknown>, code: ErrorCode, context: string): Promise<void> {
  let outcome: unknown;
  try {
    await promise;
  } catch (err) {
    outcome = err;
  }
  expect(outcome, `${context}: expected ${code}`).to.be.instanceOf(StorageError);
  expect((outcome as StorageError).code, context).to.equal(code);
}

function sameBytes(actual: Uint8Array, expected: Uint8Array, context: string): void {
  expect(Buffer.from(actual).equals(Buffer.from(expected)), `${context}: bytes differ`).to.equal(true);
}

function resized(bytes: Uint8Array, lengthBytes: number): Uint8Array {
  const out = new Uint8Array(lengthBytes);
  out.set(bytes.subarray(0, Math.min(bytes.byteLength, lengthBytes)));
  return out;
}

function pickHandle(model: Model, seed: number): ModelHandle {
  const handle = model.handles[seed % model.handles.length];
  if (handle === undefined) throw new Error('no handle to pick');
  return handle;
}

class OpenCommand implements StorageModelCommand {
  constructor(readonly partition: string, readonly name: string, readonly versions: readonly [number, number]) {}
  check(): boolean {
    return true;
  }
  async run(model: Model, real: Real): Promise<void> {
    const context = this.toString();
    const existing = model.partitions.get(this.partition)?.get(this.name);
    if (existing !== undefined && (existing.version < this.versions[0] || existing.version > this.versions[1])) {
      await expectCode(real.storage.open(this.partition, this.name, { versions: this.versions }), 'ERR_VERSION_MISMATCH', context);
      return;
    }
    const opened = await real.storage.open(this.partition, this.name, { versions: this.versions });
    let file = existing;
    if (file === undefined) {
      file = { bytes: new Uint8Array(0), version: this.versions[1] };
      let names = model.partitions.get(this.partition);
      if (names === undefined) {
        names = new Map();
        model.partitions.set(this.partition, names);
      }
      names.set(this.name, file);
    }
    expect(opened.sizeBytes, `${context}: sizeBytes`).to.equal(file.bytes.byteLength);
    expect(opened.blob.sizeBytes, `${context}: blob.sizeBytes`).to.equal(file.bytes.byteLength);
    expect(opened.version, `${context}: version`).to.equal(file.version);
    if (model.handles.length >= HANDLES_MAX) await opened.blob.close();
    else model.handles.push({ file, sizeBytes: file.bytes.byteLength, blob: opened.blob, label: `${this.partition}/${this.name}` });
  }
  toString(): string {
    return `open(${this.partition}, ${this.name}, [${this.versions.join(', ')}])`;
  }
}

class WriteCommand implements StorageModelCommand {
  /** `durable`: through writeAtDurable, which reads must see exactly as a writeAt. */
  constructor(readonly handleSeed: number, readonly offsetBytes: number, readonly chunks: readonly Uint8Array[], readonly durable: boolean) {}
  check(model: Readonly<Model>): boolean {
    return model.handles.length > 0;
  }
  async run(model: Model, _real: Real): Promise<void> {
    const handle = pickHandle(model, this.handleSeed);
    const data = this.chunks.length === 1 ? this.chunks[0]! : this.chunks;
    await (this.durable ? handle.blob.writeAtDurable(this.offsetBytes, data) : handle.blob.writeAt(this.offsetBytes, data));
    let totalBytes = 0;
    for (const chunk of this.chunks) totalBytes += chunk.byteLength;
    if (totalBytes === 0) return;
    const endBytes = this.offsetBytes + totalBytes;
    if (endBytes > handle.file.bytes.byteLength) handle.file.bytes = resized(handle.file.bytes, endBytes);
    let positionBytes = this.offsetBytes;
    for (const chunk of this.chunks) {
      handle.file.bytes.set(chunk, positionBytes);
      positionBytes += chunk.byteLength;
    }
    if (endBytes > handle.sizeBytes) handle.sizeBytes = endBytes;
    expect(handle.blob.sizeBytes, `${this.toString()}: sizeBytes`).to.equal(handle.sizeBytes);
  }
  toString(): string {
    return `${this.durable ? 'writeAtDurable' : 'writeAt'}(h${this.handleSeed}, ${this.offsetBytes}, [${this.chunks.map((c) => c.byteLength).join(', ')}])`;
  }
}

class ReadCommand implements StorageModelCommand {
  constructor(readonly handleSeed: number, readonly offsetBytes: number, readonly lengthBytes: number, readonly into: boolean) {}
  check(model: Readonly<Model>): boolean {
    return model.handles.length > 0;
  }
  async run(model: Model, _real: Real): Promise<void> {
    const context = this.toString();
    const handle = pickHandle(model, this.handleSeed);
    const endBytes = this.offsetBytes + this.lengthBytes;
    const read = (): Promise<Uint8Array> => (this.into
      ? handle.blob.readInto(new Uint8Array(this.lengthBytes + 3), this.offsetBytes, this.lengthBytes)
      : handle.blob.readAt(this.offsetBytes, this.lengthBytes));
    const beyondFile = this.lengthBytes > 0 && endBytes > handle.file.bytes.byteLength;
    if (endBytes > handle.sizeBytes || beyondFile) {
      await expectCode(read(), 'ERR_OUT_OF_RANGE', context);
      return;
    }
    sameBytes(await read(), handle.file.bytes.subarray(this.offsetBytes, endBytes), context);
  }
  toString(): string {
    return `${this.into ? 'readInto' : 'readAt'}(h${this.handleSeed}, ${this.offsetBytes}, ${this.lengthBytes})`;
  }
}

class ResizeCommand implements StorageModelCommand {
  constructor(readonly handleSeed: number, readonly lengthBytes: number) {}
  check(model: Readonly<Model>): boolean {
    return model.handles.length > 0;
  }
  async run(model: Model, _real: Real): Promise<void> {
    const handle = pickHandle(model, this.handleSeed);
    await handle.blob.resize(this.lengthBytes);
    handle.file.bytes = resized(handle.file.bytes, this.lengthBytes);
    handle.sizeBytes = this.lengthBytes;
    expect(handle.blob.sizeBytes, this.toString()).to.equal(this.lengthBytes);
  }
  toString(): string {
    return `resize(h${this.handleSeed}, ${this.lengthBytes})`;
  }
}

class SyncCommand implements StorageModelCommand {
  constructor(readonly handleSeed: number) {}
  check(model: Readonly<Model>): boolean {
    return model.handles.length > 0;
  }
  async run(model: Model, _real: Real): Promise<void> {
    await pickHandle(model, this.handleSeed).blob.sync();
  }
  toString(): string {
    return `sync(h${this.handleSeed})`;
  }
}

class CloseCommand implements StorageModelCommand {
  constructor(readonly handleSeed: number) {}
  check(model: Readonly<Model>): boolean {
    return model.handles.length > 0;
  }
  async run(model: Model, _real: Real): Promise<void> {
    const handle = pickHandle(model, this.handleSeed);
    await handle.blob.close();
    model.handles.splice(model.handles.indexOf(handle), 1);
    await expectCode(handle.blob.readAt(0, 0), 'ERR_CLOSED', this.toString());
  }
  toString(): string {
    return `close(h${this.handleSeed})`;
  }
}

class RemoveCommand implements StorageModelCommand {
  constructor(readonly partition: string, readonly name: string | undefined) {}
  check(): boolean {
    return true;
  }
  async run(model: Model, real: Real): Promise<void> {
    const context = this.toString();
    const names = model.partitions.get(this.partition);
    if (names === undefined || (this.name !== undefined && !names.has(this.name))) {
      await expectCode(real.storage.remove(this.partition, this.name), 'ENOENT', context);
      return;
    }
    await real.storage.remove(this.partition, this.name);
    if (this.name === undefined) model.partitions.delete(this.partition);
    else names.delete(this.name);
  }
  toString(): string {
    return `remove(${this.partition}${this.name === undefined ? '' : `, ${this.name}`})`;
  }
}

class ScanCommand implements StorageModelCommand {
  constructor(readonly partition: string) {}
  check(): boolean {
    return true;
  }
  async run(model: Model, real: Real): Promise<void> {
    const names = model.partitions.get(this.partition);
    if (names === undefined) {
      await expectCode(real.storage.scan(this.partition), 'ENOENT', this.toString());
      return;
    }
    const expected = [...names.keys()].sort((a, b) => Buffer.compare(utf8.encode(a), utf8.encode(b)));
    expect(await real.storage.scan(this.partition), this.toString()).to.deep.equal(expected);
  }
  toString(): string {
    return `scan(${this.partition})`;
  }
}

class WriteAtomicCommand implements StorageModelCommand {
  constructor(readonly partition: string, readonly name: string, readonly data: Uint8Array, readonly version: number) {}
  check(): boolean {
    return true;
  }
  async run(model: Model, real: Real): Promise<void> {
    await real.storage.writeAtomic(this.partition, this.name, this.data, { versions: [0, this.version] });
    let names = model.partitions.get(this.partition);
    if (names === undefined) {
      names = new Map();
      model.partitions.set(this.partition, names);
    }
    names.set(this.name, { bytes: this.data.slice(), version: this.version });
  }
  toString(): string {
    return `writeAtomic(${this.partition}, ${this.name}, ${this.data.byteLength} bytes, v${this.version})`;
  }
}

class RestartCommand implements StorageModelCommand {
  check(): boolean {
    return true;
  }
  async run(model: Model, real: Real): Promise<void> {
    await real.storage.close();
    for (const handle of model.handles.splice(0)) await expectCode(handle.blob.readAt(0, 0), 'ERR_CLOSED', this.toString());
    real.storage = createStorage(real.backend.io, real.options);
  }
  toString(): string {
    return 'restart()';
  }
}

function commandArbitraries(): Array<fc.Arbitrary<StorageModelCommand>> {
  const partition = fc.constantFrom(...PARTITIONS);
  const name = fc.constantFrom(...NAMES);
  const handleSeed = fc.nat(HANDLES_MAX * 3);
  const offsetBytes = fc.oneof(fc.nat(OFFSET_MAX_BYTES), fc.constantFrom(0, 4095, 4096, 4097, 8191, 8192));
  const lengthBytes = fc.oneof(fc.nat(LENGTH_MAX_BYTES), fc.constantFrom(0, 1, 4096));
  const chunk = fc.oneof(fc.uint8Array({ maxLength: 64 }), fc.uint8Array({ maxLength: 5000 }));
  const versions = fc.tuple(fc.nat(3), fc.nat(3)).map(([a, b]): readonly [number, number] => (a <= b ? [a, b] : [b, a]));
  return [
    fc.tuple(partition, name, versions).map(([p, n, v]) => new OpenCommand(p, n, v)),
    fc.tuple(handleSeed, offsetBytes, fc.array(chunk, { minLength: 1, maxLength: 4 }), fc.boolean()).map(([h, o, c, d]) => new WriteCommand(h, o, c, d)),
    fc.tuple(handleSeed, offsetBytes, lengthBytes, fc.boolean()).map(([h, o, l, i]) => new ReadCommand(h, o, l, i)),
    fc.tuple(handleSeed, lengthBytes).map(([h, l]) => new ResizeCommand(h, l)),
    handleSeed.map((h) => new SyncCommand(h)),
    handleSeed.map((h) => new CloseCommand(h)),
    fc.tuple(partition, fc.option(name, { nil: undefined, freq: 4 })).map(([p, n]) => new RemoveCommand(p, n)),
    partition.map((p) => new ScanCommand(p)),
    fc.tuple(partition, name, fc.uint8Array({ maxLength: 6000 }), fc.nat(3)).map(([p, n, d, v]) => new WriteAtomicCommand(p, n, d, v)),
    fc.constant(new RestartCommand()),
  ];
}

/**
 * Defines the model-based Storage test for one backend: `supports.modelRuns` (default 200)
 * random command sequences, each on a fresh backend from `factory`.
 */
export function defineStorageModelTest(
  name: string,
  factory: BackendFactory,
  supports: ConformanceSupports & { readonly storageOptions?: StorageOptions },
  runner?: TestRunnerFunctions,
): void {
  const { describe, it } = conformanceRunner('defineStorageModelTest', supports, runner, MODEL_TIMEOUT_DEFAULT_MS);
  const suiteTitle = `Storage model: ${name}${supports.storageOptions?.direct === true ? ' (direct)' : ''}`;
  describe(suiteTitle, function () {
    const numRuns = supports.modelRuns ?? 200;
    const maxCommands = supports.modelCommandsMax ?? 40;
    const title = `matches the in-memory model over ${numRuns} random command sequences`;
    it(title, async () => {
      await assertModel(
        `${suiteTitle}: ${title}`,
        fc.asyncProperty(fc.commands(commandArbitraries(), { maxCommands, size: 'max' }), async (commands) => {
          const backend = await factory();
          const real: Real = { storage: createStorage(backend.io, supports.storageOptions), backend, options: supports.storageOptions };
          const model: Model = { partitions: new Map(), handles: [] };
          try {
            await fc.asyncModelRun(() => ({ model, real }), commands);
          } finally {
            await real.storage.close();
            await backend.dispose();
          }
        }),
        numRuns,
      );
    });
  });
}
