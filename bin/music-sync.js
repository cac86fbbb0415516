#!/usr/bin/env node
// The `music-sync` command. There is no build step: Node runs the TypeScript sources directly
// (type stripping), which needs Node 22.18 or newer; say so plainly on an older Node.
const [major, minor] = process.versions.node.split('.').map(Number);
if (major < 22 || (major === 22 && minor < 18)) {
  process.stderr.write(`music-sync: needs Node.js 22.18 or newer (this is ${process.versions.node})\n`);
  process.exit(1);
}
const { main } = await import('../src/cli/main.ts');
await main(process.argv.slice(2));
