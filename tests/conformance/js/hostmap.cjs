// Preloaded with `node --require ./hostmap.cjs`: connections to Filestack's host names on
// port 443 go to the test proxy's loopback port instead. The TLS server name (SNI) and the
// certificate check stay on the real host name, and the request is unchanged; the SDK is not
// touched. The SDK's Node adapter opens every HTTPS request through an https.Agent, so the
// mapping sits in Agent.prototype.createConnection, where the address is chosen.
//
// Configured by CONFORMANCE_PROXY_PORT and CONFORMANCE_MAPPED_HOSTS (comma-separated);
// the throwaway CA comes from NODE_EXTRA_CA_CERTS.
'use strict';

const https = require('https');

const port = Number(process.env.CONFORMANCE_PROXY_PORT);
const hosts = new Set(
  (process.env.CONFORMANCE_MAPPED_HOSTS || '').split(',').map((h) => h.trim().toLowerCase()).filter(Boolean),
);
if (!port || hosts.size === 0) {
  throw new Error('hostmap.cjs needs CONFORMANCE_PROXY_PORT and CONFORMANCE_MAPPED_HOSTS');
}

const originalCreateConnection = https.Agent.prototype.createConnection;

https.Agent.prototype.createConnection = function createConnection(options, callback) {
  const host = String(options.host || options.hostname || '').toLowerCase();
  const requestedPort = Number(options.port || 443);
  if (hosts.has(host) && requestedPort === 443) {
    options = Object.assign({}, options, {
      host: '127.0.0.1',
      port,
      servername: options.servername || host,
    });
  }
  return originalCreateConnection.call(this, options, callback);
};
