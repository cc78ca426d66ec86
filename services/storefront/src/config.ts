// The config entry only, not the package's index (which loads the pg, Redis and Kafka clients):
// a static server stays at a third of a service's memory.
import { ConfigError, configLoader, port, str, url } from '@mesh/service-kit/config';

/** The public workshop key (services/gateway): a browser cannot keep a secret, so it is public. */
export const WORKSHOP_API_KEY = 'mesh-demo-key';

const spec = {
  PORT: port({ default: 8090, desc: 'Port of the storefront (the web app and its config)' }),
  HOST: str({ default: '127.0.0.1', desc: 'Address to listen on (0.0.0.0 in containers)' }),
  LOG_LEVEL: str({
    default: 'info',
    choices: ['fatal', 'error', 'warn', 'info', 'debug', 'trace', 'silent'],
    desc: 'pino log level',
  }),
  GATEWAY_PUBLIC_URL: url({
    default: 'http://127.0.0.1:8080',
    desc: "The gateway as the browser reaches it; the gateway's CORS_ALLOWED_ORIGIN must name this storefront's origin",
  }),
  STOREFRONT_API_KEY: str({
    default: WORKSHOP_API_KEY,
    desc: 'The API key the browser sends (public by nature: anyone can read it in the page)',
  }),
  OTLP_TRACES_PUBLIC_URL: str({
    default: 'http://127.0.0.1:4318/v1/traces',
    desc: "The collector's OTLP/HTTP traces endpoint as the browser reaches it (its CORS must allow this origin); empty: no browser telemetry",
  }),
  GRAFANA_PUBLIC_URL: str({
    default: 'http://127.0.0.1:3000',
    desc: "Grafana as the browser reaches it, for the order page's trace link; empty: no link",
  }),
  TEMPO_DATASOURCE_UID: str({
    default: 'tempo',
    desc: "The uid of Grafana's Tempo datasource (infra/grafana/provisioning)",
  }),
  DEPLOYMENT_ENVIRONMENT: str({
    default: 'workshop',
    desc: "deployment.environment.name on the browser's spans",
  }),
};

const loadSettings = configLoader(spec);

/** An optional URL setting: empty, or an http(s) URL without a trailing slash. */
function optionalUrl(name: string, value: string): string {
  if (value.trim() === '') return '';
  try {
    const parsed = new URL(value.trim());
    if (parsed.protocol === 'http:' || parsed.protocol === 'https:') {
      return parsed.href.replace(/\/$/, '');
    }
  } catch {
    // reported below
  }
  throw new ConfigError([`${name}: must be an http(s) URL or empty`]);
}

/** Reads the configuration once at start; a bad variable throws a ConfigError naming it. */
export function loadStorefrontConfig(env: Record<string, string | undefined> = process.env) {
  const settings = loadSettings(env);
  return {
    ...settings,
    /** What the browser app reads from /config.json (web/src/config.ts). */
    browser: {
      gatewayUrl: settings.GATEWAY_PUBLIC_URL.replace(/\/$/, ''),
      apiKey: settings.STOREFRONT_API_KEY,
      otlpTracesUrl: optionalUrl('OTLP_TRACES_PUBLIC_URL', settings.OTLP_TRACES_PUBLIC_URL),
      grafanaUrl: optionalUrl('GRAFANA_PUBLIC_URL', settings.GRAFANA_PUBLIC_URL),
      tempoDatasourceUid: settings.TEMPO_DATASOURCE_UID,
      environment: settings.DEPLOYMENT_ENVIRONMENT,
    },
  };
}

export type StorefrontConfig = ReturnType<typeof loadStorefrontConfig>;
export type BrowserConfig = StorefrontConfig['browser'];
