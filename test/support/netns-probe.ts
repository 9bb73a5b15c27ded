// Traffic probes run inside a namespace by test/support/netns.ts (`ip netns exec NS node this …`):
// real sockets, so that a passing test means packets really crossed the kernel's routing.
//   tcp-server HOST PORT                         answers "pong" to every connection
//   tcp-client HOST PORT TIMEOUT_MS [LOCAL_IP]   exits 0 after reading "pong"
//   udp-server HOST PORT                         prints "datagram" per datagram
//   udp-client HOST PORT [LOCAL_IP]              sends one datagram
import { createSocket } from 'node:dgram';
import { createConnection, createServer } from 'node:net';

const [mode, host = '', portText = '0', ...rest] = process.argv.slice(2);
const port = Number(portText);

function tcpServer(): void {
  const server = createServer((socket) => socket.end('pong\n'));
  server.listen(port, host, () => console.log('ready'));
}

function tcpClient(timeoutMs: number, localAddress: string): void {
  const socket = createConnection({ host, port, ...(localAddress ? { localAddress } : {}) });
  const timer = setTimeout(() => {
    console.error('timeout');
    process.exit(2);
  }, timeoutMs);
  let reply = '';
  socket.on('data', (chunk: Buffer) => (reply += chunk.toString()));
  socket.on('end', () => {
    clearTimeout(timer);
    console.log(reply.trim());
    process.exit(reply.includes('pong') ? 0 : 1);
  });
  socket.on('error', (error) => {
    console.error(error.message);
    process.exit(1);
  });
}

function udpServer(): void {
  const socket = createSocket('udp4');
  socket.on('message', () => console.log('datagram'));
  socket.bind(port, host, () => console.log('ready'));
}

function udpClient(localAddress: string): void {
  const socket = createSocket('udp4');
  const send = (): void => socket.send('ping', port, host, (error) => {
    if (error) console.error(error.message);
    socket.close();
    process.exitCode = error ? 1 : 0;
  });
  if (localAddress) socket.bind(0, localAddress, send);
  else send();
}

switch (mode) {
  case 'tcp-server':
    tcpServer();
    break;
  case 'tcp-client':
    tcpClient(Number(rest[0] ?? 2000), rest[1] ?? '');
    break;
  case 'udp-server':
    udpServer();
    break;
  case 'udp-client':
    udpClient(rest[0] ?? '');
    break;
  default:
    console.error(`unknown mode ${mode}`);
    process.exit(2);
}
