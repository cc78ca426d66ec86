import type { Order } from '@mesh/contracts';
import { AppError } from '@mesh/service-kit';
import { findOrder } from '../data/order.repository';
import type { OrderDependencies } from './dependencies';

export async function getOrder(deps: OrderDependencies, orderId: string): Promise<Order> {
  const order = await findOrder(deps.pool, orderId);
  if (!order) throw new AppError('order-not-found', { detail: `No order ${orderId}.` });
  return order;
}
