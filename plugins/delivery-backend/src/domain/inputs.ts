/**
 * Why a URL from a client is refused: links must be https, or http where
 * `delivery.allowHttpUrls` is set (the contract already refuses every other
 * scheme, such as `javascript:`).
 */
export function urlRefusal(
  field: string,
  url: string | undefined,
  allowHttp: boolean,
): string | undefined {
  if (url === undefined || /^https:\/\//i.test(url)) return undefined;
  if (allowHttp && /^http:\/\//i.test(url)) return undefined;
  const scheme = /^([a-z][a-z0-9+.-]*):/i.exec(url)?.[1] ?? 'no scheme';
  return `${field} must be an https URL, not ${scheme}${
    allowHttp ? '' : ' (set delivery.allowHttpUrls to accept http links)'
  }`;
}
