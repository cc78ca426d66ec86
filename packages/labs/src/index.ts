export {
  COMPOSE_ENDPOINTS,
  type ComposeCheckResult,
  type ComposeEndpoints,
  type ComposeLab,
  type ComposeProbe,
  checkInCompose,
  queryPrometheus,
  searchTempo,
  switchedOn,
} from './compose-check';
export {
  durationMs,
  type Lab,
  LabFailed,
  type LabRun,
  type OrderItem,
  type PlacedOrder,
} from './lab';
export { LABS } from './labs';
export { format, type LabObservation, type LabPhase, type LabReport, runLab } from './run-lab';
