import type { Lab } from '../lab';
import { brokenPropagation } from './broken-propagation';
import { cacheBypass } from './cache-bypass';
import { droppedKafkaHeaders } from './dropped-kafka-headers';
import { failingDependency } from './failing-dependency';
import { failingSku } from './failing-sku';
import { memoryLeak } from './memory-leak';
import { nPlusOne } from './n-plus-one';
import { relayStall } from './relay-stall';
import { slowConsumer } from './slow-consumer';
import { slowHop } from './slow-hop';

/** Every lab, in the guide's order. */
export const LABS: readonly Lab[] = [
  slowHop,
  failingDependency,
  brokenPropagation,
  droppedKafkaHeaders,
  slowConsumer,
  relayStall,
  failingSku,
  nPlusOne,
  cacheBypass,
  memoryLeak,
];
