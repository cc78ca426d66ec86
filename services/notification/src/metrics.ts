import { metrics } from '@opentelemetry/api';

const meter = metrics.getMeter('@mesh/notification');

export const notificationsSent = meter.createCounter('mesh.notifications', {
  description: 'Notifications sent, by order event type',
});
