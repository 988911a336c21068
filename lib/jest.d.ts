import type { DynamicClient, EnvTestOptions } from '../index'

/** The default globalSetup (`globalSetup: 'klite/jest/setup'`). */
export declare function globalSetup(): Promise<void>
/** The globalTeardown (`globalTeardown: 'klite/jest/teardown'`). */
export declare function globalTeardown(): Promise<void>
/** A globalSetup for these EnvTest options: `module.exports = createGlobalSetup({ … })`. */
export declare function createGlobalSetup(options?: EnvTestOptions): () => Promise<void>
/** Creates a namespace named `<prefix>-xxxxx` and resolves with its name. */
export declare function createNamespace(client: DynamicClient, prefix?: string): Promise<string>
/** The shared control plane's admin kubeconfig (reads `KUBECONFIG`). */
export declare function kubeconfig(): string
