/**
 * The Delivery for Backstage backend plugin.
 *
 * @packageDocumentation
 */

export { deliveryPlugin as default } from './plugin';
/**
 * Key-signed Sigstore bundles, as `cosign attest --key` writes them: for
 * tests and demos that post attestations to a portal trusting the key.
 */
export {
  githubProvenance,
  inTotoStatement,
  signWithKey,
} from './supplyChain/keyBundles';
