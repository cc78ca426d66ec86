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
