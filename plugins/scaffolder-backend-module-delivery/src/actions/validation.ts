/** A Kubernetes label value: the Kubernetes id becomes one on every workload. */
export const LABEL_VALUE = /^(([A-Za-z0-9][-A-Za-z0-9_.]*)?[A-Za-z0-9])?$/;
/** Ladder and environment names are keys in the app config. */
export const LADDER_NAME = /^[a-z0-9]([-a-z0-9]*[a-z0-9])?$/;
/** A DNS label (RFC 1123): what a Kubernetes namespace name must be. */
export const DNS_LABEL = /^[a-z0-9]([-a-z0-9]{0,61}[a-z0-9])?$/;
/** An image repository without tag or digest, e.g. ghcr.io/acme/orders. */
export const IMAGE_REPOSITORY =
  /^[a-z0-9]+([._-][a-z0-9]+)*(:[0-9]+)?(\/[a-z0-9]+([._-][a-z0-9]+)*)*$/;
