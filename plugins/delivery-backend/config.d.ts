import { HumanDuration } from '@backstage/types';

export interface Config {
  /** Configuration of the delivery plugin. */
  delivery?: {
    /**
     * Name of the ladder that components follow unless their
     * `delivery.backstage.io/ladder` annotation names another one. Required
     * when more than one ladder is configured; defaults to the only one.
     */
    defaultLadder?: string;

    /**
     * Environment ladders by name (lowercase letters, digits and "-").
     */
    ladders?: {
      [name: string]: {
        /** Human-readable name of the ladder. */
        title?: string;
        /**
         * The executor of this ladder's environments that name none; default
         * `delivery.defaultExecutor`. Same keys as an environment's `executor`.
         */
        executor?: {
          type: 'external' | 'kubernetes' | 'gitops' | 'github-actions';
          [option: string]: string | number | HumanDuration | undefined;
        };
        /** The rollout strategy of this ladder's environments that set none. */
        strategy?: 'rolling' | 'blue-green' | 'canary';
        /**
         * Prometheus analysis of this ladder's environments that set none;
         * same keys as an environment's `analysis`.
         */
        analysis?: {
          onUnknown?: 'fail' | 'continue';
          queries?: Array<{
            name: string;
            query: string;
            threshold: number;
            failWhen?: 'above' | 'below';
            unit?: string;
          }>;
        };
        /**
         * Who may sign attestations for this scope, replacing the ladder's or
         * `delivery.supplyChain`'s signers and provenance where given.
         */
        supplyChain?: {
          signers?: Array<{
            /** A key of `delivery.supplyChain.keys` (cosign `--key` signing); no other setting. */
            key?: string;
            /** OIDC issuer of a keyless signer, exact, e.g. `https://token.actions.githubusercontent.com`. */
            issuer?: string;
            /** The certificate's subject (SAN), exact. */
            subject?: string;
            /** A regular expression the whole subject must match; always anchored. */
            subjectPattern?: string;
            /** The subject must be a workflow of the component's own repository (its `github.com/project-slug`). */
            subjectFromCatalog?: boolean;
            /** With subjectFromCatalog: the workflow files allowed, e.g. `.github/workflows/build.yaml`. Default any. */
            workflows?: string[];
            /** With subjectFromCatalog: the refs allowed, e.g. `refs/heads/main`, `refs/tags/v*`. Default any. */
            refs?: string[];
          }>;
          provenance?: {
            /** Builder ids (`runDetails.builder.id`) allowed; default any. */
            builders?: string[];
            /** The provenance's source repository must be the component's catalog source. Default true. */
            sourceFromCatalog?: boolean;
            /** Refs the build must come from, e.g. `refs/heads/main`, `refs/tags/v*`; default any. */
            refs?: string[];
          };
        };
        /** The environments, in promotion order (e.g. dev, staging, production). */
        environments: Array<{
          /** Environment name: lowercase letters, digits and "-". */
          name: string;
          /** Human-readable name. */
          title?: string;
          /** Name of the Kubernetes cluster (as in `kubernetes.clusterLocatorMethods`). */
          cluster?: string;
          /**
           * Namespace of the component's workloads in this environment; may use
           * `{component}` (component name), `{namespace}` (its catalog
           * namespace) and `{environment}`. Default: `{component}-{environment}`.
           */
          namespace?: string;
          /**
           * Evidence kinds whose latest result must be `passed` before an
           * artifact may enter: unit-test, integration-test, contract-test,
           * container-test, image-scan, manifest-validation, smoke-test,
           * signature, provenance, sbom. `- signature: verified` requires the
           * portal to have verified a Sigstore bundle of that kind, re-checked
           * against the trust in force at promotion time.
           */
          requiredEvidence?: Array<
            string | { [kind: string]: 'verified' | 'reported' }
          >;
          /**
           * Who may sign attestations for this scope, replacing the ladder's or
           * `delivery.supplyChain`'s signers and provenance where given.
           */
          supplyChain?: {
            signers?: Array<{
              /** A key of `delivery.supplyChain.keys` (cosign `--key` signing); no other setting. */
              key?: string;
              /** OIDC issuer of a keyless signer, exact, e.g. `https://token.actions.githubusercontent.com`. */
              issuer?: string;
              /** The certificate's subject (SAN), exact. */
              subject?: string;
              /** A regular expression the whole subject must match; always anchored. */
              subjectPattern?: string;
              /** The subject must be a workflow of the component's own repository (its `github.com/project-slug`). */
              subjectFromCatalog?: boolean;
              /** With subjectFromCatalog: the workflow files allowed, e.g. `.github/workflows/build.yaml`. Default any. */
              workflows?: string[];
              /** With subjectFromCatalog: the refs allowed, e.g. `refs/heads/main`, `refs/tags/v*`. Default any. */
              refs?: string[];
            }>;
            provenance?: {
              /** Builder ids (`runDetails.builder.id`) allowed; default any. */
              builders?: string[];
              /** The provenance's source repository must be the component's catalog source. Default true. */
              sourceFromCatalog?: boolean;
              /** Refs the build must come from, e.g. `refs/heads/main`, `refs/tags/v*`; default any. */
              refs?: string[];
            };
          };
          /**
           * Minimum time the same artifact must have been released in the
           * previous environment, e.g. `1h`, `PT30M` or `{ hours: 1 }`.
           */
          soakTime?: string | HumanDuration;
          /** Approvals a promotion into this environment needs. */
          approvals?: {
            /** Number of distinct approvers; the requester never counts. Default 0. */
            count?: number;
            /** Entity refs of the groups whose members may approve, e.g. `group:default/platform`. */
            groups?: string[];
            /**
             * Whether the approvals must include someone on none of the
             * committing teams: the groups of the commit author and of who
             * started the pipeline run, or the component's owner when CI named
             * nobody the catalog knows. Default false.
             */
            outsideCommittingTeam?: boolean;
          };
          /**
           * Rollout strategy: rolling (default), blue-green or canary. With the
           * kubernetes executor, an Argo Rollout carries out its own strategy;
           * plain Deployments get the native canary (executor.canary) or
           * blue-green (a `<name>-preview` Deployment and a Service switch).
           */
          strategy?: 'rolling' | 'blue-green' | 'canary';
          /** Verification fails when a reported metric exceeds its threshold. */
          rollbackThresholds?: {
            /** Largest acceptable share of failed requests, 0 to 1. */
            maxErrorRate?: number;
            /** Largest acceptable number of container restarts. */
            maxRestarts?: number;
            /** Largest acceptable number of failed readiness probes. */
            maxReadinessFailures?: number;
            /** Largest acceptable 95th-percentile latency, in milliseconds. */
            maxP95LatencyMs?: number;
          };
          /** When deployments may happen. Hotfixes override these. */
          windows?: {
            /** IANA time zone of the times below, e.g. `Europe/Berlin`. Default UTC. */
            timezone?: string;
            /** Allowed windows; when set, deployments outside all of them are refused. */
            allow?: Array<{
              /** Days of the week: mon, tue, wed, thu, fri, sat, sun. Default every day. */
              days?: string[];
              /** Start time of day, `HH:mm`. */
              from: string;
              /** End time of day, `HH:mm` (exclusive). */
              to: string;
            }>;
            /** Freezes: periods in which deployments are refused. */
            freezes?: Array<{
              /** Start, ISO 8601 date-time (local to `timezone` unless it has an offset). */
              from: string;
              /** End, ISO 8601 date-time (exclusive). */
              to: string;
              /** Why, shown to whoever is refused. */
              reason?: string;
            }>;
          };
          /** Rollbacks into this environment. */
          rollback?: {
            /** Whether a rollback needs the environment's approvals. Default false. */
            requireApprovals?: boolean;
          };
          /**
           * Release analysis (needs delivery.metrics.prometheus): PromQL
           * queries judged between canary steps and during the verification
           * window of the kubernetes and gitops executors, and compared before
           * and after each release went live.
           */
          analysis?: {
            /**
             * What a query Prometheus cannot answer (down, slow, no data, NaN)
             * does: fail the promotion, or go on with the unknown recorded.
             * Default fail in the ladder's last (production) environment,
             * continue elsewhere.
             */
            onUnknown?: 'fail' | 'continue';
            queries?: Array<{
              /** A short name, e.g. error-rate or p95-latency. */
              name: string;
              /**
               * PromQL that comes down to one number, with `{namespace}`,
               * `{component}`, `{environment}` and `{digest}` (filled in and
               * escaped as label values).
               */
              query: string;
              /** The limit. */
              threshold: number;
              /** Which side of the threshold fails: above (default; error rate, latency) or below (success rate). */
              failWhen?: 'above' | 'below';
              /** How values are shown: ratio (as %), seconds (as ms), or a unit name. */
              unit?: string;
            }>;
          };
          /** What carries approved promotions into this environment out; default `delivery.defaultExecutor`. */
          executor?: {
            /**
             * external (default): CI deploys and reports every step.
             * kubernetes: the backend sets the image by digest on the component's
             * Deployments and follows the rollout. gitops: it commits the digest
             * into the environment's kustomize overlay. github-actions: it
             * dispatches the component's deploy workflow, which reports.
             */
            type: 'external' | 'kubernetes' | 'gitops' | 'github-actions';
            /** kubernetes: the container to set; default the one running the artifact's repository. */
            container?: string;
            /**
             * kubernetes, strategy canary, plain Deployments: a `<name>-canary`
             * Deployment of the new version runs beside the component's own
             * behind the same Service, scaled through these steps (shares of
             * the pods, in %), each held for stepDuration and analysed before
             * the next; then the component's Deployment takes the new version.
             */
            canary?: {
              /** Rising shares between 0 and 100. Default [25, 50]. */
              steps?: number[];
              /** How long each step runs before the next. Default 1m. */
              stepDuration?: string | HumanDuration;
            };
            /** kubernetes, gitops: a rollout not available after this long fails. Default 10m. */
            rolloutTimeout?: string | HumanDuration;
            /** kubernetes, gitops: how long new pods are held against rollbackThresholds. Default 5m. */
            verificationWindow?: string | HumanDuration;
            /**
             * gitops: the https URL of the repository holding the overlays, with
             * `{component}`; default the component's own source repository.
             */
            repository?: string;
            /** gitops: the branch to commit to. Default main. */
            branch?: string;
            /** gitops: the kustomization file, with `{environment}` and `{component}`. Default `deploy/overlays/{environment}/kustomization.yaml`. */
            path?: string;
            /** gitops: the `images[].name` to set the digest on. Default app. */
            image?: string;
            /** github-actions: the workflow file. Default deploy.yaml. */
            workflow?: string;
            /** github-actions: the ref to run it on. Default main. */
            ref?: string;
            /** github-actions: the GitHub host, as in `integrations.github`. Default github.com. */
            host?: string;
            /** github-actions: the workflow must report `deploying` within this long. Default 15m. */
            reportTimeout?: string | HumanDuration;
          };
        }>;
      };
    };

    /** The executor of environments that name none. Default `{ type: external }`. */
    defaultExecutor?: {
      /**
       * external (default): CI deploys and reports every step.
       * kubernetes: the backend sets the image by digest on the component's
       * Deployments and follows the rollout. gitops: it commits the digest
       * into the environment's kustomize overlay. github-actions: it
       * dispatches the component's deploy workflow, which reports.
       */
      type: 'external' | 'kubernetes' | 'gitops' | 'github-actions';
      /** kubernetes: the container to set; default the one running the artifact's repository. */
      container?: string;
      /** kubernetes, strategy canary: the native canary's steps; see an environment's executor. */
      canary?: {
        steps?: number[];
        stepDuration?: string | HumanDuration;
      };
      /** kubernetes, gitops: a rollout not available after this long fails. Default 10m. */
      rolloutTimeout?: string | HumanDuration;
      /** kubernetes, gitops: how long new pods are held against rollbackThresholds. Default 5m. */
      verificationWindow?: string | HumanDuration;
      /**
       * gitops: the https URL of the repository holding the overlays, with
       * `{component}`; default the component's own source repository.
       */
      repository?: string;
      /** gitops: the branch to commit to. Default main. */
      branch?: string;
      /** gitops: the kustomization file, with `{environment}` and `{component}`. Default `deploy/overlays/{environment}/kustomization.yaml`. */
      path?: string;
      /** gitops: the `images[].name` to set the digest on. Default app. */
      image?: string;
      /** github-actions: the workflow file. Default deploy.yaml. */
      workflow?: string;
      /** github-actions: the ref to run it on. Default main. */
      ref?: string;
      /** github-actions: the GitHub host, as in `integrations.github`. Default github.com. */
      host?: string;
      /** github-actions: the workflow must report `deploying` within this long. Default 15m. */
      reportTimeout?: string | HumanDuration;
    };

    /** The metrics provider for release analysis, and the before/after comparison of releases. */
    metrics?: {
      prometheus?: {
        /** Prometheus' base URL, e.g. http://prometheus.monitoring:9090. */
        baseUrl: string;
        /**
         * Sent as a bearer token, when Prometheus sits behind an auth proxy.
         * @visibility secret
         */
        token?: string;
        /** How long one query may take; slower is unknown. Default 5s. */
        timeout?: string | HumanDuration;
      };
      comparison?: {
        /** How long before and after going live each release is compared over. Default 30m. */
        window?: string | HumanDuration;
        /** How far the bad way a metric must move to count as worse, as a share of the larger of its old value and its threshold. Default 0.1. */
        tolerance?: number;
        /** How often the comparison task runs. Default 1m. */
        interval?: string | HumanDuration;
      };
      /** Whether DORA's change-failure rate counts releases that made a metric worse. Default false. */
      countWorseAsFailures?: boolean;
      /**
       * How long organisation-wide DORA, pipeline and scorecard figures are
       * kept in the cache (shared by replicas through backend.cache).
       * Default 0s: computed on every request from the metrics kept per day.
       */
      organisationCacheTtl?: string | HumanDuration;
    };

    /**
     * Who hears about what, through the notifications plugin (users mute
     * topics in its settings). See the README for each kind's recipients.
     */
    notifications?: {
      /** Default true; false sends nothing (signals still refresh open tabs). */
      enabled?: boolean;
      kinds?: {
        [kind in
          | 'approval-requested'
          | 'promotion-problem'
          | 'production-release'
          | 'quarantine'
          | 'preview-expiring'
          | 'preview-reaped'
          | 'drift']?: {
          /** Defaults: on, except production-release. */
          enabled?: boolean;
          severity?: 'critical' | 'high' | 'normal' | 'low';
        };
      };
      /** How long before a preview expires its requester is warned. Default 1h. */
      previewWarning?: string | HumanDuration;
      /** How long drift must last before the owner hears of it. Default 15m. */
      driftAfter?: string | HumanDuration;
    };

    /** The executors' scheduled task (one runner across replicas). */
    execution?: {
      /** How often executions are stepped. Default 5s. */
      interval?: string | HumanDuration;
      /** A claim older than this is taken over by another replica; at least four intervals. Default 2m. */
      lease?: string | HumanDuration;
      /** Transient errors are retried this many times, with backoff, before the promotion errors. Default 5. */
      maxAttempts?: number;
    };

    /** Idempotency-Key handling of mutating requests. */
    idempotency?: {
      /**
       * How long a request holds its key: a retry meanwhile is told the first
       * is still running (409); after it, the retry runs (a replica that died
       * mid-request, or a database that went away). Default 2m.
       */
      lease?: string | HumanDuration;
    };

    /** Rules every image must satisfy to enter an environment. */
    imagePolicy?: {
      /** Tags an artifact may not carry, e.g. `latest`. */
      forbiddenTags?: string[];
      /** Largest image, in megabytes (10^6 bytes). */
      maxSizeMb?: number;
      /**
       * Vulnerability limits by environment name, checked against the latest
       * `image-scan` evidence (which is then required).
       */
      vulnerabilities?: {
        [environment: string]: {
          /** Most critical vulnerabilities allowed. */
          maxCritical?: number;
          /** Most high vulnerabilities allowed. */
          maxHigh?: number;
        };
      };
    };

    /**
     * How the plugin talks to clusters. Clusters themselves are configured once,
     * for the official Kubernetes plugin too, under
     * `kubernetes.clusterLocatorMethods` (type `config`); ladder environments
     * and previews name them.
     */
    kubernetes?: {
      /** Longest wait for one call to a cluster, e.g. `3s`. Default 3 s. */
      requestTimeout?: string | HumanDuration;
      /** How long live state is cached (in `backend.cache`), e.g. `15s`. Default 15 s. */
      cacheTtl?: string | HumanDuration;
      /** How often promotions being verified are checked against the cluster. Default 30 s. */
      verificationInterval?: string | HumanDuration;
      /**
       * How long a pod of the new artifact may stay unready after it started
       * before it counts as a readiness failure during verification. Default 1 min.
       */
      readinessGracePeriod?: string | HumanDuration;
      /**
       * Keep live state by watching (informers) the namespaces the portal
       * reads, and signal open tabs when it changes. Default true; false reads
       * the cluster per request (cached for cacheTtl). The watch falls back
       * to reads while it is down.
       */
      watch?: boolean;
    };

    /**
     * The golden-path scorecard: checks per component, each pass or fail with
     * the reason and a link to fix it. See the README for every check.
     */
    scorecard?: {
      /** How far back the checks look at releases and incidents. Default 90 days. */
      window?: string | HumanDuration;
      /** Longest acceptable time to restore after a production incident. Default 1 hour. */
      restoreTarget?: string | HumanDuration;
      /** How long a preview may outlive its TTL before it counts as not torn down. Default 15 min. */
      previewGrace?: string | HumanDuration;
      /**
       * Built-in checks to turn off or point elsewhere, by id:
       * ladder-order, signed-releases, required-evidence, image-policy,
       * previews-ttl, restore-target, catalog-annotations.
       */
      checks?: {
        [id: string]: {
          /** Set false to leave the check out. Default true. */
          enabled?: boolean;
          /** Where to learn how to fix a failure. */
          fixUrl?: string;
        };
      };
      /** Checks a platform team adds: an annotation to carry, or evidence to pass. */
      custom?: Array<{
        /** Lowercase id, unique among checks. */
        id: string;
        title: string;
        /** The component must carry this annotation, non-empty. */
        annotation?: string;
        /** The production release must carry this evidence kind, passed. */
        evidence?: string;
        fixUrl?: string;
      }>;
    };

    /** Ephemeral preview namespaces for pull requests and branches. */
    previews?: {
      /** The cluster previews are created in (a name from kubernetes.clusterLocatorMethods). */
      cluster: string;
      /** Start of every preview namespace name. Default `preview`. */
      namespacePrefix?: string;
      /** Lifetime of a new preview, e.g. `24h`. Default 24 h. */
      defaultTtl?: string | HumanDuration;
      /** Longest lifetime, counted from creation; extensions stop there. Default 7 d. */
      maxTtl?: string | HumanDuration;
      /** Live previews per component. Default 3. */
      maxPerComponent?: number;
      /** How often the reaper runs. Default 1 min. */
      reaperInterval?: string | HumanDuration;
      /** `spec.hard` of the namespace's ResourceQuota. */
      resourceQuota?: { [resource: string]: string };
      /** Container defaults of the namespace's LimitRange. */
      limitRange?: {
        defaultRequest?: { cpu?: string; memory?: string };
        default?: { cpu?: string; memory?: string };
      };
      /**
       * ClusterRole that the pipeline's ServiceAccount in the preview gets through
       * a RoleBinding limited to that namespace. It must exist; see
       * examples/kubernetes/delivery-rbac.yaml. Default `delivery-preview-deployer`.
       */
      pipelineClusterRole?: string;
    };

    /**
     * Verified supply chain: which Sigstore bundles the backend accepts on
     * `POST /artifacts/{id}/attestations`, and who may report which evidence.
     */
    supplyChain?: {
      /**
       * Trust for keyless (Fulcio certificate) signatures: `public-good` (the
       * root embedded in @sigstore/tuf, default) or `{ file }`, the
       * trusted_root.json of a private Sigstore.
       */
      trustedRoot?: 'public-good' | { file: string };
      /** Whether keyless bundles must carry a transparency-log entry. Default required. */
      transparencyLog?: 'required' | 'optional';
      /** Public keys for key-based (cosign `--key`) signatures. */
      keys?: Array<{
        /** The id signers name, e.g. `ci-release`. */
        id: string;
        /** PEM public key (ECDSA, Ed25519 or RSA). */
        publicKey: string;
        /** Whether bundles signed with this key must carry a transparency-log entry. Default optional. */
        transparencyLog?: 'required' | 'optional';
      }>;
      /** Default signers for every ladder; default: any configured key. */
      signers?: Array<{
        /** A key of `delivery.supplyChain.keys` (cosign `--key` signing); no other setting. */
        key?: string;
        /** OIDC issuer of a keyless signer, exact, e.g. `https://token.actions.githubusercontent.com`. */
        issuer?: string;
        /** The certificate's subject (SAN), exact. */
        subject?: string;
        /** A regular expression the whole subject must match; always anchored. */
        subjectPattern?: string;
        /** The subject must be a workflow of the component's own repository (its `github.com/project-slug`). */
        subjectFromCatalog?: boolean;
        /** With subjectFromCatalog: the workflow files allowed, e.g. `.github/workflows/build.yaml`. Default any. */
        workflows?: string[];
        /** With subjectFromCatalog: the refs allowed, e.g. `refs/heads/main`, `refs/tags/v*`. Default any. */
        refs?: string[];
      }>;
      /** Default provenance policy for every ladder. */
      provenance?: {
        /** Builder ids (`runDetails.builder.id`) allowed; default any. */
        builders?: string[];
        /** The provenance's source repository must be the component's catalog source. Default true. */
        sourceFromCatalog?: boolean;
        /** Refs the build must come from, e.g. `refs/heads/main`, `refs/tags/v*`; default any. */
        refs?: string[];
      };
      /**
       * Principals (user or service refs, e.g. `service:ci`) that may report
       * each evidence kind through `POST /evidence`; unlisted kinds are open.
       */
      reporters?: { [kind: string]: string[] };
      /** Kinds that can only be recorded with a verifiable bundle. Default signature, provenance. */
      attestationOnly?: string[];
      /** Largest bundle kept, in kB (at most 200). Default 128. */
      maxBundleKb?: number;
    };

    /**
     * Whether links a client sends (build, evidence and attestation URLs) may
     * be http as well as https. Default false; other schemes are always refused.
     */
    allowHttpUrls?: boolean;

    /** Demo data for local use (`make start`). */
    demo?: {
      /**
       * Path of a demo scenario file (see examples/delivery-demo.yaml) that is
       * replayed through the delivery API's own code paths when the ledger is
       * empty. An empty string turns the demo off.
       */
      file?: string;
      /**
       * The private half of a key of `delivery.supplyChain.keys`, with which the
       * demo signs its builds' signature and provenance attestations.
       * Demo only: never configure a real signing key here.
       */
      signingKey?: {
        /** The key's id in `delivery.supplyChain.keys`. */
        id: string;
        /** PEM private key. @visibility secret */
        privateKey: string;
      };
    };
  };
}
