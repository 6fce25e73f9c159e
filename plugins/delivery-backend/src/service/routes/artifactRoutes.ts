import {
  deliveryArtifactLiftPermission,
  deliveryArtifactQuarantinePermission,
  deliveryArtifactRecordPermission,
} from '@backstage-delivery/plugin-delivery-common';
import { describeSigner } from '../../domain/attestations';
import { ArtifactService } from '../artifacts/ArtifactService';
import { AttestationService } from '../artifacts/AttestationService';
import { componentRef } from '../components';
import { idempotencyKeyOf } from '../http/idempotency';
import { ApiRouter, RequestContext } from '../http/requestContext';
import {
  artifactDetailJson,
  artifactJson,
  evidenceJson,
} from '../http/serialize';
import { DEFAULT_PAGE_SIZE } from './limits';

/** Builds, their evidence and quarantines. */
export function artifactRoutes(
  api: ApiRouter,
  ctx: RequestContext,
  artifacts: ArtifactService,
  attestations: AttestationService,
) {
  api.post('/artifacts', async (req, res) => {
    const { credentials, actor } = await ctx.caller(req, ['user', 'service']);
    const body = req.body;
    const ref = componentRef(body.component);
    const { artifact, created } = await ctx.audited(
      req,
      {
        eventId: 'artifact-mutate',
        severityLevel: 'low',
        meta: { actionType: 'record', component: ref, digest: body.digest },
      },
      async () => {
        await ctx.authorize(credentials, deliveryArtifactRecordPermission, ref);
        return artifacts.recordArtifact(
          {
            componentRef: ref,
            digest: body.digest,
            imageRepository: body.imageRepository,
            tags: body.tags ?? [],
            commitSha: body.commitSha,
            commitTime: body.commitTime
              ? Date.parse(body.commitTime)
              : undefined,
            branch: body.branch,
            buildId: body.buildId,
            buildUrl: body.buildUrl,
            sizeBytes: body.sizeBytes,
            baseImage: body.baseImage,
            commitAuthorEmail: body.commitAuthorEmail,
            commitAuthorLogin: body.commitAuthorLogin,
            triggeredBy: body.triggeredBy,
          },
          actor,
        );
      },
      { meta: r => ({ artifactId: r.artifact.id, created: r.created }) },
    );
    const [view] = await artifacts.views([artifact]);
    res.status(created ? 201 : 200).json(artifactJson(view));
  });

  api.get('/artifacts', async (req, res) => {
    const { requireVisible } = await ctx.reader(req);
    const ref = componentRef(req.query.component);
    await requireVisible(ref, `${ref} is not in the catalog`);
    const page = await artifacts.listArtifacts(ref, {
      limit: req.query.limit ?? DEFAULT_PAGE_SIZE,
      cursor: req.query.cursor,
      digest: req.query.digest,
    });
    res.json({
      items: page.items.map(artifactJson),
      nextCursor: page.nextCursor,
    });
  });

  api.get('/artifacts/:artifactId', async (req, res) => {
    const { requireVisible } = await ctx.reader(req);
    const id = req.params.artifactId;
    const detail = await artifacts.getArtifact(id);
    await requireVisible(
      detail.artifact.componentRef,
      `No artifact with id ${id}`,
    );
    res.json(artifactDetailJson(detail));
  });

  api.post('/artifacts/:artifactId/evidence', async (req, res) => {
    const { credentials, actor } = await ctx.caller(req, ['user', 'service']);
    const { artifactId } = req.params;
    const component = await artifacts.componentOf(artifactId);
    const { evidence } = await ctx.audited(
      req,
      {
        eventId: 'artifact-mutate',
        severityLevel: 'low',
        meta: {
          actionType: 'evidence',
          component,
          artifactId,
          kind: req.body.kind,
          result: req.body.result,
        },
      },
      async () => {
        await ctx.authorize(
          credentials,
          deliveryArtifactRecordPermission,
          component,
        );
        return artifacts.addEvidence(
          artifactId,
          req.body,
          actor,
          idempotencyKeyOf(res),
        );
      },
    );
    res.status(201).json(evidenceJson(evidence));
  });

  api.post('/artifacts/:artifactId/attestations', async (req, res) => {
    const { credentials, actor } = await ctx.caller(req, ['user', 'service']);
    const artifact = await artifacts.requireArtifact(req.params.artifactId);
    const { evidence, created } = await ctx.audited(
      req,
      {
        eventId: 'artifact-mutate',
        severityLevel: 'low',
        meta: {
          actionType: 'attest',
          component: artifact.componentRef,
          artifactId: artifact.id,
          kind: req.body.kind,
        },
      },
      async () => {
        await ctx.authorize(
          credentials,
          deliveryArtifactRecordPermission,
          artifact.componentRef,
        );
        artifacts.checkUrl('url', req.body.url);
        return attestations.attest(artifact, req.body, actor);
      },
      {
        meta: r => ({
          kind: r.evidence.kind,
          created: r.created,
          bundleDigest: r.evidence.verification?.bundleDigest ?? null,
          signer: r.evidence.verification
            ? describeSigner(r.evidence.verification.signer)
            : null,
        }),
      },
    );
    res.status(created ? 201 : 200).json(evidenceJson(evidence));
  });

  for (const action of ['quarantine', 'lift'] as const) {
    const path =
      action === 'quarantine'
        ? '/artifacts/:artifactId/quarantine'
        : '/artifacts/:artifactId/quarantine/lift';
    api.post(path, async (req, res) => {
      const artifact = await artifacts.requireArtifact(req.params.artifactId);
      const result = await ctx.audited(
        req,
        {
          eventId: 'artifact-mutate',
          severityLevel: 'medium',
          meta: {
            actionType:
              action === 'quarantine' ? 'quarantine' : 'lift-quarantine',
            component: artifact.componentRef,
            artifactId: artifact.id,
            digest: artifact.digest,
          },
        },
        async () => {
          // Users only: a CI token is refused (403, audited).
          const { credentials, actor } = await ctx.caller(req, ['user']);
          await ctx.authorize(
            credentials,
            action === 'quarantine'
              ? deliveryArtifactQuarantinePermission
              : deliveryArtifactLiftPermission,
            artifact.componentRef,
          );
          if (action === 'quarantine') {
            return artifacts.quarantine(artifact.id, req.body.reason, actor);
          }
          return {
            view: await artifacts.liftQuarantine(
              artifact.id,
              req.body.reason,
              actor,
            ),
            aborted: [],
          };
        },
        { meta: r => ({ abortedPromotions: r.aborted }) },
      );
      res.json(artifactJson(result.view));
    });
  }
}
