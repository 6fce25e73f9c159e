import { ScmAccess } from './credentials';

/** A workflow of a repository on a GitHub host. */
export interface WorkflowTarget {
  host: string;
  owner: string;
  repo: string;
  /** The workflow file name or id. */
  workflow: string;
}

/** What the github-actions executor needs of GitHub: the port it depends on. */
export interface WorkflowPort {
  /** `workflow_dispatch` with inputs, on a ref. */
  dispatch(
    target: WorkflowTarget,
    ref: string,
    inputs: Record<string, string>,
  ): Promise<void>;
  /** The newest dispatched run whose title contains `marker`, if any. */
  findRun(
    target: WorkflowTarget,
    marker: string,
  ): Promise<{ url: string; status: string } | undefined>;
}

/** A GitHub API call that failed, with what GitHub said. */
export class GitHubApiError extends Error {
  name = 'GitHubApiError';
  constructor(message: string, readonly status?: number) {
    super(message);
  }
}

/**
 * GitHub Actions through the REST API, authenticated with the integration
 * of the host (token or GitHub App), every call bounded in time.
 */
export class GitHubWorkflows implements WorkflowPort {
  constructor(
    private readonly options: { access: ScmAccess; timeoutMs: number },
  ) {}

  async dispatch(
    target: WorkflowTarget,
    ref: string,
    inputs: Record<string, string>,
  ): Promise<void> {
    await this.call(
      target,
      'POST',
      `/actions/workflows/${encodeURIComponent(target.workflow)}/dispatches`,
      { ref, inputs },
    );
  }

  async findRun(
    target: WorkflowTarget,
    marker: string,
  ): Promise<{ url: string; status: string } | undefined> {
    const body = (await this.call(
      target,
      'GET',
      `/actions/workflows/${encodeURIComponent(
        target.workflow,
      )}/runs?event=workflow_dispatch&per_page=20`,
    )) as {
      workflow_runs?: Array<{
        html_url: string;
        status: string;
        display_title?: string;
        name?: string;
      }>;
    };
    const run = body.workflow_runs?.find(r =>
      (r.display_title ?? r.name ?? '').includes(marker),
    );
    return run ? { url: run.html_url, status: run.status } : undefined;
  }

  private async call(
    target: WorkflowTarget,
    method: string,
    path: string,
    body?: object,
  ): Promise<unknown> {
    const base = this.options.access.apiBaseUrl(target.host);
    if (!base) {
      throw new GitHubApiError(
        `no GitHub integration for ${target.host}; add it to integrations.github`,
      );
    }
    const repoUrl = `https://${target.host}/${target.owner}/${target.repo}`;
    const token = await this.options.access.token(repoUrl);
    const url = `${base}/repos/${target.owner}/${target.repo}${path}`;
    let response: Response;
    try {
      response = await fetch(url, {
        method,
        headers: {
          accept: 'application/vnd.github+json',
          'x-github-api-version': '2022-11-28',
          ...(token ? { authorization: `Bearer ${token}` } : {}),
          ...(body ? { 'content-type': 'application/json' } : {}),
        },
        body: body ? JSON.stringify(body) : undefined,
        signal: AbortSignal.timeout(this.options.timeoutMs),
      });
    } catch (error) {
      const e = error as Error & { cause?: { code?: string } };
      throw new GitHubApiError(
        e.name === 'TimeoutError'
          ? `${target.host}: no answer within ${this.options.timeoutMs} ms`
          : `${target.host}: cannot be reached (${e.cause?.code ?? e.message})`,
      );
    }
    if (!response.ok) {
      const text = await response.text();
      let message = text;
      try {
        message = JSON.parse(text).message ?? text;
      } catch {
        // not JSON
      }
      throw new GitHubApiError(
        `${method} ${path} on ${target.owner}/${target.repo} answered ${response.status}: ${message}`,
        response.status,
      );
    }
    return response.status === 204 ? undefined : response.json();
  }
}
