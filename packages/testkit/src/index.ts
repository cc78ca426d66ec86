export { type BackingSource, uniqueName } from './backing';
export {
  type DedicatedPostgres,
  type DedicatedRedis,
  type DedicatedServer,
  startDedicatedPostgres,
  startDedicatedRedis,
} from './dedicated';
export { type EventuallyOptions, eventually } from './eventually';
export {
  type Answer,
  closedPort,
  type FakeRoute,
  FakeService,
  problem,
  type RecordedCall,
  type Reply,
  startFakeService,
} from './fake-service';
export { type FlagFileCopy, flagFileCopy, REPOSITORY_FLAGS_FILE } from './flag-file';
export { freePort, KAFKA_IMAGE, KAFKA_VERSION, startKafka, type TestKafka } from './kafka';
export { type DedicatedKafka, startDedicatedKafka } from './kafka-dedicated';
export { POSTGRES_IMAGE, startPostgres, type TestPostgres } from './postgres';
export { REDIS_IMAGE, startRedis, type TestRedis } from './redis';
