export { type ChaosEnvironment, startChaosEnvironment } from './environment';
export {
  evaluateInvariants,
  INVARIANTS,
  type InvariantId,
  looksSettled,
  type MeshState,
  orphanReservations,
  readMeshState,
  type ScenarioRecord,
  type Violation,
} from './invariants';
export { placeOrders, type SentOrder, sendOrder } from './load';
export { type FaultRecord, SCENARIOS, type Scenario } from './scenarios';
export { describeResult, PROFILES, type Profile, runScenario, type ScenarioResult } from './suite';
