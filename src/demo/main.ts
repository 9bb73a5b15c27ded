// `ecs-eni-controller demo`: the whole system on this machine. The demo drives a real
// kube-apiserver built from Go modules, network namespaces and the simulator, so it runs from a
// source checkout (demo/main.ts), not from an installed package; this launcher finds it.
import { existsSync } from 'node:fs';
import { fileURLToPath, pathToFileURL } from 'node:url';

// src/demo/main.ts and dist/demo/main.js both sit two levels below the checkout's root.
const DEMO = fileURLToPath(new URL('../../demo/main.ts', import.meta.url));

export async function main(argv: string[]): Promise<number> {
  if (!existsSync(DEMO)) {
    process.stderr.write(
      'the demo runs from a source checkout of ecs-eni-controller: clone it, then `npm ci && npm run demo` (as root)\n',
    );
    return 1;
  }
  const demo = (await import(pathToFileURL(DEMO).href)) as { main: (argv: string[]) => Promise<number> };
  return demo.main(argv);
}
