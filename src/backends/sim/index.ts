/** The deterministic simulator: simulated clock, disks, faults, crashes and trace. */
export { Simulation, SimNode, CrashState, TRACE_CAPACITY_MAX } from './simulation.js';
export type { SimulationOptions, CrashStatesOptions, CrashStateList } from './simulation.js';
export { SimIo, SIM_FD_COUNT_MAX, SIM_IN_FLIGHT_MAX } from './sim-io.js';
export {
  FAULT_KINDS, FAULT_OPERATIONS, FAULT_ERRNOS, FAULTS_NONE, FAULTS_DEFAULT, FAULTS_HEAVY, LATENCY_NONE, LATENCY_DEFAULT,
  faultPreset, FaultController,
} from './faults.js';
export type { FaultKind, FaultRule, FaultConfig, FaultErrno, LatencyConfig, LatencyRule, FaultPresetName, FaultDecision, FaultFilter } from './faults.js';
export { Trace, TRACE_TYPES, formatEvent } from './trace.js';
export type { TraceEvent, TraceType } from './trace.js';
export { SIM_PROFILES, PENDING_OPS_MAX } from './disk.js';
export type { SimProfile } from './disk.js';
export type { SimSeed } from './prng.js';
