export {
  API_KEY,
  type RunningService,
  SERVICES,
  type ServiceName,
  type Stack,
  type StackOptions,
  type UnexpectedExit,
  startStack,
} from './stack';
