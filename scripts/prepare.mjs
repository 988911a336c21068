// `npm install` in a clone (npm's `prepare`): builds the native addon in release mode, as
// node-gyp builds a C++ addon on install, so that `npm run quickstart` and `npm run bench`
// start at once. Users installing klite from the registry never run this: the package
// ships prebuilt addons.
//
// Not on `npm pack`/`npm publish` (prepare runs there too): those package what was built.
// KLITE_SKIP_ADDON_BUILD=1 skips it (CI does: `npm test` makes its own debug build).
import { spawnSync } from 'node:child_process'
import { join, resolve } from 'node:path'

import { addonName, buildRelease, copyReleaseAddon, root } from './build-release.mjs'

const log = (line) => process.stderr.write(`[klite] ${line}\n`)
const command = process.env.npm_command
// The project npm is installing: this clone, not one that links it (the sample projects in
// __test__/samples depend on `file:../../..`, and npm runs a linked package's prepare).
const project = process.env.npm_config_local_prefix
if (process.env.KLITE_SKIP_ADDON_BUILD === '1' || (command !== 'install' && command !== 'ci') || (project && resolve(project) !== resolve(root))) {
  process.exit(0)
}

if (spawnSync('cargo', ['--version'], { stdio: 'ignore' }).status !== 0) {
  log('building the native addon needs Rust (https://rustup.rs); set KLITE_SKIP_ADDON_BUILD=1 to install without it')
  process.exit(1)
}
log('building the native addon (release; a few minutes the first time)…')
const status = buildRelease(log)
if (status !== 0) {
  log(`the release build failed (cargo exited with ${status})`)
  process.exit(status)
}
const addon = join(root, addonName())
copyReleaseAddon(addon)
log(`built ${addon}`)
