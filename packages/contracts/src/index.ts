export * from './common';
export * from './events';
export * from './inventory';
export * from './orders';
export * from './payment';
export * from './problems';
