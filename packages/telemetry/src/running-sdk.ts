/*
 * Where the running SDK is kept: on a global symbol, so that one SDK serves the process even if
 * two copies of this package end up loaded, and so that the SDK-free entry can stop it without
 * importing the SDK.
 */

const RUNNING_SDK = Symbol.for('@mesh/telemetry/sdk');

/** The one thing the SDK-free entry asks of the NodeSDK. */
export interface StoppableSdk {
  shutdown(): Promise<void>;
}

type Holder = { [RUNNING_SDK]?: StoppableSdk };

export function runningSdk(): StoppableSdk | undefined {
  return (globalThis as Holder)[RUNNING_SDK];
}

export function setRunningSdk(sdk: StoppableSdk | undefined): void {
  const holder = globalThis as Holder;
  if (sdk) holder[RUNNING_SDK] = sdk;
  else delete holder[RUNNING_SDK];
}
