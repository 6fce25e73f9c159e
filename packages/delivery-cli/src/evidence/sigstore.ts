import { CliError, ExitCode } from '../exitCodes';

export interface BundleFacts {
  /** `signature` for a signature, `provenance` for a SLSA provenance attestation. */
  kind: 'signature' | 'provenance';
  /** What the bundle says about itself, for the log. */
  description: string;
}

const BUNDLE_MEDIA_TYPE =
  /^application\/vnd\.dev\.sigstore\.bundle(\.v[0-9.]+)?(\+json)?(;version=[0-9.]+)?$/;

/**
 * Checks the shape of a Sigstore bundle (cosign `--bundle`, or
 * actions/attest-build-provenance) and that an attestation's subject is the
 * image digest. The portal records it as `reported` evidence: this does not
 * verify the signature cryptographically (that needs the Sigstore trust root).
 */
export function inspectBundle(
  json: string,
  file: string,
  digest: string,
): BundleFacts {
  let bundle: any;
  try {
    bundle = JSON.parse(json);
  } catch (error) {
    throw new CliError(
      `${file} is not JSON: ${(error as Error).message}`,
      ExitCode.BAD_INPUT,
    );
  }
  if (!BUNDLE_MEDIA_TYPE.test(String(bundle?.mediaType ?? ''))) {
    throw new CliError(
      `${file} is not a Sigstore bundle (mediaType ${JSON.stringify(
        bundle?.mediaType ?? null,
      )})`,
      ExitCode.BAD_INPUT,
    );
  }
  if (!bundle.verificationMaterial) {
    throw new CliError(
      `${file} has no verificationMaterial`,
      ExitCode.BAD_INPUT,
    );
  }
  if (bundle.dsseEnvelope) {
    let statement: any;
    try {
      statement = JSON.parse(
        Buffer.from(bundle.dsseEnvelope.payload ?? '', 'base64').toString(
          'utf8',
        ),
      );
    } catch {
      throw new CliError(
        `${file}: the DSSE payload is not an in-toto statement`,
        ExitCode.BAD_INPUT,
      );
    }
    const hex = digest.replace(/^sha256:/, '');
    const subjects: any[] = statement?.subject ?? [];
    if (!subjects.some(s => s?.digest?.sha256 === hex)) {
      throw new CliError(
        `${file} attests ${
          subjects.map(s => `sha256:${s?.digest?.sha256}`).join(', ') ||
          'no subject'
        }, not ${digest}`,
        ExitCode.BAD_INPUT,
      );
    }
    const predicateType = String(statement.predicateType ?? '');
    return {
      kind: /slsa\.dev\/provenance/.test(predicateType)
        ? 'provenance'
        : 'signature',
      description: `attestation ${predicateType || 'without a predicate type'}`,
    };
  }
  if (bundle.messageSignature) {
    return { kind: 'signature', description: 'message signature' };
  }
  throw new CliError(
    `${file} holds neither a messageSignature nor a dsseEnvelope`,
    ExitCode.BAD_INPUT,
  );
}
