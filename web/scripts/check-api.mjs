// Fails when src/api/schema.d.ts is not what openapi-typescript generates from ../openapi/openapi.yaml today:
// run `npm run gen:api` and commit the result.
import { execFileSync } from 'node:child_process'
import { mkdtempSync, readFileSync, rmSync } from 'node:fs'
import { tmpdir } from 'node:os'
import { dirname, join } from 'node:path'
import { fileURLToPath } from 'node:url'

const root = join(dirname(fileURLToPath(import.meta.url)), '..')
const committed = join(root, 'src/api/schema.d.ts')
const dir = mkdtempSync(join(tmpdir(), 'scalechat-api-'))
const fresh = join(dir, 'schema.d.ts')
try {
  const bin = join(root, 'node_modules/.bin/openapi-typescript')
  execFileSync(bin, [join(root, '../openapi/openapi.yaml'), '-o', fresh], { cwd: root, stdio: ['ignore', 'ignore', 'inherit'] })
  const want = readFileSync(fresh, 'utf8')
  const got = readFileSync(committed, 'utf8')
  if (want !== got) {
    const a = got.split('\n')
    const b = want.split('\n')
    let line = 0
    while (line < a.length && line < b.length && a[line] === b[line]) line++
    console.error(`check:api: src/api/schema.d.ts drifted from openapi/openapi.yaml (first difference at line ${line + 1}).`)
    console.error(`  committed: ${JSON.stringify(a[line] ?? '<end of file>')}`)
    console.error(`  generated: ${JSON.stringify(b[line] ?? '<end of file>')}`)
    console.error('Run `npm run gen:api` in web/ and commit the result.')
    process.exit(1)
  }
  console.log('check:api: src/api/schema.d.ts is up to date with openapi/openapi.yaml')
} finally {
  rmSync(dir, { recursive: true, force: true })
}
