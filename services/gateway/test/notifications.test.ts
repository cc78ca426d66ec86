import { randomUUID } from 'node:crypto';
import type { Notification } from '@mesh/contracts';
import type { FakeService } from '@mesh/testkit';
import { startRedis, type TestRedis } from '@mesh/testkit';
import { API_KEY } from './support/api-keys';
import { startFakeInventory, startFakeNotification, startFakeOrder } from './support/fakes';
import { expectProblem, startGateway, type TestGateway } from './support/gateway';

const ORDER_ID = randomUUID();
const SENT: Notification = {
  id: randomUUID(),
  orderId: ORDER_ID,
  eventId: randomUUID(),
  eventType: 'order.confirmed',
  channel: 'email',
  recipient: 'ada@customers.mesh.example',
  subject: `Your order ${ORDER_ID} is confirmed`,
  sentAt: new Date().toISOString(),
};

describe('notifications through the gateway', () => {
  let redis: TestRedis;
  let fakes: FakeService[];
  let notification: FakeService;
  let gateway: TestGateway;

  const get = (url: string, headers: Record<string, string> = { 'x-api-key': API_KEY }) =>
    gateway.app.inject({ method: 'GET', url, headers });

  beforeAll(async () => {
    let order: FakeService;
    let inventory: FakeService;
    [redis, order, inventory, notification] = await Promise.all([
      startRedis(),
      startFakeOrder(),
      startFakeInventory(),
      startFakeNotification([SENT]),
    ]);
    fakes = [order, inventory, notification];
    gateway = await startGateway({
      REDIS_URL: redis.url,
      REDIS_KEY_PREFIX: redis.keyPrefix,
      ORDER_URL: order.url,
      INVENTORY_URL: inventory.url,
      NOTIFICATION_URL: notification.url,
    });
  });
  afterEach(() => notification.reset());
  afterAll(async () => {
    await gateway.close();
    await Promise.all([...fakes.map((fake) => fake.stop()), redis.stop()]);
  });

  it('when the notifications of an order are asked for, then the notification service answers them', async () => {
    const response = await get(`/api/notifications?orderId=${ORDER_ID}`);
    expect(response.statusCode).toBe(200);
    expect(response.json()).toEqual({ items: [SENT] });
    expect(notification.forwarded.map((call) => call.url)).toEqual([
      `/notifications?orderId=${ORDER_ID}`,
    ]);
  });

  it.each([
    ['no order id', '/api/notifications'],
    ['an order id that is not a UUID', '/api/notifications?orderId=42'],
    ['an unknown query parameter', `/api/notifications?orderId=${ORDER_ID}&all=true`],
  ])(
    'when the query has %s, then 400 and the notification service is not called',
    async (_case, url) => {
      expectProblem(await get(url), 400, 'invalid-request');
      expect(notification.calls).toHaveLength(0);
    },
  );

  it('when the API key is missing, then 401 and the notification service is not called', async () => {
    expectProblem(await get(`/api/notifications?orderId=${ORDER_ID}`, {}), 401, 'unauthorized');
    expect(notification.calls).toHaveLength(0);
  });
});
