import { Config } from '@backstage/config';
import {
  DefaultGithubCredentialsProvider,
  ScmIntegrations,
} from '@backstage/integration';

/** A GitHub host's API base URL and a token for a repository URL. */
export interface ScmAccess {
  /** The token for a repository URL, if the integration has one. */
  token(url: string): Promise<string | undefined>;
  /** The REST API base of a GitHub host (e.g. https://api.github.com). */
  apiBaseUrl(host: string): string | undefined;
}

/**
 * Access to source control through Backstage's `integrations` config: a
 * personal access token or a GitHub App per host, resolved for each
 * repository as the scaffolder does.
 */
export function scmAccessFromConfig(config: Config): ScmAccess {
  const integrations = ScmIntegrations.fromConfig(config);
  const github =
    DefaultGithubCredentialsProvider.fromIntegrations(integrations);
  return {
    async token(url) {
      if (!integrations.github.byUrl(url)) return undefined;
      return (await github.getCredentials({ url })).token;
    },
    apiBaseUrl(host) {
      return integrations.github.byHost(host)?.config.apiBaseUrl;
    },
  };
}
