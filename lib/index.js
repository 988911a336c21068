'use strict'

// The package entry: the native binding plus what napi cannot express — the error classes,
// the Watch async iterator, AbortSignal plumbing and `iterate()`.

const native = require('../index.js')
const errors = require('./errors.js')
const { Watch } = require('./watch.js')

const { DynamicResource, CancelToken, Discovery } = native
const { toKliteError } = errors

// One process may load this module more than once while the addon (and so its prototypes)
// is loaded once: jest evaluates it in its global setup and again in each test file's module
// registry. Each load therefore wraps the addon's own methods, kept here on first load, never
// the wrappers of an earlier load (which would stack and throw that load's error classes);
// the last load's wrappers, with its error classes and Watch, are the ones in use.
const NATIVE_METHODS = Symbol.for('klite.nativeMethods')

/** The addon's own methods `names` of `prototype`, as they were before any load wrapped them. */
function nativeMethods(prototype, names) {
  if (!Object.prototype.hasOwnProperty.call(prototype, NATIVE_METHODS)) {
    const originals = {}
    for (const name of names) originals[name] = prototype[name]
    Object.defineProperty(prototype, NATIVE_METHODS, { value: Object.freeze(originals) })
  }
  return prototype[NATIVE_METHODS]
}

// Index of the options argument of each Promise-returning method; the native method takes a
// CancelToken right after it.
const promiseMethods = {
  get: 1,
  list: 0,
  create: 1,
  update: 1,
  updateStatus: 1,
  patch: 3,
  apply: 1,
  applyStatus: 1,
  delete: 1,
  deleteCollection: 0,
}

// Lists from built-in endpoints omit apiVersion/kind on items; client-go's dynamic client
// fills them in from the list, and so do we.
function fillItemKinds(answer, resource) {
  const items = answer && answer.items
  if (!Array.isArray(items) || items.length === 0) return answer
  const apiVersion = answer.apiVersion || resource.apiVersion
  const listKind = typeof answer.kind === 'string' ? answer.kind : ''
  const kind = listKind.endsWith('List') ? listKind.slice(0, -4) : resource.kind
  for (let i = 0; i < items.length; i++) {
    const item = items[i]
    if (item === null || typeof item !== 'object') continue
    if (item.apiVersion === undefined) item.apiVersion = apiVersion
    if (item.kind === undefined) item.kind = kind
  }
  return answer
}

const resourceMethods = nativeMethods(DynamicResource.prototype, [...Object.keys(promiseMethods), 'watch'])

function wrapPromiseMethod(name, optionsIndex) {
  const nativeMethod = resourceMethods[name]
  const fillsItems = name === 'list' || name === 'deleteCollection'
  const wrapped = {
    async [name](...args) {
      let signal
      const options = args[optionsIndex]
      if (options !== null && typeof options === 'object' && options.signal !== undefined) {
        const { signal: given, ...rest } = options
        signal = given
        args[optionsIndex] = rest
      }
      let token
      let onAbort
      if (signal) {
        signal.throwIfAborted()
        token = new CancelToken()
        onAbort = () => token.cancel()
        signal.addEventListener('abort', onAbort, { once: true })
        while (args.length < optionsIndex + 1) args.push(undefined)
        args[optionsIndex + 1] = token
      } else if (args.length > optionsIndex + 1) {
        args.length = optionsIndex + 1
      }
      try {
        const answer = await nativeMethod.apply(this, args)
        return fillsItems ? fillItemKinds(answer, this) : answer
      } catch (error) {
        throw toKliteError(error, signal)
      } finally {
        if (onAbort) signal.removeEventListener('abort', onAbort)
      }
    },
  }[name]
  Object.defineProperty(DynamicResource.prototype, name, {
    value: wrapped,
    writable: true,
    configurable: true,
  })
}

for (const [name, optionsIndex] of Object.entries(promiseMethods)) {
  wrapPromiseMethod(name, optionsIndex)
}

const nativeWatch = resourceMethods.watch
Object.defineProperty(DynamicResource.prototype, 'watch', {
  value: function watch(options) {
    let signal
    if (options !== null && typeof options === 'object' && options.signal !== undefined) {
      const { signal: given, ...rest } = options
      signal = given
      options = rest
    }
    return new Watch(nativeWatch.call(this, options), signal)
  },
  writable: true,
  configurable: true,
})

/** client-go's pager: 500 items a page unless `limit` says otherwise. */
const DEFAULT_PAGE_SIZE = 500

Object.defineProperty(DynamicResource.prototype, 'iterate', {
  value: async function* iterate(options) {
    const base = { ...(options || {}) }
    if (base.limit === undefined) base.limit = DEFAULT_PAGE_SIZE
    let token = base.continue
    do {
      const page = await this.list({ ...base, continue: token })
      const items = page.items || []
      for (let i = 0; i < items.length; i++) yield items[i]
      token = page.metadata && page.metadata.continue
    } while (token)
  },
  writable: true,
  configurable: true,
})

const resourceResolve = nativeMethods(Discovery.prototype, ['resolve']).resolve
Object.defineProperty(Discovery.prototype, 'resolve', {
  value: async function resolve(apiVersion, kind) {
    try {
      return await resourceResolve.call(this, apiVersion, kind)
    } catch (error) {
      throw toKliteError(error)
    }
  },
  writable: true,
  configurable: true,
})

// The exports are the binding's own (so whatever the addon exports is exported here too) plus
// the JS-implemented classes, on an object of this load's own: the binding's exports object is
// shared by every load, and this load's error classes must not replace another's. Written as a
// spread re-export and plain assignments so that Node's CommonJS lexer sees every name and
// `export * from './index.js'` in index.mjs needs no list.
module.exports = { ...require('../index.js') }
module.exports.Watch = Watch
module.exports.ApiError = errors.ApiError
module.exports.UnauthorizedError = errors.UnauthorizedError
module.exports.ForbiddenError = errors.ForbiddenError
module.exports.NotFoundError = errors.NotFoundError
module.exports.AlreadyExistsError = errors.AlreadyExistsError
module.exports.ConflictError = errors.ConflictError
module.exports.GoneError = errors.GoneError
module.exports.ExpiredError = errors.ExpiredError
module.exports.InvalidError = errors.InvalidError
module.exports.ServerTimeoutError = errors.ServerTimeoutError
module.exports.StoreReadError = errors.StoreReadError
module.exports.TimeoutError = errors.TimeoutError
module.exports.TooManyRequestsError = errors.TooManyRequestsError
module.exports.BadRequestError = errors.BadRequestError
module.exports.MethodNotAllowedError = errors.MethodNotAllowedError
module.exports.NotAcceptableError = errors.NotAcceptableError
module.exports.RequestEntityTooLargeError = errors.RequestEntityTooLargeError
module.exports.UnsupportedMediaTypeError = errors.UnsupportedMediaTypeError
module.exports.InternalError = errors.InternalError
module.exports.ServiceUnavailableError = errors.ServiceUnavailableError
module.exports.UnknownError = errors.UnknownError
module.exports.ConnectionError = errors.ConnectionError
