// node --test test/runners/third-party/node-test.test.mjs
import { describe, it } from 'node:test';
import { defineIoConformance, defineStorageConformance } from 'faultline/conformance';
import { simulationTest } from 'faultline/testing';
import { createBackend, defineFailingCases, supports, syncedRecordSurvives } from './backend.mjs';

if (process.env.FAULTLINE_FIXTURE === 'fail') {
  defineFailingCases(defineIoConformance, simulationTest, { describe, it });
} else {
  defineIoConformance('memfs', createBackend, supports, { describe, it });
  defineStorageConformance('memfs', createBackend, supports, { describe, it });
  simulationTest('a synced record survives a power cut', { seeds: 50 }, syncedRecordSurvives, { describe, it });
}
