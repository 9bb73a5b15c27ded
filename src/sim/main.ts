// `ecs-eni-controller sim --world world.yaml [--listen 127.0.0.1:18081] [--state FILE]
//  [--rate-limits none|realistic]`: runs the simulator until SIGINT or SIGTERM.
import { parseArgs } from 'node:util';
import { startSimulator } from './index.ts';
import { loadWorldFile } from './world.ts';

const USAGE = 'usage: ecs-eni-controller sim --world FILE [--listen HOST:PORT] [--state FILE] [--rate-limits none|realistic]\n';

function parseListen(text: string): { host: string; port: number } | undefined {
  const match = /^\[?([^\]]*?)\]?:(\d{1,5})$/.exec(text);
  if (!match || Number(match[2]) > 65535) return undefined;
  return { host: match[1] as string, port: Number(match[2]) };
}

function waitForStopSignal(): Promise<string> {
  return new Promise((resolve) => {
    const stop = (signal: string): void => {
      process.off('SIGINT', stop);
      process.off('SIGTERM', stop);
      resolve(signal);
    };
    process.on('SIGINT', stop);
    process.on('SIGTERM', stop);
  });
}

export async function main(argv: string[]): Promise<number> {
  let values;
  try {
    ({ values } = parseArgs({
      args: argv,
      options: { world: { type: 'string' }, listen: { type: 'string', default: '127.0.0.1:18081' }, state: { type: 'string' }, 'rate-limits': { type: 'string' } },
    }));
  } catch (error) {
    process.stderr.write(`${(error as Error).message}\n${USAGE}`);
    return 2;
  }
  const listen = parseListen(values.listen);
  const profile = values['rate-limits'];
  if (!values.world || !listen || (profile !== undefined && profile !== 'none' && profile !== 'realistic')) {
    process.stderr.write(USAGE);
    return 2;
  }
  const running = await startSimulator({
    world: await loadWorldFile(values.world),
    host: listen.host,
    port: listen.port,
    ...(values.state === undefined ? {} : { statePath: values.state }),
    ...(profile === undefined ? {} : { rateLimitProfile: profile }),
  });
  process.stdout.write(`ECS simulator for ${running.regionId} listening on ${running.url} (access key ${running.accessKey.id}; admin API at ${running.url}/_sim/)\n`);
  const signal = await waitForStopSignal();
  await running.close();
  process.stdout.write(`ECS simulator stopped (${signal})\n`);
  return 0;
}
