'use strict'

// Error classes of the public API (api.md "Errors") and the single place where failures
// reported by the native layer become them. Errors are created here, in JS, so that their
// stack shows the caller's `await`.

/** An answer from the API server with a status outside 2xx. */
class ApiError extends Error {
  constructor(message, { code, reason, status, details } = {}, options) {
    super(message, options)
    this.name = new.target.name
    this.code = code
    this.reason = reason
    this.status = status
    this.details = details
  }
}

class UnauthorizedError extends ApiError {}
class ForbiddenError extends ApiError {}
class NotFoundError extends ApiError {}
class AlreadyExistsError extends ApiError {}
class ConflictError extends ApiError {}
class GoneError extends ApiError {}
/** 410 with reason `Expired` (a too-old resourceVersion or continue token); also a GoneError. */
class ExpiredError extends GoneError {}
class InvalidError extends ApiError {}
class ServerTimeoutError extends ApiError {}
class StoreReadError extends ApiError {}
class TimeoutError extends ApiError {}
class TooManyRequestsError extends ApiError {}
class BadRequestError extends ApiError {}
class MethodNotAllowedError extends ApiError {}
class NotAcceptableError extends ApiError {}
class RequestEntityTooLargeError extends ApiError {}
class UnsupportedMediaTypeError extends ApiError {}
class InternalError extends ApiError {}
class ServiceUnavailableError extends ApiError {}
class UnknownError extends ApiError {}

/** The request got no answer: refused, reset, TLS, DNS, or the client timeout expired. */
class ConnectionError extends Error {
  constructor(message, code, options) {
    super(message, options)
    this.name = 'ConnectionError'
    this.code = code
  }
}

const byReason = {
  Unauthorized: UnauthorizedError,
  Forbidden: ForbiddenError,
  NotFound: NotFoundError,
  AlreadyExists: AlreadyExistsError,
  Conflict: ConflictError,
  Gone: GoneError,
  Expired: ExpiredError,
  Invalid: InvalidError,
  ServerTimeout: ServerTimeoutError,
  StoreReadError: StoreReadError,
  Timeout: TimeoutError,
  TooManyRequests: TooManyRequestsError,
  BadRequest: BadRequestError,
  MethodNotAllowed: MethodNotAllowedError,
  NotAcceptable: NotAcceptableError,
  RequestEntityTooLarge: RequestEntityTooLargeError,
  UnsupportedMediaType: UnsupportedMediaTypeError,
  InternalError: InternalError,
  ServiceUnavailable: ServiceUnavailableError,
}

// client-go's reasons for bare HTTP codes, used when a Status carries no (known) reason.
const byCode = {
  400: 'BadRequest',
  401: 'Unauthorized',
  403: 'Forbidden',
  404: 'NotFound',
  405: 'MethodNotAllowed',
  406: 'NotAcceptable',
  409: 'Conflict',
  410: 'Gone',
  413: 'RequestEntityTooLarge',
  415: 'UnsupportedMediaType',
  422: 'Invalid',
  429: 'TooManyRequests',
  503: 'ServiceUnavailable',
  504: 'Timeout',
}

/**
 * The ApiError subclass for a metav1 Status (from a failed request or a watch ERROR event).
 * @param {object} status
 * @param {number} [httpCode]
 */
function errorFromStatus(status, httpCode) {
  const code = (status && status.code) || httpCode || 500
  const reason = status && status.reason
  const fallback = byCode[code] || (code >= 500 ? 'InternalError' : 'Unknown')
  const ErrorClass = byReason[reason] || byReason[fallback] || UnknownError
  const message = (status && status.message) || `the server answered ${code} ${reason || fallback}`
  return new ErrorClass(message, {
    code,
    reason: reason || fallback,
    status,
    details: status && status.details,
  })
}

/**
 * Turns a rejection from the native layer into the public error.
 * @param {unknown} error
 * @param {AbortSignal} [signal]
 */
function toKliteError(error, signal) {
  const payloadText = error && error.cause && error.cause.message
  if (typeof payloadText !== 'string' || !payloadText.startsWith('{"klite"')) return error
  let payload
  try {
    payload = JSON.parse(payloadText)
  } catch {
    return error
  }
  switch (payload.klite) {
    case 'api': {
      const apiError = errorFromStatus(payload.status, payload.code)
      if (payload.reason && apiError.reason !== payload.reason) apiError.reason = payload.reason
      return apiError
    }
    case 'connection':
      return new ConnectionError(error.message, payload.code)
    case 'argument':
      return new TypeError(error.message)
    case 'aborted':
      if (signal && signal.aborted) return signal.reason
      return new DOMException('This operation was aborted', 'AbortError')
    default: {
      const plain = new Error(error.message)
      if (payload.code) plain.code = payload.code
      return plain
    }
  }
}

module.exports = {
  ApiError,
  UnauthorizedError,
  ForbiddenError,
  NotFoundError,
  AlreadyExistsError,
  ConflictError,
  GoneError,
  ExpiredError,
  InvalidError,
  ServerTimeoutError,
  StoreReadError,
  TimeoutError,
  TooManyRequestsError,
  BadRequestError,
  MethodNotAllowedError,
  NotAcceptableError,
  RequestEntityTooLargeError,
  UnsupportedMediaTypeError,
  InternalError,
  ServiceUnavailableError,
  UnknownError,
  ConnectionError,
  errorFromStatus,
  toKliteError,
}
