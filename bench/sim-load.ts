// Load generator for bench/sim-throughput.ts, run as its own process so that the simulator's one
// core is measured alone. Sends signed ECS requests (ACS3-HMAC-SHA256, each with a fresh nonce and
// date, signed by src/sim/signature.ts, which its unit test holds byte-for-byte equal to the
// SDK's) over keep-alive connections, `connections` at a time, until told to stop.
// Each connection cycles through a mix an ENI controller makes: create, describe by id (attribute
// and list of 10), delete.
//   argv: endpoint accessKeyId secret connections
//   stdout: "ready" once connected; on SIGTERM, one JSON line {sent, ok, failed}, then exit.
import { randomBytes } from 'node:crypto';
import { Agent, request } from 'node:http';
import { authorizationHeader } from '../src/sim/signature.ts';

const [endpoint = '', accessKeyId = '', secret = '', connectionsArg = '32'] = process.argv.slice(2);
const [host = '127.0.0.1', port = '0'] = endpoint.split(':');
const connections = Number(connectionsArg);
const agent = new Agent({ keepAlive: true, maxSockets: connections });
const EMPTY_SHA256 = 'e3b0c44298fc1c149afbf4c8996fb92427ae41e4649b934ca495991b7852b855';
const stats = { sent: 0, ok: 0, failed: 0 };
let running = true;

function encodeQuery(query: Record<string, string>): string {
  return Object.entries(query)
    .map(([k, v]) => `${encodeURIComponent(k)}=${encodeURIComponent(v)}`)
    .join('&');
}

function call(action: string, query: Record<string, string>): Promise<Record<string, unknown>> {
  const headers: Record<string, string> = {
    host: endpoint,
    'x-acs-version': '2014-05-26',
    'x-acs-action': action,
    'x-acs-date': new Date().toISOString().replace(/\.\d{3}Z$/, 'Z'),
    'x-acs-signature-nonce': randomBytes(16).toString('hex'),
    'x-acs-content-sha256': EMPTY_SHA256,
    accept: 'application/json',
  };
  headers.authorization = authorizationHeader(accessKeyId, secret, { method: 'POST', path: '/', query, headers, payloadSha256Hex: EMPTY_SHA256 });
  stats.sent++;
  return new Promise((resolve, reject) => {
    const req = request({ host, port: Number(port), method: 'POST', path: `/?${encodeQuery(query)}`, headers, agent }, (res) => {
      let text = '';
      res.setEncoding('utf8');
      res.on('data', (chunk: string) => (text += chunk));
      res.on('end', () => {
        if (res.statusCode === 200) stats.ok++;
        else stats.failed++;
        resolve(JSON.parse(text) as Record<string, unknown>);
      });
    });
    req.on('error', reject);
    req.end();
  });
}

async function connectionLoop(known: string[]): Promise<void> {
  const region = { RegionId: 'cn-hangzhou' };
  while (running) {
    const created = await call('CreateNetworkInterface', { ...region, VSwitchId: 'vsw-bench', 'SecurityGroupIds.1': 'sg-bench' });
    const id = String(created.NetworkInterfaceId);
    for (let i = 0; i < 4 && running; i++) {
      await call('DescribeNetworkInterfaceAttribute', { ...region, NetworkInterfaceId: known[(stats.sent + i) % known.length] as string });
      const ids = Object.fromEntries(Array.from({ length: 10 }, (_, n) => [`NetworkInterfaceId.${n + 1}`, known[(stats.sent + n) % known.length] as string]));
      await call('DescribeNetworkInterfaces', { ...region, ...ids, MaxResults: '10' });
    }
    await call('DeleteNetworkInterface', { ...region, NetworkInterfaceId: id });
  }
}

async function main(): Promise<void> {
  const known: string[] = [];
  for (let i = 0; i < 100; i++) {
    const created = await call('CreateNetworkInterface', { RegionId: 'cn-hangzhou', VSwitchId: 'vsw-bench', 'SecurityGroupIds.1': 'sg-bench' });
    known.push(String(created.NetworkInterfaceId));
  }
  process.stdout.write('ready\n');
  const loops = Array.from({ length: connections }, () => connectionLoop(known));
  process.once('SIGTERM', () => {
    running = false;
  });
  await Promise.all(loops);
  process.stdout.write(`${JSON.stringify(stats)}\n`);
  agent.destroy();
}

await main();
