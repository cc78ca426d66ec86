import type { Logger } from '@mesh/telemetry';
import { FlagdProvider } from '@openfeature/flagd-provider';
import { type Client, NOOP_PROVIDER, OpenFeature, ProviderEvents } from '@openfeature/server-sdk';

/*
 * Workshop faults: OpenFeature flags read by the flagd provider in its in-process mode from one
 * flag file in flagd's format (infra/flags/mesh.flagd.json), with no flagd daemon. The provider
 * polls the file (fs.watchFile, about every 5 s), so `pnpm fault <name> on` takes effect within
 * seconds and without a restart. Every flag is off by default: its defaultVariant is "off" (a
 * boolean) or null, which hands the evaluation back to the default the code passes (a number
 * flag's default is the service's own setting, e.g. PAYMENT_LATENCY_MS).
 * https://flagd.dev/reference/flag-definitions/
 */

/** The flags of infra/flags/mesh.flagd.json, each with the type of its variants. */
export interface FaultFlags {
  /** payment: mean latency of the simulated processor (ms). */
  'payment-latency-ms': number;
  /** payment: share of charges the simulated processor declines, 0..1. */
  'payment-decline-rate': number;
  /** order: calls payment outside the order's trace context, so that hop starts a new trace. */
  'order-payment-propagation-broken': boolean;
  /** order: the outbox relay publishes order events without their trace headers. */
  'order-kafka-headers-dropped': boolean;
  /** order: the outbox relay publishes nothing; the backlog goes out once it is off. */
  'order-relay-stalled': boolean;
  /** inventory: every product read goes to PostgreSQL, never to the Redis cache. */
  'inventory-cache-bypass': boolean;
  /** inventory: a reservation reads its products one query per item. */
  'inventory-n-plus-one': boolean;
  /** inventory: reservations holding this SKU fail now and then. */
  'inventory-failing-sku': string;
  /** notification: the simulated e-mail provider takes this long per message (ms), one at a time. */
  'notification-email-latency-ms': number;
  /** gateway: every request leaves memory behind that is never freed while the flag is on. */
  'gateway-memory-leak': boolean;
}

export type FaultFlag = keyof FaultFlags;

type FlagsOfType<T> = { [K in FaultFlag]: FaultFlags[K] extends T ? K : never }[FaultFlag];

/** Reads the current value of a fault flag; evaluation is in-process and never throws. */
export interface Faults {
  /** The value of a number flag, or `fallback` (the service's setting) while it is off. */
  number(flag: FlagsOfType<number>, fallback: number): Promise<number>;
  /** Whether a boolean flag is on. */
  on(flag: FlagsOfType<boolean>): Promise<boolean>;
  /** The value of a string flag, or '' while it is off. */
  text(flag: FlagsOfType<string>): Promise<string>;
  /** Stops watching the file. */
  close(): Promise<void>;
}

let providers = 0;

/**
 * Starts reading the fault flags from `file`. A missing or broken file is logged and leaves every
 * fault off: a workshop feature must not stop a service from starting.
 */
export async function startFaults(settings: { file: string; logger: Logger }): Promise<Faults> {
  const { file, logger } = settings;
  // A domain of its own, so that two services in one test process do not share a provider.
  providers += 1;
  const domain = `mesh-faults-${providers}`;
  const provider = new FlagdProvider(
    { resolverType: 'in-process', offlineFlagSourcePath: file },
    {
      error: (...args: unknown[]) => logger.warn({ flagsFile: file }, args.map(String).join(' ')),
      warn: (...args: unknown[]) => logger.warn({ flagsFile: file }, args.map(String).join(' ')),
      info: () => undefined,
      debug: () => undefined,
    },
  );
  try {
    await OpenFeature.setProviderAndWait(domain, provider);
  } catch (error) {
    logger.warn({ err: error, flagsFile: file }, 'fault flags unreadable: every fault stays off');
  }
  const client: Client = OpenFeature.getClient(domain);
  // The moment a fault is switched is what a learner looks for in the logs.
  client.addHandler(ProviderEvents.ConfigurationChanged, (details) => {
    logger.info({ flags: details?.flagsChanged, flagsFile: file }, 'fault flags changed');
  });

  return {
    number: (flag, fallback) => client.getNumberValue(flag, fallback),
    on: (flag) => client.getBooleanValue(flag, false),
    text: (flag) => client.getStringValue(flag, ''),
    async close() {
      await OpenFeature.setProviderAndWait(domain, NOOP_PROVIDER);
      // Unwatches the file, whose poller would keep the process alive.
      await provider.onClose();
    },
  };
}

/** Faults that stay off, for tests and tools that run without a flag file. */
export const noFaults: Faults = {
  number: async (_flag, fallback) => fallback,
  on: async () => false,
  text: async () => '',
  close: async () => undefined,
};
