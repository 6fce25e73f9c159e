import { CustomErrorBase } from '@backstage/errors';

/**
 * The request is well formed but refers to something the portal cannot act
 * on, such as a component that is not in the catalog (HTTP 422).
 */
export class UnprocessableEntityError extends CustomErrorBase {
  name = 'UnprocessableEntityError' as const;
  statusCode = 422;
}

/** More live previews than a component may have (HTTP 429). */
export class TooManyPreviewsError extends CustomErrorBase {
  name = 'TooManyPreviewsError' as const;
  statusCode = 429;
}
