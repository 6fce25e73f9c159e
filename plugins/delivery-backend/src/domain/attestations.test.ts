import {
  AttestationFacts,
  AttestationPolicy,
  checkProvenance,
  checkSigner,
  judgeAttestation,
  reportingRefusal,
  SignerFacts,
} from './attestations';
import {
  kindOfPredicate,
  normaliseRepository,
  provenanceFacts,
  repositoryOfAnnotations,
  vulnerabilityCounts,
} from './predicates';

const GITHUB = 'https://token.actions.githubusercontent.com';
const DIGEST = `sha256:${'ab'.repeat(32)}`;

function workflow(repo: string, ref = 'refs/heads/main'): SignerFacts {
  return {
    type: 'certificate',
    issuer: GITHUB,
    subject: `https://github.com/${repo}/.github/workflows/build.yaml@${ref}`,
  };
}

const provenance = provenanceFacts('https://slsa.dev/provenance/v1', {
  buildDefinition: {
    buildType: 'https://actions.github.io/buildtypes/workflow/v1',
    externalParameters: {
      workflow: {
        ref: 'refs/heads/main',
        repository: 'https://github.com/Acme/payments-api',
        path: '.github/workflows/build.yaml',
      },
    },
    resolvedDependencies: [
      {
        uri: 'git+https://github.com/Acme/payments-api@refs/heads/main',
        digest: { gitCommit: 'a1b2c3' },
      },
    ],
  },
  runDetails: {
    builder: { id: 'https://github.com/actions/runner/github-hosted' },
    metadata: {
      invocationId:
        'https://github.com/Acme/payments-api/actions/runs/42/attempts/2',
    },
  },
});

describe('signer policies', () => {
  it('anchors patterns: org/repo never matches org/repo-evil', () => {
    const rules = [
      {
        issuer: GITHUB,
        subjectPattern:
          'https://github\\.com/acme/payments-api/\\.github/workflows/[^@]+@refs/heads/main',
      },
    ];
    expect(
      checkSigner(workflow('acme/payments-api'), rules, undefined),
    ).toEqual({
      ok: true,
    });
    const evil = checkSigner(
      workflow('acme/payments-api-evil'),
      rules,
      undefined,
    );
    expect(evil).toEqual({
      ok: false,
      check: 'identity',
      message: expect.stringContaining(
        'signed by https://github.com/acme/payments-api-evil/.github/workflows/build.yaml@refs/heads/main (issuer https://token.actions.githubusercontent.com), but trusted signers are a subject matching ^(?:https://github',
      ),
    });
    // A pattern that looks like a prefix is still matched whole.
    const prefix = [
      {
        issuer: GITHUB,
        subjectPattern: 'https://github\\.com/acme/payments-api',
      },
    ];
    expect(
      checkSigner(workflow('acme/payments-api'), prefix, undefined).ok,
    ).toBe(false);
  });

  it('matches exact subjects and the issuer exactly', () => {
    const subject = workflow('acme/shop').subject!;
    expect(
      checkSigner(
        workflow('acme/shop'),
        [{ issuer: GITHUB, subject }],
        undefined,
      ).ok,
    ).toBe(true);
    expect(
      checkSigner(
        { ...workflow('acme/shop'), issuer: `${GITHUB}.evil` },
        [{ issuer: GITHUB, subject }],
        undefined,
      ).ok,
    ).toBe(false);
  });

  it("accepts only the component's own workflows when the subject comes from the catalog", () => {
    const rule = {
      issuer: GITHUB,
      subjectFromCatalog: true as const,
      workflows: ['.github/workflows/build.yaml'],
      refs: ['refs/heads/main', 'refs/tags/v*'],
    };
    const source = 'github.com/acme/payments-api';
    expect(checkSigner(workflow('Acme/Payments-API'), [rule], source).ok).toBe(
      true,
    );
    expect(
      checkSigner(
        workflow('acme/payments-api', 'refs/tags/v1.2.0'),
        [rule],
        source,
      ).ok,
    ).toBe(true);
    expect(
      checkSigner(workflow('acme/payments-api-evil'), [rule], source).ok,
    ).toBe(false);
    expect(
      checkSigner(
        workflow('acme/payments-api', 'refs/heads/feature'),
        [rule],
        source,
      ).ok,
    ).toBe(false);
    const missing = checkSigner(
      workflow('acme/payments-api'),
      [rule],
      undefined,
    );
    expect(!missing.ok && missing.message).toMatch(/names no repository/);
  });

  it('trusts a key by its id, and says when nothing is trusted', () => {
    const signer: SignerFacts = { type: 'key', keyId: 'ci' };
    expect(checkSigner(signer, [{ key: 'ci' }], undefined).ok).toBe(true);
    const none = checkSigner(signer, [], undefined);
    expect(!none.ok && none.message).toBe(
      'signed by key ci, but no signer is trusted; configure delivery.supplyChain.signers',
    );
  });
});

describe('provenance', () => {
  it('reads builder, source, commit and run from SLSA v1 and v0.2', () => {
    expect(provenance).toEqual({
      builderId: 'https://github.com/actions/runner/github-hosted',
      buildType: 'https://actions.github.io/buildtypes/workflow/v1',
      sourceUri: 'git+https://github.com/Acme/payments-api@refs/heads/main',
      sourceRepository: 'github.com/acme/payments-api',
      sourceRef: 'refs/heads/main',
      sourceCommit: 'a1b2c3',
      workflow: '.github/workflows/build.yaml',
      runUrl: 'https://github.com/Acme/payments-api/actions/runs/42',
    });
    expect(
      provenanceFacts('https://slsa.dev/provenance/v0.2', {
        builder: {
          id: 'https://github.com/slsa-framework/slsa-github-generator',
        },
        invocation: {
          configSource: {
            uri: 'git+https://github.com/acme/shop@refs/tags/v1.0.0',
            digest: { sha1: 'deadbeef' },
            entryPoint: '.github/workflows/release.yml',
          },
        },
      }),
    ).toEqual(
      expect.objectContaining({
        sourceRepository: 'github.com/acme/shop',
        sourceRef: 'refs/tags/v1.0.0',
        sourceCommit: 'deadbeef',
      }),
    );
  });

  it('checks the builder, the source repository and the ref', () => {
    const policy = {
      builders: ['https://github.com/actions/runner/github-hosted'],
      sourceFromCatalog: true,
      refs: ['refs/heads/main'],
    };
    const source = 'github.com/acme/payments-api';
    expect(checkProvenance(provenance, policy, source)).toEqual({ ok: true });
    expect(
      checkProvenance(
        provenance,
        { ...policy, builders: ['https://builder.example'] },
        source,
      ),
    ).toEqual({
      ok: false,
      check: 'provenance',
      message:
        'built by https://github.com/actions/runner/github-hosted; allowed builders are https://builder.example',
    });
    expect(
      checkProvenance(provenance, policy, 'github.com/acme/other'),
    ).toEqual(
      expect.objectContaining({
        message:
          "built from github.com/acme/payments-api, but the component's repository is github.com/acme/other",
      }),
    );
    expect(
      checkProvenance(
        provenance,
        { ...policy, refs: ['refs/tags/v*'] },
        source,
      ),
    ).toEqual(
      expect.objectContaining({
        message: 'built from refs/heads/main; allowed refs are refs/tags/v*',
      }),
    );
    expect(checkProvenance(undefined, policy, source).ok).toBe(false);
  });
});

describe('judging an attestation', () => {
  const facts: AttestationFacts = {
    mediaType: 'application/vnd.dev.sigstore.bundle.v0.3+json',
    bundleDigest: 'sha256:1',
    content: 'dsse',
    signer: workflow('acme/payments-api'),
    predicateType: 'https://slsa.dev/provenance/v1',
    subjects: [
      {
        name: 'ghcr.io/acme/payments-api',
        digest: { sha256: 'ab'.repeat(32) },
      },
    ],
    provenance,
    signedTimestamps: 0,
  };
  const policy: AttestationPolicy = {
    signers: [
      { issuer: GITHUB, subjectFromCatalog: true, workflows: [], refs: [] },
    ],
    provenance: { builders: [], sourceFromCatalog: true, refs: [] },
  };
  const context = { digest: DIGEST, source: 'github.com/acme/payments-api' };

  it('passes when signer, subject and provenance hold', () => {
    expect(judgeAttestation(facts, 'provenance', policy, context)).toEqual({
      ok: true,
    });
  });

  it("refuses a subject that is not the artifact's sha256, exactly", () => {
    const outcome = judgeAttestation(facts, 'provenance', policy, {
      ...context,
      digest: `sha256:${'cd'.repeat(32)}`,
    });
    expect(outcome).toEqual({
      ok: false,
      check: 'subject',
      message: `attests ghcr.io/acme/payments-api (sha256:${'ab'.repeat(
        6,
      )}…), not sha256:${'cd'.repeat(6)}… (the artifact's sha256 digest)`,
    });
    const sha512 = {
      ...facts,
      subjects: [{ digest: { sha512: 'ab'.repeat(32) } }],
    };
    expect(judgeAttestation(sha512, 'provenance', policy, context).ok).toBe(
      false,
    );
  });
});

describe('who may report what', () => {
  const actor = {
    type: 'service' as const,
    ref: 'github-actions',
    ownershipRefs: [],
  };
  const user = {
    type: 'user' as const,
    ref: 'user:default/alice',
    ownershipRefs: ['user:default/alice', 'group:default/qa'],
  };
  const policy = {
    attestationOnly: ['signature' as const],
    reporters: new Map([
      ['unit-test' as const, ['github-actions', 'group:default/qa']],
    ]),
  };

  it('refuses attestation-only kinds without a bundle, and unlisted reporters', () => {
    expect(reportingRefusal('signature', actor, policy)).toMatch(
      /signature evidence is accepted only as a Sigstore bundle/,
    );
    expect(reportingRefusal('unit-test', actor, policy)).toBeUndefined();
    expect(reportingRefusal('unit-test', user, policy)).toBeUndefined();
    expect(
      reportingRefusal('unit-test', { ...user, ownershipRefs: [] }, policy),
    ).toBe(
      'only github-actions or group:default/qa may report unit-test evidence, not user:default/alice',
    );
    expect(reportingRefusal('image-scan', user, policy)).toBeUndefined();
  });
});

describe('predicates', () => {
  it('knows the kinds of common predicate types', () => {
    expect(kindOfPredicate('https://slsa.dev/provenance/v1')).toBe(
      'provenance',
    );
    expect(kindOfPredicate('https://spdx.dev/Document/v2.3')).toBe('sbom');
    expect(kindOfPredicate('https://cyclonedx.org/bom')).toBe('sbom');
    expect(
      kindOfPredicate('https://cosign.sigstore.dev/attestation/vuln/v1'),
    ).toBe('image-scan');
    expect(kindOfPredicate('https://sigstore.dev/cosign/sign/v1')).toBe(
      'signature',
    );
    expect(kindOfPredicate('https://example.com/custom')).toBeUndefined();
  });

  it('normalises repositories from URLs and catalog annotations', () => {
    expect(normaliseRepository('git+https://github.com/Acme/Shop.git')).toBe(
      'github.com/acme/shop',
    );
    expect(normaliseRepository('git@github.com:acme/shop.git')).toBe(
      'github.com/acme/shop',
    );
    expect(
      repositoryOfAnnotations({ 'github.com/project-slug': 'Acme/Shop' }),
    ).toBe('github.com/acme/shop');
    expect(
      repositoryOfAnnotations({
        'backstage.io/source-location':
          'url:https://github.com/acme/shop/tree/main/',
      }),
    ).toBe('github.com/acme/shop');
    expect(repositoryOfAnnotations({})).toBeUndefined();
  });

  it('counts vulnerabilities of a cosign vuln attestation by severity', () => {
    expect(
      vulnerabilityCounts({
        scanner: {
          result: {
            Results: [
              {
                Vulnerabilities: [
                  { Severity: 'CRITICAL' },
                  { Severity: 'HIGH' },
                  { Severity: 'HIGH' },
                ],
              },
              { Vulnerabilities: [{ Severity: 'LOW' }] },
              {},
            ],
          },
        },
      }),
    ).toEqual({ critical: 1, high: 2, medium: 0, low: 1 });
    expect(vulnerabilityCounts({})).toBeUndefined();
  });
});
