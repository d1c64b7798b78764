// npx vitest run test/runners/third-party/vitest.spec.mjs
import { describe, it } from 'vitest';
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
