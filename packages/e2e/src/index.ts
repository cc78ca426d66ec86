export {
  type ApiResponse,
  api,
  type Environment,
  type EnvironmentOptions,
  productWithStock,
  startEnvironment,
  stockOf,
} from './environment';
export {
  API_KEY,
  type RunningService,
  SERVICES,
  type ServiceName,
  type Stack,
  type StackOptions,
  startStack,
  type UnexpectedExit,
} from './stack';
