/** npm as this Node runs it (`npm_execpath` under `npm test`), else the one on PATH; resolves with stdout. */
export function npm(args: string[], cwd: string): Promise<string>
/** Packs the checkout at `repoRoot` into `destination` (a directory); resolves with the tarball's path. */
export function packPackage(repoRoot: string, destination: string): Promise<string>
/** The paths inside a packed tarball, relative to its `package/` root. */
export function tarballFiles(tarball: string): Promise<string[]>
/** The packed package: KLITE_TEST_TARBALL, else packed now into a temp directory (once per process). */
export function packedTarball(repoRoot: string): Promise<string>
