// The README's `npm run quickstart` does what it says.

import { execFile } from 'node:child_process'
import { join } from 'node:path'
import { promisify } from 'node:util'
import { expect, it } from 'vitest'

import { repoRoot } from './helpers/cluster'

it('starts an embedded EnvTest, creates objects, watches them change and prints it', async () => {
  const { stdout } = await promisify(execFile)(process.execPath, [join(repoRoot, 'examples', 'quickstart.mjs')], {
    cwd: repoRoot,
    encoding: 'utf8',
  })
  const lines = stdout.trim().split('\n')
  expect(lines[0]).toMatch(/^control plane up at https:\/\/127\.0\.0\.1:\d+ \(embedded\)$/)
  expect(lines.slice(1)).toEqual([
    'created namespace quickstart',
    expect.stringMatching(/^created configmap greeting \(resourceVersion \d+\)$/),
    'watch: MODIFIED greeting message=hello, klite',
    'watch: MODIFIED greeting message=applied',
    'watch: DELETED greeting message=applied',
    'done',
  ])
})
