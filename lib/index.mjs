// ESM entry: the very objects of the CommonJS entry (one native addon per process).
export * from './index.js'
import klite from './index.js'
export default klite
