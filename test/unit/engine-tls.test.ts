/**
 * TLS to a tcp:// engine as the docker CLI sets it up (DOCKER_TLS_VERIFY + DOCKER_CERT_PATH with
 * ca.pem, cert.pem, key.pem), against a stand-in HTTPS server that demands a client certificate.
 * Certificates are made with openssl for each run.
 */
import { execFileSync } from 'node:child_process';
import { once } from 'node:events';
import { mkdtemp, readFile, rm } from 'node:fs/promises';
import { createServer, type Server } from 'node:https';
import type { AddressInfo } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createEngine } from '../../src/engine/dockerode-engine.js';
import { resolveEndpoint } from '../../src/engine/endpoint.js';
import { ExitCode } from '../../src/errors.js';

let dir: string;
let server: Server;
let port: number;
let clientSubjects: string[] = [];

function openssl(...args: string[]): void {
  execFileSync('openssl', args, { cwd: dir, stdio: 'ignore' });
}

beforeAll(async () => {
  dir = await mkdtemp(join(tmpdir(), 'pack-tls-'));
  // A CA, a server certificate for 127.0.0.1 and a client certificate, all signed by the CA.
  openssl('req', '-x509', '-newkey', 'rsa:2048', '-nodes', '-keyout', 'ca-key.pem', '-out', 'ca.pem', '-days', '1', '-subj', '/CN=pack test CA');
  openssl('req', '-newkey', 'rsa:2048', '-nodes', '-keyout', 'server-key.pem', '-out', 'server.csr', '-subj', '/CN=127.0.0.1');
  execFileSync('sh', ['-c', 'printf "subjectAltName=IP:127.0.0.1\\n" > san.ext'], { cwd: dir });
  openssl('x509', '-req', '-in', 'server.csr', '-CA', 'ca.pem', '-CAkey', 'ca-key.pem', '-CAcreateserial', '-out', 'server.pem', '-days', '1', '-extfile', 'san.ext');
  openssl('req', '-newkey', 'rsa:2048', '-nodes', '-keyout', 'key.pem', '-out', 'client.csr', '-subj', '/CN=pack client');
  openssl('x509', '-req', '-in', 'client.csr', '-CA', 'ca.pem', '-CAkey', 'ca-key.pem', '-CAcreateserial', '-out', 'cert.pem', '-days', '1');
  // A second CA that signed nothing here: trusting it must fail the handshake.
  execFileSync('mkdir', ['-p', 'other'], { cwd: dir });
  openssl('req', '-x509', '-newkey', 'rsa:2048', '-nodes', '-keyout', 'other/ca-key.pem', '-out', 'other/ca.pem', '-days', '1', '-subj', '/CN=other CA');
  execFileSync('cp', ['cert.pem', 'key.pem', 'other/'], { cwd: dir });

  server = createServer(
    {
      key: await readFile(join(dir, 'server-key.pem')),
      cert: await readFile(join(dir, 'server.pem')),
      ca: await readFile(join(dir, 'ca.pem')),
      requestCert: true,
      rejectUnauthorized: true,
    },
    (req, res) => {
      const peer = (req.socket as import('node:tls').TLSSocket).getPeerCertificate();
      clientSubjects.push(String(peer.subject?.CN));
      res.writeHead(200, { 'Content-Type': 'application/json' });
      res.end(JSON.stringify({ Version: '20.10-tls', ApiVersion: '1.41', Os: 'linux', Arch: 'amd64' }));
    },
  );
  server.listen(0, '127.0.0.1');
  await once(server, 'listening');
  port = (server.address() as AddressInfo).port;
}, 60_000);

afterAll(async () => {
  server?.close();
  await rm(dir, { recursive: true, force: true });
});

describe('TLS engines', () => {
  it('connects with DOCKER_TLS_VERIFY=1 and the certificates under DOCKER_CERT_PATH, presenting the client certificate', async () => {
    clientSubjects = [];
    const endpoint = await resolveEndpoint({
      env: { DOCKER_HOST: `tcp://127.0.0.1:${port}`, DOCKER_TLS_VERIFY: '1', DOCKER_CERT_PATH: dir },
      homeDir: dir,
    });
    expect(await createEngine(endpoint).info()).toMatchObject({ version: '20.10-tls' });
    expect(clientSubjects).toEqual(['pack client']);
  });

  it('refuses a server its CA did not sign: one line, exit 3', async () => {
    const endpoint = await resolveEndpoint({
      env: { DOCKER_HOST: `tcp://127.0.0.1:${port}`, DOCKER_TLS_VERIFY: '1', DOCKER_CERT_PATH: join(dir, 'other') },
      homeDir: dir,
    });
    const failure = createEngine(endpoint).info();
    await expect(failure).rejects.toMatchObject({ code: 'ENGINE_TLS', exitCode: ExitCode.environment });
    await expect(failure).rejects.toThrow(new RegExp(`^TLS handshake with the Docker engine at tcp://127\\.0\\.0\\.1:${port} \\(DOCKER_HOST=tcp://127\\.0\\.0\\.1:${port} \\(TLS, verified\\)\\) failed`));
  });

  it('names the missing certificate file and how to point at the right directory', async () => {
    const endpoint = await resolveEndpoint({
      env: { DOCKER_HOST: `tcp://127.0.0.1:${port}`, DOCKER_TLS_VERIFY: '1', DOCKER_CERT_PATH: join(dir, 'nowhere') },
      homeDir: dir,
    });
    expect(() => createEngine(endpoint)).toThrow(`cannot read ${join(dir, 'nowhere', 'ca.pem')} for the TLS connection`);
  });
});
