import { randomBytes } from 'node:crypto';
import { expect, it } from 'vitest';
import { PACK_TEST_LABELS, createDocker, describeEngine, engineProbe, uniqueName } from '../support/engine.js';

/**
 * Splits a non-TTY container log stream: 8-byte frames [stream, 0, 0, 0, length(be32)] followed
 * by the payload (Docker's stdcopy format for /containers/{id}/logs without Tty).
 */
function demux(raw: Buffer): { stdout: string; stderr: string } {
  const out: Buffer[] = [];
  const err: Buffer[] = [];
  let offset = 0;
  while (offset + 8 <= raw.length) {
    const stream = raw[offset];
    const length = raw.readUInt32BE(offset + 4);
    const payload = raw.subarray(offset + 8, offset + 8 + length);
    (stream === 2 ? err : out).push(payload);
    offset += 8 + length;
  }
  expect(offset, 'log stream ends on a frame boundary').toBe(raw.length);
  return { stdout: Buffer.concat(out).toString('utf8'), stderr: Buffer.concat(err).toString('utf8') };
}

describeEngine('Docker engine used by the engine suites', () => {
  const docker = createDocker();

  it('answers /_ping with OK', async () => {
    const pong: unknown = await docker.ping();
    expect(Buffer.isBuffer(pong) ? pong.toString('utf8') : pong).toBe('OK');
  });

  it('speaks API 1.41 or newer on Linux', async () => {
    const version = await docker.version();
    const [major, minor] = version.ApiVersion.split('.').map(Number);
    expect(major).toBe(1);
    expect(minor).toBeGreaterThanOrEqual(41);
    expect(version.Os).toBe('linux');
    expect(engineProbe.apiVersion).toBe(version.ApiVersion);
  });

  it('has busybox:local and runs a container without network', async () => {
    const image = await docker.getImage('busybox:local').inspect();
    expect(image.Config.Env).toContain('PATH=/bin');

    const marker = `pack-marker-${randomBytes(6).toString('hex')}`;
    const container = await docker.createContainer({
      name: uniqueName('engine-ping'),
      Image: 'busybox:local',
      Cmd: ['echo', marker],
      Labels: { ...PACK_TEST_LABELS },
      HostConfig: { NetworkMode: 'none' },
    });
    try {
      await container.start();
      const exit = (await container.wait()) as { StatusCode: number };
      expect(exit.StatusCode).toBe(0);
      const logs = (await container.logs({ stdout: true, stderr: true, follow: false })) as unknown as Buffer;
      const { stdout, stderr } = demux(logs);
      expect(stdout).toBe(`${marker}\n`);
      expect(stderr).toBe('');
      const inspected = await container.inspect();
      expect(inspected.HostConfig.NetworkMode).toBe('none');
    } finally {
      await container.remove({ force: true });
    }
  });
});
