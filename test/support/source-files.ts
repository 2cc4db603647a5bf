/** Repository source files, for tests that check the tree itself (test/docs/, test/layout/). */
import { readdirSync } from 'node:fs'
import path from 'node:path'
import { REPO_ROOT } from '../../gpu-node/config.ts'

/**
 * The repo-relative paths of the files under `dirs` whose names match `pattern`, test files
 * included unless `withTests` is false.
 */
export function sourceFiles(dirs: string[], pattern: RegExp, withTests = true): string[] {
  return dirs.flatMap((dir) =>
    readdirSync(path.join(REPO_ROOT, dir), { recursive: true, encoding: 'utf8' })
      .filter((file) => pattern.test(file) && (withTests || !file.endsWith('.test.ts')))
      .map((file) => path.join(dir, file)),
  )
}
