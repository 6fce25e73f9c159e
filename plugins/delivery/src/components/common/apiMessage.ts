import { ResponseError } from '@backstage/errors';

/**
 * The message of a failed delivery API call, as the backend worded it (the
 * ResponseError's own message is only "Request failed with 409 Conflict").
 */
export function apiMessage(error: Error): string {
  if (error instanceof ResponseError || error.name === 'ResponseError') {
    const body = (error as ResponseError).body;
    if (body?.error?.message) return body.error.message;
  }
  return error.message;
}
