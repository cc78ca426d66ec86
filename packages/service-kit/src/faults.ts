import { join } from 'node:path';
import type { Logger } from '@mesh/telemetry';
import { FlagdProvider } from '@openfeature/flagd-provider';
import { type Client, NOOP_PROVIDER, OpenFeature, ProviderEvents } from '@openfeature/server-sdk';
import { str } from './config';

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
  /** order: the charge call to payment goes out without trace context. */
  'broken-propagation-order-payment': boolean;
  /** inventory: product reads skip the Redis cache. */
  'inventory-cache-bypass': boolean;
  /** inventory: share of reservations of the SKU below that fail, 0..1. */
  'inventory-sku-error-rate': number;
  /** inventory: the SKU whose reservations fail at inventory-sku-error-rate. */
  'inventory-sku-error-sku': string;
}

export type FaultFlag = keyof FaultFlags;

type FlagsOfType<T> = { [K in FaultFlag]: FaultFlags[K] extends T ? K : never }[FaultFlag];

/** Reads the current value of a fault flag; evaluation is in-process and never throws. */
export interface Faults {
  /** Whether a boolean fault is switched on. */
  enabled(flag: FlagsOfType<boolean>): Promise<boolean>;
  /** The value of a number flag, or `fallback` (the service's setting) while it is off. */
  number(flag: FlagsOfType<number>, fallback: number): Promise<number>;
  /** The value of a string flag, or `fallback` while it is off. */
  text(flag: FlagsOfType<string>, fallback: string): Promise<string>;
  /** Stops watching the file. */
  close(): Promise<void>;
}

/** The default flag file of a native run: infra/flags/mesh.flagd.json of this repository. */
export const DEFAULT_FLAGS_FILE = join(
  __dirname,
  '..',
  '..',
  '..',
  'infra',
  'flags',
  'mesh.flagd.json',
);

export const faultsSpec = {
  FLAGS_FILE: str({
    default: DEFAULT_FLAGS_FILE,
    desc: 'The workshop fault flags (flagd format), re-read when it changes; see `pnpm fault list`',
  }),
};

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
    enabled: (flag) => client.getBooleanValue(flag, false),
    number: (flag, fallback) => client.getNumberValue(flag, fallback),
    text: (flag, fallback) => client.getStringValue(flag, fallback),
    async close() {
      await OpenFeature.setProviderAndWait(domain, NOOP_PROVIDER);
      // Unwatches the file, whose poller would keep the process alive.
      await provider.onClose();
    },
  };
}

/** Faults that stay off, for tests and tools that run without a flag file. */
export const noFaults: Faults = {
  enabled: async () => false,
  number: async (_flag, fallback) => fallback,
  text: async (_flag, fallback) => fallback,
  close: async () => undefined,
};
