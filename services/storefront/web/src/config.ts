/** What the static server tells the app at run time (GET /config.json), from its environment. */
export interface StorefrontConfig {
  /** The gateway as the browser reaches it, e.g. http://127.0.0.1:8080. */
  gatewayUrl: string;
  /** The public workshop key: everything in a browser is public. */
  apiKey: string;
  /** The collector's OTLP/HTTP traces endpoint as the browser reaches it; '' turns export off. */
  otlpTracesUrl: string;
  /** Grafana for the trace link; '' hides the link. */
  grafanaUrl: string;
  /** The uid of Grafana's Tempo datasource (infra/grafana/provisioning). */
  tempoDatasourceUid: string;
  /** deployment.environment.name of the browser's spans. */
  environment: string;
}

export async function loadConfig(): Promise<StorefrontConfig> {
  const response = await fetch('/config.json', { cache: 'no-store' });
  if (!response.ok) throw new Error(`The shop's configuration did not load (${response.status}).`);
  return (await response.json()) as StorefrontConfig;
}
