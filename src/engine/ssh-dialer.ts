/**
 * ssh:// engines, reached the way the docker CLI reaches them (docker/cli cli/connhelper): run the
 * system `ssh` with the user's own configuration, keys, agent and known_hosts, and ask the remote
 * docker CLI to bridge stdio to its engine with `docker system dial-stdio`. Every HTTP connection
 * is one ssh process. (docker-modem's own ssh support uses ssh2 with only SSH_AUTH_SOCK, which
 * ignores ~/.ssh/config and identity files, so pack does not use it.)
 */
import { spawn } from 'node:child_process';
import { Agent } from 'node:http';
import { Duplex } from 'node:stream';

export interface SshTarget {
  readonly host: string;
  readonly user?: string;
  readonly port?: number;
  readonly socketPath?: string;
}

/** The argv the docker CLI uses: `ssh -o ConnectTimeout=30 -T [-l user] [-p port] -- host docker [--host unix://path] system dial-stdio`. */
export function sshArgs(target: SshTarget): string[] {
  const args = ['-o', 'ConnectTimeout=30', '-T'];
  if (target.user !== undefined) args.push('-l', target.user);
  if (target.port !== undefined) args.push('-p', String(target.port));
  args.push('--', target.host, 'docker');
  if (target.socketPath !== undefined) args.push(`--host=unix://${target.socketPath}`);
  args.push('system', 'dial-stdio');
  return args;
}

/** An http.Agent whose connections are ssh processes. `sshCommand` is `ssh` unless a test says otherwise. */
export class SshDialAgent extends Agent {
  constructor(
    private readonly target: SshTarget,
    private readonly sshCommand = 'ssh',
  ) {
    super({ keepAlive: false });
  }

  override createConnection(): Duplex {
    const child = spawn(this.sshCommand, sshArgs(this.target), { stdio: ['pipe', 'pipe', 'pipe'] });
    let stderr = '';
    child.stderr.setEncoding('utf8');
    child.stderr.on('data', (chunk: string) => {
      if (stderr.length < 4096) stderr += chunk;
    });
    const socket = new Duplex({
      read() {
        child.stdout.resume();
      },
      write(chunk: Buffer, _encoding, callback) {
        if (child.stdin.write(chunk)) callback();
        else child.stdin.once('drain', () => callback());
      },
      final(callback) {
        child.stdin.end();
        callback();
      },
      destroy(error, callback) {
        if (child.exitCode === null) child.kill();
        callback(error);
      },
    });
    child.stdout.on('data', (chunk: Buffer) => {
      if (!socket.push(chunk)) child.stdout.pause();
    });
    child.stdout.on('end', () => socket.push(null));
    child.stdin.on('error', () => {
      /* reported through 'exit' below */
    });
    child.on('error', (error) => socket.destroy(Object.assign(error, { code: (error as NodeJS.ErrnoException).code ?? 'SSH_FAILED' })));
    child.on('exit', (code) => {
      if (code !== 0 && code !== null && !socket.destroyed) {
        const message = stderr.trim().split('\n').pop() ?? '';
        socket.destroy(Object.assign(new Error(`ssh exited with status ${code}${message !== '' ? `: ${message}` : ''}`), { code: 'SSH_FAILED' }));
      }
    });
    // The http client calls these on real sockets; a process pipe has nothing to set.
    Object.assign(socket, { setNoDelay: () => socket, setKeepAlive: () => socket, setTimeout: () => socket, ref: () => socket, unref: () => socket });
    return socket;
  }
}
