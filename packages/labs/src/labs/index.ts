import type { Lab } from '../lab';
import { failingDependency } from './failing-dependency';
import { memoryLeak } from './memory-leak';
import { slowConsumer } from './slow-consumer';
import { slowHop } from './slow-hop';

/** Every lab, in the guide's order. */
export const LABS: readonly Lab[] = [slowHop, failingDependency, slowConsumer, memoryLeak];
