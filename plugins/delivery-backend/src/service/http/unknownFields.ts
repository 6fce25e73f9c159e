import { InputError } from '@backstage/errors';
import { RequestHandler } from 'express';

/** Fields the server sets; a client that sends one is told so. */
const SERVER_OWNED = new Set([
  'id',
  'state',
  'createdAt',
  'updatedAt',
  'completedAt',
  'wentLiveAt',
  'createdBy',
  'requestedBy',
  'reportedBy',
  'reportedAt',
  'status',
  'approvals',
  'gates',
  'releases',
  'evidence',
  'quarantine',
  'outcome',
]);

type Schema = {
  $ref?: string;
  type?: string;
  properties?: Record<string, Schema>;
  additionalProperties?: boolean | Schema;
  items?: Schema;
};

/**
 * Refuses request bodies with fields the contract does not define, naming
 * the field (the OpenAPI validator that runs next says only "must NOT have
 * additional properties"). Driven by the spec: every object schema with
 * `additionalProperties: false`, at any depth.
 */
export function rejectUnknownFields(spec: any): RequestHandler {
  const resolve = (schema: Schema): Schema => {
    let current = schema;
    while (current?.$ref) {
      const path = current.$ref.replace(/^#\//, '').split('/');
      current = path.reduce((node: any, key) => node?.[key], spec);
    }
    return current;
  };

  const operations = Object.entries<any>(spec.paths).flatMap(
    ([template, item]) =>
      Object.entries<any>(item).flatMap(([method, operation]) => {
        const schema =
          operation?.requestBody?.content?.['application/json']?.schema;
        if (!schema) return [];
        const pattern = new RegExp(
          `^${template.replace(/\{[^}]+\}/g, '[^/]+')}$`,
        );
        return [{ method: method.toUpperCase(), pattern, schema }];
      }),
  );

  const walk = (raw: Schema, value: unknown, path: string) => {
    const schema = resolve(raw);
    if (!schema || value === null || typeof value !== 'object') return;
    if (Array.isArray(value)) {
      if (schema.items)
        value.forEach((v, i) => walk(schema.items!, v, `${path}[${i}]`));
      return;
    }
    const properties = schema.properties ?? {};
    for (const [key, child] of Object.entries(value)) {
      const field = path ? `${path}.${key}` : key;
      if (!(key in properties)) {
        if (schema.additionalProperties === false) {
          throw new InputError(
            SERVER_OWNED.has(key)
              ? `'${field}' is set by the server and cannot be sent`
              : `Unknown field '${field}' in the request body; expected ${Object.keys(
                  properties,
                ).join(', ')}`,
          );
        }
        continue;
      }
      walk(properties[key], child, field);
    }
  };

  return (req, _res, next) => {
    const operation = operations.find(
      o => o.method === req.method && o.pattern.test(req.path),
    );
    if (operation && req.body !== undefined) {
      walk(operation.schema, req.body, '');
    }
    next();
  };
}
