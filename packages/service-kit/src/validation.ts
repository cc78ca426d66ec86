import { UUID_PATTERN } from '@mesh/contracts';
import type { TSchema } from '@sinclair/typebox';
import Ajv, { type ErrorObject, type ValidateFunction } from 'ajv';
import addFormats from 'ajv-formats';
import { AppError, type ProblemDetailPointer } from './errors';

/**
 * One JSON Schema validator (Ajv, the one fastify uses) for every service and framework.
 *
 * Bodies are validated strictly: no type coercion, unknown fields rejected, so `"quantity": "2"`
 * or a misspelt field is a 400 rather than a silent guess. Query strings and path parameters are
 * text on the wire, so those are coerced ("?limit=5" is the integer 5) and get their defaults.
 */
function createAjv(coerce: boolean): Ajv {
  const ajv = new Ajv({
    allErrors: true,
    coerceTypes: coerce,
    useDefaults: coerce,
    removeAdditional: false,
    strict: false,
  });
  addFormats(ajv, ['date-time']);
  // ajv-formats' uuid also accepts "urn:uuid:…", which PostgreSQL's uuid type refuses: a schema
  // that asks for the format gets the plain form that the contracts' UUID_PATTERN describes.
  ajv.addFormat('uuid', new RegExp(UUID_PATTERN));
  return ajv;
}

const strict = createAjv(false);
const coercing = createAjv(true);

export type RequestPart = 'body' | 'querystring' | 'params' | 'headers';

export function compileValidator(schema: TSchema, part: RequestPart): ValidateFunction {
  return (part === 'body' ? strict : coercing).compile(schema);
}

/** Ajv errors as JSON pointers into the request part, e.g. "/items/0/quantity". */
export function pointersOf(errors: ErrorObject[] | null | undefined, part: string) {
  return (errors ?? []).map<ProblemDetailPointer>((error) => {
    const extra =
      error.keyword === 'additionalProperties'
        ? `/${(error.params as { additionalProperty: string }).additionalProperty}`
        : error.keyword === 'required'
          ? `/${(error.params as { missingProperty: string }).missingProperty}`
          : '';
    return {
      pointer: `${part === 'body' ? '' : `${part}:`}${error.instancePath}${extra}` || '/',
      message: error.message ?? 'is not valid',
    };
  });
}

export function invalidRequest(errors: ProblemDetailPointer[]): AppError {
  const first = errors[0];
  return new AppError('invalid-request', {
    detail: first ? `${first.pointer} ${first.message}` : 'The request is not valid.',
    errors,
  });
}

/** Validates `value` in place (coercion and defaults apply) or throws an invalid-request error. */
export function validate<T>(validator: ValidateFunction, value: unknown, part: RequestPart): T {
  if (!validator(value)) throw invalidRequest(pointersOf(validator.errors, part));
  return value as T;
}
