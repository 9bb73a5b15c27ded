#!/usr/bin/env node
// Entry point of both roles and the tools around them. It checks the Node.js version before
// importing anything: @kubernetes/client-node 2.x and p-queue 10 crash on import below Node 22.19.

const MIN_NODE = [22, 19] as const;

function nodeIsTooOld(version: string): boolean {
  const [major = 0, minor = 0] = version.split('.').map(Number);
  return major < MIN_NODE[0] || (major === MIN_NODE[0] && minor < MIN_NODE[1]);
}

type Command = (argv: string[]) => Promise<number>;

const commands: Record<string, { summary: string; load: () => Promise<Command> }> = {
  controller: {
    summary: 'reconcile NetworkInterfaceClaims against ECS',
    load: async () => (await import('./controller/main.ts')).main,
  },
  'node-agent': {
    summary: "configure this node's attached ENIs in the kernel",
    load: async () => (await import('./node/main.ts')).main,
  },
  sim: {
    summary: 'run the ECS simulator',
    load: async () => (await import('./sim/main.ts')).main,
  },
  demo: {
    summary: 'run the whole system on this machine and walk through it',
    load: async () => (await import('./demo/main.ts')).main,
  },
};

function usage(): string {
  const lines = Object.entries(commands).map(([name, c]) => `  ${name.padEnd(12)} ${c.summary}`);
  return `usage: ecs-eni-controller <command> [flags]\n\ncommands:\n${lines.join('\n')}\n`;
}

async function run(argv: string[]): Promise<number> {
  if (nodeIsTooOld(process.versions.node)) {
    process.stderr.write(
      `ecs-eni-controller needs Node.js >= ${MIN_NODE.join('.')} (this is ${process.versions.node}).\n` +
        'Run it through npm scripts (the project pins Node 24 as a dev dependency: npm ci first), ' +
        'or install Node.js 24 LTS.\n',
    );
    return 1;
  }
  const [name, ...rest] = argv;
  const command = name === undefined ? undefined : commands[name];
  if (!command) {
    process.stderr.write(usage());
    return name === undefined || name === '--help' || name === '-h' ? 0 : 2;
  }
  return (await command.load())(rest);
}

process.exitCode = await run(process.argv.slice(2));
