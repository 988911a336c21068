// Builds the native addon (debug) when no prebuilt one is present, so that a fresh clone can
// `npm install && npm run quickstart`.
import { spawnSync } from 'node:child_process'
import { readdirSync } from 'node:fs'
import { dirname, join } from 'node:path'
import { fileURLToPath } from 'node:url'

const root = join(dirname(fileURLToPath(import.meta.url)), '..')
if (!readdirSync(root).some((name) => name.startsWith('klite.') && name.endsWith('.node'))) {
  console.log('building the native addon (first run only; takes a few minutes)…')
  const cli = join(root, 'node_modules', '@napi-rs', 'cli', 'dist', 'cli.js')
  const result = spawnSync(process.execPath, [cli, 'build', '--platform'], { cwd: root, stdio: 'inherit' })
  if (result.status !== 0) process.exit(result.status || 1)
}
