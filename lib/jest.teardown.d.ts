declare function globalTeardown(): Promise<void>
export = globalTeardown
