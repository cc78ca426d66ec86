import {
  configLoader,
  faultsSpec,
  httpServerSpec,
  int,
  kafkaConsumerSpec,
  kafkaSpec,
  logSpec,
  postgresSpec,
} from '@mesh/service-kit';

const spec = {
  ...httpServerSpec(8084, 'HTTP port (health and GET /notifications)'),
  ...logSpec,
  ...postgresSpec('notifications'),
  ...kafkaSpec,
  ...kafkaConsumerSpec('notification'),
  ...faultsSpec,
  EMAIL_LATENCY_MS: int({
    min: 0,
    default: 40,
    desc: 'Latency of the simulated e-mail provider (ms); the fault flag notification-email-latency-ms overrides it',
  }),
};

/** The notification service's configuration; throws a ConfigError naming every bad variable. */
export const loadNotificationConfig = configLoader(spec);

export type NotificationConfig = ReturnType<typeof loadNotificationConfig>;
