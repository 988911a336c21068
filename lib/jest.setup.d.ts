declare function globalSetup(): Promise<void>
export = globalSetup
