import type { DynamicClient, EnvTestOptions } from '../index'

/** What the globalSetup provides to workers (`inject('klite')`). */
export interface KliteEnvTestContext {
  /** Admin kubeconfig (YAML). */
  kubeconfig: string
  /** A file with the same kubeconfig; also exported to workers as `KUBECONFIG`. */
  kubeconfigPath: string
  /** API server URL. */
  server: string
  /** `'binaries'`, `'embedded'` or `'existing-cluster'`. */
  mode: string
}

declare module 'vitest' {
  export interface ProvidedContext {
    klite: KliteEnvTestContext
  }
}

/** The part of vitest's `TestProject` a globalSetup uses. */
export interface GlobalSetupContext {
  provide(key: 'klite', value: KliteEnvTestContext): void
}

/** A globalSetup that starts one EnvTest with these options and stops it after the run. */
export declare function createGlobalSetup(
  options?: EnvTestOptions,
): (project: GlobalSetupContext) => Promise<() => Promise<void>>

/** The globalSetup with default options (`globalSetup: ['klite/vitest']`). */
export declare const setup: (project: GlobalSetupContext) => Promise<() => Promise<void>>
export default setup

/** The provide/inject key: `'klite'`. */
export declare const PROVIDE_KEY: 'klite'

/** Creates a namespace named `<prefix>-xxxxx` and resolves with its name. */
export declare function createNamespace(client: DynamicClient, prefix?: string): Promise<string>
