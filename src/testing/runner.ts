/**
 * One way to define tests under any test runner: node:test, vitest, mocha (or anything with the
 * same `describe`/`it` shape). faultline's conformance suites and {@link simulationTest} define
 * their tests through {@link testRunner}, so they need nothing but the runner's own `describe` and
 * `it`, given explicitly or found as globals (mocha, vitest with `globals: true`).
 *
 * Why by hand: no library abstracts over test runners' registration APIs. The differences handled
 * here are small and stable: timeouts (`this.timeout` in mocha, a third argument in vitest, an
 * options object in node:test) and skipped tests (`it.skip` everywhere, `{ skip }` in node:test).
 * Per-test set-up and tear-down (`beforeEach`/`afterEach` in the suites) run inside each test,
 * wrapped around its body, rather than as runner hooks: that needs only `it` from the runner, and
 * the order is the one mocha, vitest and node:test share (outer set-up first, inner tear-down first).
 */
import * as nodeTest from 'node:test';
import { StorageError } from '../interfaces/errors.js';
import { snapshotOptions } from '../interfaces/validate.js';

/** A runner function as each runner types it; only called through the adapters below. */
type RunnerFunction = (...args: never[]) => unknown;

/**
 * The runner's own functions, as the optional last argument of `defineIoConformance`,
 * `defineStorageConformance` and `simulationTest`: for example `import { describe, it } from
 * 'node:test'` (or `'vitest'`, or mocha's globals). `describe` and `it` are what is used; the hook
 * functions are accepted so a runner's whole set can be passed, and are not needed.
 */
export interface TestRunnerFunctions {
  readonly describe?: RunnerFunction;
  readonly it: RunnerFunction;
  readonly beforeEach?: RunnerFunction;
  readonly afterEach?: RunnerFunction;
  readonly before?: RunnerFunction;
  readonly after?: RunnerFunction;
}

const RUNNER_KEYS = ['describe', 'it', 'beforeEach', 'afterEach', 'before', 'after'] as const;

/** A test body or a per-test hook. */
export type TestBody = () => unknown;

/** What the suites use: mocha-shaped registration that works on every runner. */
export interface TestRunner {
  /** Which runner was recognised (for messages and replay commands). */
  readonly kind: 'node:test' | 'vitest' | 'mocha-like';
  describe(title: string, body: () => void): void;
  /** A test; without `body`, a skipped test (its title should say why). */
  it(title: string, body?: TestBody): void;
  /** Set-up run before each test of the current `describe` (and the ones nested in it). */
  beforeEach(hook: TestBody): void;
  /** Tear-down run after each test of the current `describe`, even when the test failed. */
  afterEach(hook: TestBody): void;
}

interface Scope {
  readonly parent: Scope | undefined;
  readonly before: TestBody[];
  readonly after: TestBody[];
}

/** The scope whose body is being collected; describe bodies run synchronously, possibly deferred. */
let currentScope: Scope | undefined;

function withScope(scope: Scope, body: () => void): void {
  const saved = currentScope;
  currentScope = scope;
  try {
    body();
  } finally {
    currentScope = saved;
  }
}

async function runWithHooks(scope: Scope | undefined, body: TestBody): Promise<void> {
  const chain: Scope[] = [];
  for (let s = scope; s !== undefined; s = s.parent) chain.unshift(s);
  const afterHooks: TestBody[] = [];
  let failure: { error: unknown } | undefined;
  try {
    for (const s of chain) {
      afterHooks.unshift(...s.after);
      for (const hook of s.before) await hook();
    }
    await body();
  } catch (error) {
    failure = { error };
  }
  for (const hook of afterHooks) {
    try {
      await hook();
    } catch (error) {
      failure ??= { error };
    }
  }
  if (failure !== undefined) throw failure.error;
}

function badRunner(caller: string, message: string): StorageError {
  return new StorageError('ERR_INVALID_ARGUMENT', message, { operation: caller, argument: 'runner' });
}

function globalRunner(): TestRunnerFunctions | undefined {
  const g = globalThis as { describe?: unknown; it?: unknown };
  if (typeof g.describe !== 'function' || typeof g.it !== 'function') return undefined;
  return { describe: g.describe as RunnerFunction, it: g.it as RunnerFunction };
}

/**
 * The adapter for `functions` (or the global `describe`/`it` when omitted). `caller` names the
 * public function for error messages; `timeoutMs` is given to every test it registers.
 */
export function testRunner(caller: string, timeoutMs: number, functions?: TestRunnerFunctions): TestRunner {
  if (functions !== undefined) {
    if (typeof functions !== 'object' || functions === null) {
      throw badRunner(caller, `${caller}: the test runner argument must be an object such as { describe, it }`);
    }
    functions = snapshotOptions(caller, functions, RUNNER_KEYS, 'test runner');
    if (typeof functions.it !== 'function') throw badRunner(caller, `${caller}: the test runner argument needs an 'it' function`);
  }
  const given = functions ?? globalRunner();
  if (given === undefined) {
    throw badRunner(caller, `${caller}: no test runner found: pass the runner's own { describe, it } as the last argument ` +
      "(from 'node:test' or 'vitest'), or run under mocha");
  }
  const rawIt = given.it as unknown as (...args: unknown[]) => unknown;
  const rawDescribe = given.describe as unknown as ((title: string, body: () => void) => unknown) | undefined;
  const isNodeTest = given.it === (nodeTest.it as unknown) || given.it === (nodeTest.test as unknown);
  const kind: TestRunner['kind'] = isNodeTest ? 'node:test' : process.env['VITEST'] !== undefined ? 'vitest' : 'mocha-like';
  const skip = (rawIt as { skip?: unknown }).skip;

  return {
    kind,
    describe(title, body) {
      const scope: Scope = { parent: currentScope, before: [], after: [] };
      const collect = (): void => withScope(scope, body);
      // Without a describe (a runner that only has tests) the body is collected in place.
      if (rawDescribe === undefined) collect();
      else rawDescribe.call(undefined, title, collect);
    },
    it(title, body) {
      if (body === undefined) {
        const noop = (): void => undefined;
        if (isNodeTest) rawIt(title, { skip: true }, noop);
        else if (typeof skip === 'function') (skip as (...args: unknown[]) => unknown).call(rawIt, title, noop);
        else rawIt(title);
        return;
      }
      const scope = currentScope;
      if (isNodeTest) {
        rawIt(title, { timeout: timeoutMs }, () => runWithHooks(scope, body));
        return;
      }
      // mocha reads the timeout from its test context; vitest from the third argument.
      rawIt(title, function (this: unknown) {
        const context = this as { timeout?: unknown } | undefined;
        if (context !== undefined && context !== null && typeof context.timeout === 'function') {
          (context.timeout as (ms: number) => void).call(context, timeoutMs);
        }
        return runWithHooks(scope, body);
      }, timeoutMs);
    },
    beforeEach(hook) {
      if (currentScope === undefined) throw badRunner(caller, `${caller}: beforeEach outside describe`);
      currentScope.before.push(hook);
    },
    afterEach(hook) {
      if (currentScope === undefined) throw badRunner(caller, `${caller}: afterEach outside describe`);
      currentScope.after.push(hook);
    },
  };
}
