import type { EnvironmentConfig, LadderConfig } from '../config/types';
import {
  decide,
  deployTimeChecks,
  describeDeployRefusal,
  describeRefusal,
  evaluateGates,
  GateInput,
  hotfixWouldPass,
  soakProgress,
} from './gates';
import { Evidence, GateName } from './types';

const HOUR = 3600_000;
const NOW = Date.parse('2026-11-25T10:00:00Z'); // a Wednesday
const DIGEST = `sha256:${'ab12cd34ef56'.padEnd(64, '0')}`;

function env(overrides: Partial<EnvironmentConfig> = {}): EnvironmentConfig {
  return {
    name: 'production',
    title: 'Production',
    namespace: '{component}-{environment}',
    requiredEvidence: [],
    verifiedEvidence: [],
    attestationPolicy: {
      signers: [{ key: 'ci' }],
      provenance: { builders: [], sourceFromCatalog: false, refs: [] },
    },
    soakTimeMs: 0,
    approvals: { count: 0, groups: [] },
    strategy: 'rolling',
    rollbackThresholds: {},
    rollbackRequiresApprovals: false,
    executor: { type: 'external' },
    ...overrides,
  };
}

const staging = env({ name: 'staging', title: 'Staging' });
const ladder: LadderConfig = {
  name: 'standard',
  title: 'Standard',
  environments: [env({ name: 'dev' }), staging, env()],
};

function evidence(
  kind: Evidence['kind'],
  result: 'passed' | 'failed',
  summary?: Evidence['summary'],
): Evidence {
  return {
    id: 1,
    artifactId: 'a1',
    kind,
    result,
    status: 'reported',
    summary,
    reportedBy: 'service:ci',
    reportedAt: NOW - HOUR,
  };
}

function input(overrides: Partial<GateInput> = {}): GateInput {
  return {
    now: NOW,
    kind: 'normal',
    ladder,
    environment: env(),
    previousEnvironment: staging,
    artifact: {
      id: 'a1',
      componentRef: 'component:default/payments-api',
      digest: DIGEST,
      imageRepository: 'ghcr.io/acme/payments-api',
      tags: ['1.4.0'],
      commitSha: 'c0ffee',
      sizeBytes: 120e6,
      createdBy: 'service:ci',
      createdAt: NOW - 3 * HOUR,
    },
    previousRelease: { releasedAt: NOW - 5 * HOUR, rolledBack: false },
    releasedIn: ['dev', 'staging'],
    evidence: [],
    attestations: [],
    imagePolicy: { forbiddenTags: [] },
    ...overrides,
  };
}

function gate(gates: ReturnType<typeof evaluateGates>, name: GateName) {
  return gates.find(g => g.gate === name)!;
}

describe('evaluateGates', () => {
  it('lets a clean build through every gate', () => {
    const gates = evaluateGates(input());
    expect(gates.map(g => [g.gate, g.verdict])).toEqual([
      ['quarantine', 'passed'],
      ['release', 'passed'],
      ['ladder', 'passed'],
      ['soak', 'passed'],
      ['evidence', 'passed'],
      ['image-policy', 'passed'],
      ['window', 'passed'],
      ['approvals', 'passed'],
    ]);
    expect(decide(gates)).toBe('approved');
    expect(gate(gates, 'ladder').message).toBe(
      'staging released sha256:ab12cd34ef56… 5 h ago',
    );
  });

  describe('quarantine', () => {
    it('refuses a quarantined artifact, saying who and why', () => {
      const gates = evaluateGates(
        input({
          quarantine: {
            id: 1,
            artifactId: 'a1',
            reason: 'CVE-2026-1234 in libfoo',
            quarantinedBy: 'user:default/carol',
            quarantinedAt: NOW - 2 * HOUR,
          },
        }),
      );
      expect(gate(gates, 'quarantine')).toEqual({
        gate: 'quarantine',
        verdict: 'failed',
        message:
          'sha256:ab12cd34ef56… was quarantined by user:default/carol 2 h ago: CVE-2026-1234 in libfoo; lift the quarantine or promote another build',
      });
      expect(decide(gates)).toBe('refused');
    });

    it('applies to rollbacks too', () => {
      const gates = evaluateGates(
        input({
          kind: 'rollback',
          quarantine: {
            id: 1,
            artifactId: 'a1',
            reason: 'bad',
            quarantinedBy: 'user:default/carol',
            quarantinedAt: NOW,
          },
        }),
      );
      expect(decide(gates)).toBe('refused');
    });
  });

  describe('release', () => {
    it('refuses the artifact that is already released there', () => {
      const gates = evaluateGates(
        input({
          currentRelease: {
            componentRef: 'component:default/payments-api',
            environment: 'production',
            promotionId: 'p1',
            artifactId: 'a1',
            releasedAt: NOW - 24 * HOUR,
            releasedBy: 'user:default/alice',
          },
        }),
      );
      expect(gate(gates, 'release')).toMatchObject({
        verdict: 'failed',
        message:
          'sha256:ab12cd34ef56… is already released in production (since 1 d ago)',
      });
    });
  });

  describe('ladder', () => {
    it('passes the first environment of the ladder', () => {
      const gates = evaluateGates(
        input({
          environment: env({ name: 'dev' }),
          previousEnvironment: undefined,
        }),
      );
      expect(gate(gates, 'ladder')).toMatchObject({
        verdict: 'passed',
        message: 'dev is the first environment of the standard ladder',
      });
    });

    it('refuses skipping an environment, saying where the build is', () => {
      const gates = evaluateGates(
        input({ previousRelease: undefined, releasedIn: ['dev'] }),
      );
      expect(gate(gates, 'ladder')).toEqual({
        gate: 'ladder',
        verdict: 'failed',
        message:
          'staging has not released sha256:ab12cd34ef56…; it was built 3 h ago and is only in dev. Promote it to staging first',
      });
      const soaking = evaluateGates(
        input({
          environment: env({ soakTimeMs: 2 * HOUR }),
          previousRelease: undefined,
        }),
      );
      expect(gate(soaking, 'soak')).toMatchObject({
        verdict: 'skipped',
        message: 'needs 2 h in staging once released there',
      });
    });

    it('says when the build is released nowhere', () => {
      const gates = evaluateGates(
        input({ previousRelease: undefined, releasedIn: [] }),
      );
      expect(gate(gates, 'ladder').message).toContain(
        'and is not released anywhere yet',
      );
    });

    it('refuses a build the previous environment rolled back', () => {
      const gates = evaluateGates(
        input({
          previousRelease: {
            releasedAt: NOW - 5 * HOUR,
            endedAt: NOW - 4 * HOUR,
            rolledBack: true,
          },
        }),
      );
      expect(gate(gates, 'ladder')).toMatchObject({
        verdict: 'failed',
        message:
          'staging rolled sha256:ab12cd34ef56… back 4 h ago; promote a newer build',
      });
    });

    it('is skipped for rollbacks', () => {
      const gates = evaluateGates(
        input({ kind: 'rollback', previousRelease: undefined }),
      );
      expect(gate(gates, 'ladder').verdict).toBe('skipped');
      expect(decide(gates)).toBe('approved');
    });
  });

  describe('soak', () => {
    const soaking = env({ soakTimeMs: 2 * HOUR });

    it('refuses a build that has not soaked long enough, saying how long to go', () => {
      const gates = evaluateGates(
        input({
          environment: soaking,
          previousRelease: { releasedAt: NOW - 40 * 60_000, rolledBack: false },
        }),
      );
      expect(gate(gates, 'soak')).toEqual({
        gate: 'soak',
        verdict: 'failed',
        message: 'has soaked 40 min in staging; 2 h required, 1 h 20 min to go',
      });
    });

    it('passes once the soak time has elapsed', () => {
      const gates = evaluateGates(input({ environment: soaking }));
      expect(gate(gates, 'soak')).toMatchObject({
        verdict: 'passed',
        message: 'soaked 5 h in staging (2 h required)',
      });
    });

    it('counts only the time the build was released, if it was replaced', () => {
      const gates = evaluateGates(
        input({
          environment: soaking,
          previousRelease: {
            releasedAt: NOW - 5 * HOUR,
            endedAt: NOW - 4.5 * HOUR,
            rolledBack: false,
          },
        }),
      );
      expect(gate(gates, 'soak')).toMatchObject({
        verdict: 'failed',
        message:
          'has soaked 30 min in staging; 2 h required; it was replaced in staging before the soak time ended',
      });
    });
  });

  describe('evidence', () => {
    const strict = env({
      requiredEvidence: ['unit-test', 'image-scan', 'signature'],
    });

    it('passes when the latest result of each required kind passed', () => {
      const gates = evaluateGates(
        input({
          environment: strict,
          evidence: [
            evidence('unit-test', 'passed'),
            evidence('image-scan', 'passed'),
            evidence('signature', 'passed'),
          ],
        }),
      );
      expect(gate(gates, 'evidence')).toMatchObject({
        verdict: 'passed',
        message: 'unit-test, image-scan and signature passed',
      });
    });

    it('names missing and failed evidence', () => {
      const gates = evaluateGates(
        input({
          environment: strict,
          evidence: [
            evidence('unit-test', 'failed', {
              tests: { passed: 328, failed: 12 },
            }),
            evidence('image-scan', 'passed'),
          ],
        }),
      );
      expect(gate(gates, 'evidence')).toEqual({
        gate: 'evidence',
        verdict: 'failed',
        message:
          'production requires unit-test, image-scan and signature: no signature reported; latest unit-test (12 of 340 tests failed) failed',
      });
    });

    describe('kinds that must be verified', () => {
      const verifying = env({
        requiredEvidence: ['signature', 'provenance'],
        verifiedEvidence: ['signature', 'provenance'],
      });
      const attested = (kind: Evidence['kind'], id: number): Evidence => ({
        ...evidence(kind, 'passed'),
        id,
        status: 'verified',
      });

      it('passes on attestations that still verify under the policy', () => {
        const gates = evaluateGates(
          input({
            environment: verifying,
            evidence: [attested('signature', 1), attested('provenance', 2)],
            attestations: [
              { evidence: attested('signature', 1), outcome: { ok: true } },
              { evidence: attested('provenance', 2), outcome: { ok: true } },
            ],
          }),
        );
        expect(gate(gates, 'evidence')).toEqual({
          gate: 'evidence',
          verdict: 'passed',
          message: 'signature (verified) and provenance (verified) passed',
        });
      });

      it('says which kind is missing, only reported, or failed verification', () => {
        const gates = evaluateGates(
          input({
            environment: verifying,
            evidence: [evidence('signature', 'passed')],
            attestations: [
              {
                evidence: attested('provenance', 2),
                outcome: {
                  ok: false,
                  check: 'provenance',
                  message: 'built by https://evil.example/builder',
                },
              },
            ],
          }),
        );
        expect(gate(gates, 'evidence')).toEqual({
          gate: 'evidence',
          verdict: 'failed',
          message:
            'production requires signature (verified) and provenance (verified): signature was only reported by service:ci, not verified; provenance failed verification (provenance: built by https://evil.example/builder)',
        });
        const missing = evaluateGates(input({ environment: verifying }));
        expect(gate(missing, 'evidence').message).toBe(
          'production requires signature (verified) and provenance (verified): no signature and provenance reported',
        );
      });

      it('counts one verified attestation even when another of the kind fails', () => {
        const gates = evaluateGates(
          input({
            environment: env({
              requiredEvidence: ['signature'],
              verifiedEvidence: ['signature'],
            }),
            evidence: [attested('signature', 2)],
            attestations: [
              {
                evidence: attested('signature', 1),
                outcome: { ok: false, check: 'identity', message: 'x' },
              },
              { evidence: attested('signature', 2), outcome: { ok: true } },
            ],
          }),
        );
        expect(gate(gates, 'evidence').verdict).toBe('passed');
      });
    });
  });

  describe('image policy', () => {
    it('refuses forbidden tags', () => {
      const gates = evaluateGates(
        input({
          imagePolicy: { forbiddenTags: ['latest'] },
          artifact: { ...input().artifact, tags: ['1.4.0', 'latest'] },
        }),
      );
      expect(gate(gates, 'image-policy')).toMatchObject({
        verdict: 'failed',
        message: 'carries the forbidden tag latest',
      });
    });

    it('refuses images over the size limit, and images of unknown size', () => {
      const big = evaluateGates(
        input({
          imagePolicy: { forbiddenTags: [], maxSizeBytes: 800e6 },
          artifact: { ...input().artifact, sizeBytes: 1.25e9 },
        }),
      );
      expect(gate(big, 'image-policy').message).toBe(
        'the image is 1.3 GB; the limit is 800 MB',
      );
      const unknown = evaluateGates(
        input({
          imagePolicy: { forbiddenTags: [], maxSizeBytes: 800e6 },
          artifact: { ...input().artifact, sizeBytes: undefined },
        }),
      );
      expect(gate(unknown, 'image-policy')).toMatchObject({
        verdict: 'failed',
        message: 'its size was not reported; images may be at most 800 MB',
      });
    });

    it('applies the environment vulnerability limits to the latest scan', () => {
      const limited = env({
        vulnerabilityLimits: { maxCritical: 0, maxHigh: 3 },
      });
      const over = evaluateGates(
        input({
          environment: limited,
          evidence: [
            evidence('image-scan', 'passed', {
              vulnerabilities: { critical: 2, high: 5, medium: 20 },
            }),
          ],
        }),
      );
      expect(gate(over, 'image-policy').message).toBe(
        'the image scan found 2 critical (max 0) and 5 high (max 3) vulnerabilities',
      );
      const noScan = evaluateGates(input({ environment: limited }));
      expect(gate(noScan, 'image-policy').message).toBe(
        'no image scan with vulnerability counts; production allows at most 0 critical and 3 high',
      );
      const clean = evaluateGates(
        input({
          environment: limited,
          evidence: [
            evidence('image-scan', 'passed', {
              vulnerabilities: { critical: 0, high: 3 },
            }),
          ],
        }),
      );
      expect(gate(clean, 'image-policy')).toMatchObject({
        verdict: 'passed',
        message: '0 critical and 3 high vulnerabilities',
      });
    });
  });

  describe('window', () => {
    const windowed = env({
      windows: {
        timezone: 'Europe/Berlin',
        allow: [
          {
            days: [1, 2, 3, 4, 5],
            fromMinute: 8 * 60,
            toMinute: 18 * 60,
            label: 'mon,tue,wed,thu,fri 08:00-18:00 Europe/Berlin',
          },
        ],
        freezes: [
          {
            from: Date.parse('2026-12-19T23:00:00Z'),
            to: Date.parse('2027-01-03T23:00:00Z'),
            reason: 'Year end',
          },
        ],
      },
    });

    it('passes inside a window', () => {
      // Wednesday 11:00 in Berlin.
      expect(
        gate(evaluateGates(input({ environment: windowed })), 'window'),
      ).toMatchObject({
        verdict: 'passed',
        message: 'inside a deploy window',
      });
    });

    it('refuses outside the windows, saying when the next one opens', () => {
      const saturday = Date.parse('2026-11-28T12:00:00Z');
      expect(
        gate(
          evaluateGates(input({ environment: windowed, now: saturday })),
          'window',
        ),
      ).toEqual({
        gate: 'window',
        verdict: 'failed',
        message:
          'production deploys only mon,tue,wed,thu,fri 08:00-18:00 Europe/Berlin; the next window opens Mon 30 Nov 08:00 Europe/Berlin; request a hotfix if this cannot wait',
      });
    });

    it('refuses during a freeze, with its reason', () => {
      const christmas = Date.parse('2026-12-23T10:00:00Z');
      expect(
        gate(
          evaluateGates(input({ environment: windowed, now: christmas })),
          'window',
        ).message,
      ).toBe(
        'production is frozen until Mon 4 Jan 00:00 Europe/Berlin (Year end); request a hotfix if this cannot wait',
      );
    });

    it('lets a hotfix through, saying what it overrides', () => {
      const christmas = Date.parse('2026-12-23T10:00:00Z');
      const gates = evaluateGates(
        input({ environment: windowed, now: christmas, kind: 'hotfix' }),
      );
      expect(gate(gates, 'window')).toMatchObject({
        verdict: 'passed',
        message:
          'hotfix overrides: production is frozen until Mon 4 Jan 00:00 Europe/Berlin (Year end)',
      });
      expect(decide(gates)).toBe('approved');
    });

    it('does not bind rollbacks', () => {
      const christmas = Date.parse('2026-12-23T10:00:00Z');
      expect(
        gate(
          evaluateGates(
            input({ environment: windowed, now: christmas, kind: 'rollback' }),
          ),
          'window',
        ).verdict,
      ).toBe('skipped');
    });
  });

  describe('approvals', () => {
    const guarded = env({
      approvals: {
        count: 2,
        groups: ['group:default/platform', 'group:default/team-payments'],
      },
    });

    it('leaves the promotion awaiting approval', () => {
      const gates = evaluateGates(input({ environment: guarded }));
      expect(gate(gates, 'approvals')).toEqual({
        gate: 'approvals',
        verdict: 'pending',
        message:
          'needs 2 approvals from members of group:default/platform and group:default/team-payments, not the requester',
      });
      expect(decide(gates)).toBe('awaiting-approval');
    });

    it('needs none for rollbacks unless configured', () => {
      expect(
        decide(
          evaluateGates(input({ environment: guarded, kind: 'rollback' })),
        ),
      ).toBe('approved');
      expect(
        decide(
          evaluateGates(
            input({
              environment: { ...guarded, rollbackRequiresApprovals: true },
              kind: 'rollback',
            }),
          ),
        ),
      ).toBe('awaiting-approval');
    });

    it('does not make a refused promotion wait for approvals', () => {
      const gates = evaluateGates(
        input({ environment: guarded, previousRelease: undefined }),
      );
      expect(decide(gates)).toBe('refused');
    });
  });
});

describe('describeRefusal', () => {
  it('lists each failed gate', () => {
    const gates = evaluateGates(
      input({
        previousRelease: undefined,
        releasedIn: ['dev'],
        imagePolicy: { forbiddenTags: ['latest'] },
        artifact: { ...input().artifact, tags: ['latest'] },
      }),
    );
    expect(describeRefusal(gates, 'production', DIGEST)).toBe(
      'Promotion of sha256:ab12cd34ef56… to production refused: [ladder] staging has not released sha256:ab12cd34ef56…; it was built 3 h ago and is only in dev. Promote it to staging first; [image-policy] carries the forbidden tag latest',
    );
  });
});

describe('deployTimeChecks', () => {
  const berlin = {
    timezone: 'Europe/Berlin',
    allow: [],
    freezes: [{ from: NOW - HOUR, to: NOW + HOUR, reason: 'Launch day' }],
  };
  const quarantine = {
    id: 1,
    artifactId: 'a1',
    reason: 'CVE-2026-1234',
    quarantinedBy: 'user:default/carol',
    quarantinedAt: NOW - HOUR,
  };

  it('lets a deployment go ahead when nothing changed since the request', () => {
    expect(deployTimeChecks(input())).toEqual([]);
  });

  it('stops a quarantined build for every kind, rollbacks included', () => {
    for (const kind of ['normal', 'hotfix', 'rollback'] as const) {
      const failed = deployTimeChecks(input({ kind, quarantine }));
      expect(failed.map(g => g.gate)).toEqual(['quarantine']);
    }
  });

  it('stops a normal deployment in a freeze with the same words as the gate, but not a hotfix or rollback', () => {
    const environment = env({ windows: berlin });
    const [window] = deployTimeChecks(input({ environment }));
    expect(window).toEqual(
      gate(evaluateGates(input({ environment })), 'window'),
    );
    expect(describeDeployRefusal([window], 'production', DIGEST)).toMatch(
      /^Cannot deploy sha256:ab12cd34ef56… to production now: \[window\] production is frozen until .* \(Launch day\); request a hotfix/,
    );
    expect(deployTimeChecks(input({ environment, kind: 'hotfix' }))).toEqual(
      [],
    );
    expect(deployTimeChecks(input({ environment, kind: 'rollback' }))).toEqual(
      [],
    );
  });

  it('stops a build whose required evidence failed since the request, before deploying and before release', () => {
    const environment = env({ requiredEvidence: ['image-scan'] });
    const failedScan = [evidence('image-scan', 'failed')];
    for (const moment of ['deploy', 'release'] as const) {
      expect(
        deployTimeChecks(
          input({ environment, evidence: failedScan }),
          moment,
        ).map(g => g.gate),
      ).toEqual(['evidence']);
    }
    expect(
      deployTimeChecks(
        input({ environment, evidence: failedScan, kind: 'rollback' }),
      ),
    ).toEqual([]);
  });

  it('lets a rollout that started inside its window be released in a freeze', () => {
    const environment = env({ windows: berlin });
    expect(deployTimeChecks(input({ environment }), 'release')).toEqual([]);
    expect(
      describeDeployRefusal(
        deployTimeChecks(input({ quarantine }), 'release'),
        'production',
        DIGEST,
        'release',
      ),
    ).toMatch(
      /^Cannot release sha256:ab12cd34ef56… in production now: \[quarantine\]/,
    );
  });

  it('checks only the quarantine when the environment left the config', () => {
    expect(
      deployTimeChecks({ ...input({ quarantine }), environment: undefined }),
    ).toHaveLength(1);
    expect(deployTimeChecks({ ...input(), environment: undefined })).toEqual(
      [],
    );
  });
});

describe('soakProgress', () => {
  it('reports time soaked against the soak required, once released before', () => {
    const environment = env({ soakTimeMs: 2 * HOUR });
    expect(soakProgress(input({ environment }))).toEqual({
      requiredMs: 2 * HOUR,
      soakedMs: 5 * HOUR,
    });
    expect(
      soakProgress(
        input({
          environment,
          previousRelease: {
            releasedAt: NOW - 5 * HOUR,
            endedAt: NOW - 4 * HOUR,
            rolledBack: false,
          },
        }),
      ),
    ).toEqual({ requiredMs: 2 * HOUR, soakedMs: HOUR });
    expect(soakProgress(input())).toBeUndefined();
    expect(
      soakProgress(input({ environment, previousRelease: undefined })),
    ).toBeUndefined();
  });
});

describe('hotfixWouldPass', () => {
  const frozen = env({
    windows: {
      timezone: 'UTC',
      allow: [],
      freezes: [{ from: NOW - HOUR, to: NOW + HOUR }],
    },
  });

  it('is true only when deploy windows are all that block', () => {
    expect(hotfixWouldPass(input({ environment: frozen }))).toBe(true);
    expect(hotfixWouldPass(input())).toBe(false); // nothing blocks
    expect(
      hotfixWouldPass(
        input({
          environment: { ...frozen, requiredEvidence: ['unit-test'] },
        }),
      ),
    ).toBe(false); // evidence blocks too
    expect(
      hotfixWouldPass(input({ environment: frozen, kind: 'rollback' })),
    ).toBe(false);
  });
});
