// The browser of an interactive sign-in, for tests.
/**
 * What a browser does: GET the sign-in page, then deliver its answer to the CLI's loopback port —
 * MSAL asks for response_mode=form_post, so the page is a form to POST (a 302 is followed too).
 */
export async function actAsBrowser(url: string, caPem: string): Promise<void> {
  const { request } = await import('node:https');
  const page = await new Promise<{ status: number; location?: string; body: string }>((resolve, reject) => {
    request(url, { ca: caPem }, (res) => {
      let body = '';
      res.on('data', (d: Buffer) => (body += d.toString()));
      res.on('end', () => resolve({ status: res.statusCode ?? 0, location: res.headers.location, body }));
    }).on('error', reject).end();
  });
  if (page.location) {
    await (await fetch(page.location)).text();
    return;
  }
  const action = /<form[^>]*action="([^"]+)"/i.exec(page.body)?.[1];
  const fields = [...page.body.matchAll(/<input[^>]*name="([^"]+)"[^>]*value="([^"]*)"/gi)].map((m) => [m[1]!, m[2]!.replace(/&amp;/g, '&').replace(/&quot;/g, '"')]);
  if (!action) throw new Error(`sign-in page without a form: ${page.status} ${page.body.slice(0, 200)}`);
  const res = await fetch(action.replace(/&amp;/g, '&'), { method: 'POST', headers: { 'content-type': 'application/x-www-form-urlencoded' }, body: new URLSearchParams(fields).toString() });
  await res.text();
}

