// Not yet in the stable semantic conventions export, so named here.
// https://opentelemetry.io/docs/specs/semconv/resource/deployment-environment/
export const ATTR_DEPLOYMENT_ENVIRONMENT_NAME = 'deployment.environment.name';
