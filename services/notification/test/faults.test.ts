import { CONSUMER_LAG_METRIC, type Faults, startFaults } from '@mesh/service-kit';
import { createLogger } from '@mesh/telemetry';
import { startInMemoryTelemetry } from '@mesh/telemetry-testing';
import { eventually, flagFileCopy, uniqueName } from '@mesh/testkit';
import { simulatedEmailProviderWithFaults } from '../src/domain/email-provider';
import { type ConsumerUnderTest, startConsumerUnderTest } from './support/consumer';
import { orderEvent } from './support/order-event';

/*
 * The slow e-mail provider as a learner finds it: switched in the flag file while the consumer
 * runs, then seen on the 'email-provider send' spans and in the consumer's lag metric.
 */
const telemetry = startInMemoryTelemetry();
const logger = createLogger({ level: process.env.TEST_LOG_LEVEL ?? 'silent' });
/** EMAIL_LATENCY_MS of this test: what the provider takes while the fault is off. */
const SETTING_MS = 5;

describe('notification faults', () => {
  const flags = flagFileCopy();
  const topic = uniqueName('order-events');
  const groupId = uniqueName('notification');
  let faults: Faults;
  let under: ConsumerUnderTest;

  beforeAll(async () => {
    faults = await startFaults({ file: flags.file, logger });
    under = await startConsumerUnderTest({
      topic,
      groupId,
      email: simulatedEmailProviderWithFaults(SETTING_MS, faults),
      maxAttempts: 2,
      clientId: 'notification-faults-test',
      logger,
    });
  });
  afterAll(async () => {
    await under?.stop();
    await faults.close();
    await telemetry.shutdown();
  });

  /** Publishes events, one message each, and returns their order ids. */
  async function publish(count: number): Promise<string[]> {
    const events = Array.from({ length: count }, orderEvent);
    const producer = under.kafka.producer({ allowAutoTopicCreation: false });
    await producer.connect();
    try {
      await producer.send({
        topic,
        messages: events.map((event) => ({ key: event.orderId, value: JSON.stringify(event) })),
      });
    } finally {
      await producer.disconnect();
    }
    return events.map((event) => event.orderId);
  }

  const durationMs = (span: { duration: [number, number] }) =>
    span.duration[0] * 1_000 + span.duration[1] / 1e6;

  /** Durations of the e-mail sends so far, in the order they ended. */
  const sendDurations = async () =>
    (await telemetry.spans()).filter((span) => span.name === 'email-provider send').map(durationMs);

  /** The consumer's lag, summed over its partitions, as the metric exporter receives it. */
  async function lag(): Promise<number> {
    const points = (await telemetry.collectMetrics())
      .flatMap((resource) => resource.scopeMetrics)
      .flatMap((scope) => scope.metrics)
      .filter((metric) => metric.descriptor.name === CONSUMER_LAG_METRIC)
      .flatMap(
        (metric) => metric.dataPoints as { attributes: Record<string, unknown>; value: number }[],
      )
      .filter((point) => point.attributes['messaging.consumer.group.name'] === groupId);
    return points.reduce((sum, point) => sum + point.value, 0);
  }

  const notified = async (orderIds: string[]) => {
    const { rows } = await under.pool.query<{ count: number }>(
      'SELECT count(*)::int AS count FROM notifications WHERE order_id = ANY($1)',
      [orderIds],
    );
    return rows[0]?.count === orderIds.length ? true : undefined;
  };

  it('when notification-email-latency-ms is switched on, then each send lasts 500 ms and the lag climbs; off, the consumer catches up', async () => {
    const before = await publish(5);
    await eventually(() => notified(before), 'the events before the fault');
    expect(Math.max(...(await sendDurations()))).toBeLessThan(300);
    expect(await eventually(async () => ((await lag()) === 0 ? 0 : undefined), 'no lag')).toBe(0);
    telemetry.reset();

    flags.switchTo('notification-email-latency-ms', 'on');
    await eventually(
      async () =>
        (await faults.number('notification-email-latency-ms', SETTING_MS)) === 500
          ? true
          : undefined,
      'the latency fault to be read',
    );
    // Orders keep coming at 6 a second; the provider lets 2 through.
    const during: string[] = [];
    const lagSeen: number[] = [];
    for (let second = 0; second < 8; second++) {
      during.push(...(await publish(6)));
      await new Promise((resolve) => setTimeout(resolve, 1_000));
      lagSeen.push(await lag());
    }
    const slowSends = await sendDurations();
    expect(slowSends.length).toBeGreaterThan(0);
    expect(Math.min(...slowSends)).toBeGreaterThanOrEqual(490);
    // About 4 more behind every second; the consumer learns the topic's end every 5 s.
    const lately = Math.max(...lagSeen.slice(-3));
    expect(lately).toBeGreaterThanOrEqual(10);
    expect(lately).toBeGreaterThan(lagSeen[0] ?? 0);

    flags.switchTo('notification-email-latency-ms', null);
    await eventually(
      async () =>
        (await faults.number('notification-email-latency-ms', SETTING_MS)) === SETTING_MS
          ? true
          : undefined,
      'the latency fault to be off',
    );
    await eventually(() => notified(during), 'the backlog drained', { timeoutMs: 30_000 });
    expect(await eventually(async () => ((await lag()) === 0 ? 0 : undefined), 'no lag')).toBe(0);
    telemetry.reset();
    const after = await publish(3);
    await eventually(() => notified(after), 'the events after the fault');
    expect(Math.max(...(await sendDurations()))).toBeLessThan(300);
  }, 90_000);
});
