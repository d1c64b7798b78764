/**
 * Helpers for users' own tests, published as `faultline/testing`: {@link simulationTest} runs a
 * body over many simulation seeds in any test runner, and {@link testRunner} is the small adapter
 * (node:test, vitest, mocha) the conformance suites use too.
 */
export { simulationTest, type SimulationTestContext, type SimulationTestOptions } from './simulation-test.js';
export { testRunner, type TestRunner, type TestRunnerFunctions, type TestBody } from './runner.js';
export { replayCommand } from './replay.js';
