import type { Lab } from '../lab';
import { brokenPropagation } from './broken-propagation';
import { cacheBypass } from './cache-bypass';
import { droppedKafkaHeaders } from './dropped-kafka-headers';
import { failingDependency } from './failing-dependency';
import { failingSku } from './failing-sku';
import { nPlusOne } from './n-plus-one';
import { relayStall } from './relay-stall';
import { slowHop } from './slow-hop';

/** Every lab, in the guide's order. */
export const LABS: readonly Lab[] = [
  slowHop,
  failingDependency,
  brokenPropagation,
  droppedKafkaHeaders,
  relayStall,
  failingSku,
  nPlusOne,
  cacheBypass,
];
