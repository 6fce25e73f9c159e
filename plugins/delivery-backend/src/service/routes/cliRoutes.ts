import { CliBundle } from '../cli/CliBundle';
import { ApiRouter, RequestContext } from '../http/requestContext';

/** The CLI this backend ships with, and its checksum, for pipelines to download. */
export function cliRoutes(api: ApiRouter, ctx: RequestContext, cli: CliBundle) {
  api.get('/cli', async (req, res) => {
    await ctx.reader(req);
    const file = await cli.get();
    res
      .type('application/javascript')
      .set({
        'x-checksum-sha256': file.sha256,
        'x-delivery-cli-version': file.version,
        'content-disposition': `attachment; filename="${file.name}"`,
      })
      .send(file.body);
  });

  api.get('/cli/sha256', async (req, res) => {
    await ctx.reader(req);
    const file = await cli.get();
    res.type('text/plain').send(`${file.sha256}  ${file.name}\n`);
  });
}
