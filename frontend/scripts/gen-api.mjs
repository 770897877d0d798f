// The web app's API types, generated from the server's OpenAPI document.
//
//   npm run gen:api     refresh openapi.json from the server (`bairro openapi`: $BAIRRO_BIN,
//                       else `cargo run -- openapi`), then regenerate src/api.gen.ts from it
//   npm run check:api   fail when src/api.gen.ts differs from what openapi.json produces, and,
//                       with $BAIRRO_BIN set, when openapi.json differs from that server's
//                       document (scripts/test does both)
//
// The generator is openapi-typescript, installed in tools/openapi (it needs TypeScript 5's
// compiler API, which the app's TypeScript 7 does not offer).
import { execFileSync, spawnSync } from 'node:child_process';
import { existsSync, readFileSync, writeFileSync, mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';

const root = join(dirname(fileURLToPath(import.meta.url)), '..');
const docPath = join(root, 'openapi.json');
const genPath = join(root, 'src', 'api.gen.ts');
const tool = join(root, 'tools', 'openapi');
const check = process.argv.includes('--check');

const HEADER = `// Generated from openapi.json by \`npm run gen:api\` (openapi-typescript). Do not edit:
// change the server's annotations, then regenerate. \`npm test\` fails when this file is stale.
`;

function fail(msg) {
  console.error(msg);
  process.exit(1);
}

/** The document as the server serves it, from `bairro openapi`. */
function serverDocument() {
  const bin = process.env.BAIRRO_BIN;
  const out = bin
    ? execFileSync(bin, ['openapi'], { encoding: 'utf8', maxBuffer: 64 << 20 })
    : execFileSync('cargo', ['run', '--quiet', '--bin', 'bairro', '--', 'openapi'], {
        cwd: join(root, '..'),
        encoding: 'utf8',
        maxBuffer: 64 << 20,
        stdio: ['ignore', 'pipe', 'inherit'],
      });
  // Stored pretty-printed with a final newline, whatever the binary's spacing.
  return JSON.stringify(JSON.parse(out), null, 2) + '\n';
}

/** TypeScript for a document, from openapi-typescript. */
function generate(docText) {
  const bin = join(tool, 'node_modules', '.bin', 'openapi-typescript');
  if (!existsSync(bin)) {
    const r = spawnSync('npm', ['ci', '--no-audit', '--no-fund', '--loglevel=error'], { cwd: tool, stdio: 'inherit' });
    if (r.status !== 0) fail('could not install openapi-typescript in tools/openapi');
  }
  const dir = mkdtempSync(join(tmpdir(), 'bairro-openapi-'));
  try {
    const input = join(dir, 'openapi.json');
    const output = join(dir, 'api.gen.ts');
    writeFileSync(input, docText);
    const r = spawnSync(bin, [input, '--output', output, '--alphabetize'], { encoding: 'utf8' });
    if (r.status !== 0) fail(`openapi-typescript failed:\n${r.stderr}`);
    return HEADER + readFileSync(output, 'utf8');
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
}

if (check) {
  const doc = readFileSync(docPath, 'utf8');
  if (process.env.BAIRRO_BIN && serverDocument() !== doc) {
    fail('frontend/openapi.json differs from the document the server serves: run `npm run gen:api` and commit the result');
  }
  const current = existsSync(genPath) ? readFileSync(genPath, 'utf8') : '';
  if (generate(doc) !== current) {
    fail('frontend/src/api.gen.ts is not what openapi.json produces: run `npm run gen:api` and commit the result');
  }
  console.log('api.gen.ts is current');
} else {
  const doc = serverDocument();
  writeFileSync(docPath, doc);
  writeFileSync(genPath, generate(doc));
  console.log(`wrote ${docPath} and ${genPath}`);
}
