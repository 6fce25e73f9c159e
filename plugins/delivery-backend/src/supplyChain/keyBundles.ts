import { createPrivateKey, KeyObject, sign } from 'node:crypto';

const IN_TOTO = 'application/vnd.in-toto+json';

/** An in-toto v1 statement about one image digest. */
export function inTotoStatement(options: {
  name: string;
  digest: string;
  predicateType: string;
  predicate: unknown;
}) {
  return {
    _type: 'https://in-toto.io/Statement/v1',
    subject: [
      {
        name: options.name,
        digest: { sha256: options.digest.replace(/^sha256:/, '') },
      },
    ],
    predicateType: options.predicateType,
    predicate: options.predicate,
  };
}

/** DSSE's pre-authentication encoding, what the signature covers. */
function pae(type: string, body: Buffer): Buffer {
  return Buffer.concat([
    Buffer.from(`DSSEv1 ${Buffer.byteLength(type)} ${type} ${body.length} `),
    body,
  ]);
}

/**
 * A Sigstore bundle (v0.3) signed with a key, as `cosign attest --key
 * --tlog-upload=false --new-bundle-format` writes it: a DSSE envelope over
 * the statement, the key named by its hint, no transparency-log entry. The
 * demo signs its attestations with this; verification treats the result as
 * any other bundle.
 */
export function signWithKey(
  statement: unknown,
  key: { id: string; privateKey: string | KeyObject },
): Record<string, unknown> {
  const privateKey =
    typeof key.privateKey === 'string'
      ? createPrivateKey(key.privateKey)
      : key.privateKey;
  const payload = Buffer.from(JSON.stringify(statement));
  const signature = sign('sha256', pae(IN_TOTO, payload), privateKey);
  return {
    mediaType: 'application/vnd.dev.sigstore.bundle.v0.3+json',
    verificationMaterial: {
      publicKey: { hint: key.id },
      tlogEntries: [],
      timestampVerificationData: { rfc3161Timestamps: [] },
    },
    dsseEnvelope: {
      payload: payload.toString('base64'),
      payloadType: IN_TOTO,
      signatures: [{ sig: signature.toString('base64'), keyid: '' }],
    },
  };
}

/** A SLSA v1 provenance predicate as `actions/attest-build-provenance` writes it. */
export function githubProvenance(options: {
  repository: string;
  ref: string;
  commit: string;
  workflow: string;
  runId: string | number;
  builderId?: string;
}) {
  const repo = `https://github.com/${options.repository}`;
  return {
    buildDefinition: {
      buildType: 'https://actions.github.io/buildtypes/workflow/v1',
      externalParameters: {
        workflow: {
          ref: options.ref,
          repository: repo,
          path: options.workflow,
        },
      },
      resolvedDependencies: [
        {
          uri: `git+${repo}@${options.ref}`,
          digest: { gitCommit: options.commit },
        },
      ],
    },
    runDetails: {
      builder: {
        id:
          options.builderId ??
          'https://github.com/actions/runner/github-hosted',
      },
      metadata: {
        invocationId: `${repo}/actions/runs/${options.runId}/attempts/1`,
      },
    },
  };
}
