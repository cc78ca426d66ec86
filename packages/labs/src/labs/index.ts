import type { Lab } from '../lab';
import { cacheBypass } from './cache-bypass';
import { failingDependency } from './failing-dependency';
import { failingSku } from './failing-sku';
import { nPlusOne } from './n-plus-one';
import { slowHop } from './slow-hop';

/** Every lab, in the guide's order. */
export const LABS: readonly Lab[] = [slowHop, failingDependency, failingSku, nPlusOne, cacheBypass];
