// Scenarios run with the official filestack-js SDK (from the npm registry, unmodified) in Node.
//
//   node --require ./hostmap.cjs scenarios.cjs SCENARIO < params.json   (prints one JSON line)
//
// hostmap.cjs sends the SDK's https:// hosts to the test proxy; NODE_EXTRA_CA_CERTS trusts the
// throwaway CA. Each scenario only drives the SDK and reports what it got; the Python tests decide
// what is right. An SDK error ends the process non-zero with the error printed.
'use strict';

const https = require('https');
const filestack = require('filestack-js');

function readStdin() {
  return new Promise((resolve) => {
    const chunks = [];
    process.stdin.on('data', (chunk) => chunks.push(chunk));
    process.stdin.on('end', () => resolve(Buffer.concat(chunks).toString('utf8')));
  });
}

function security(params, policy) {
  return filestack.getSecurity({ expiry: Math.floor(Date.now() / 1000) + 3600, ...policy }, params.secret);
}

// GET a URL the way a browser or a server would fetch a transformation URL the SDK built.
function get(url) {
  return new Promise((resolve, reject) => {
    https.get(url, (res) => {
      const chunks = [];
      res.on('data', (chunk) => chunks.push(chunk));
      res.on('end', () => resolve({
        status: res.statusCode,
        contentType: res.headers['content-type'] || '',
        body: Buffer.concat(chunks),
      }));
    }).on('error', reject);
  });
}

function fileFields(file) {
  return {
    handle: file.handle,
    url: file.url,
    status: file.status,
    mimetype: file.mimetype || file.type,
    size: file.size,
    key: file.key,
    container: file.container,
    workflows: file.workflows === undefined ? null : file.workflows,
  };
}

function errorFields(err) {
  const response = err && (err.response || (err.details && err.details.response));
  return {
    message: String(err && err.message),
    status: response ? response.status : null,
    data: response ? response.data : null,
  };
}

const scenarios = {
  // client.upload(path, options, storeOptions): multipart start/upload/PUT/complete.
  async upload(params) {
    const client = filestack.init(params.apikey);
    const file = await client.upload(params.path, {}, params.store || {});
    return fileFields(file);
  },

  // client.storeURL(url): POST {process host}/process with a store task.
  async store_url(params) {
    const client = filestack.init(params.apikey);
    const stored = await client.storeURL(params.url, params.store || undefined);
    return stored;
  },

  // client.transform(url, {resize}): the URL the SDK builds (a quoted URL source), then GET it.
  async transform_url(params) {
    const client = filestack.init(params.apikey);
    const url = client.transform(params.url, { resize: { width: params.width } });
    const got = await get(url);
    return { url, status: got.status, contentType: got.contentType, content: got.body.toString('base64') };
  },

  // client.metadata(handle, fields, security): GET {file API}/HANDLE/metadata?…
  async metadata(params) {
    const client = filestack.init(params.apikey);
    const fields = {};
    for (const name of params.fields) fields[name] = true;
    return client.metadata(params.handle, fields, security(params, { call: ['stat'] }));
  },

  // client.remove(handle, security): DELETE {file API}/HANDLE?key&policy&signature; then metadata.
  async remove(params) {
    const client = filestack.init(params.apikey);
    const removed = await client.remove(params.handle, security(params, {}));
    let after;
    try {
      after = { ok: true, data: await client.metadata(params.handle, { size: true }, security(params, {})) };
    } catch (err) {
      after = { ok: false, ...errorFields(err) };
    }
    return { removed: { status: removed.status, data: removed.data }, after };
  },
};

async function main() {
  const name = process.argv[2];
  const scenario = scenarios[name];
  if (!scenario) throw new Error(`unknown scenario ${name}`);
  const params = JSON.parse((await readStdin()) || '{}');
  const result = await scenario(params);
  process.stdout.write(`${JSON.stringify(result)}\n`);
}

main().catch((err) => {
  const detail = err && err.response ? ` (HTTP ${err.response.status}: ${JSON.stringify(err.response.data)})` : '';
  process.stderr.write(`${err && err.stack ? err.stack : JSON.stringify(err)}${detail}\n`);
  process.exit(1);
});
