// How server answers become error classes (the mapping of lib/errors.js), including the
// watch ERROR event shape and answers without a reason.

import { createRequire } from 'node:module'
import { describe, expect, it } from 'vitest'

import * as klite from 'klite'

const { errorFromStatus } = createRequire(__filename)('../lib/errors.js') as {
  errorFromStatus: (status: klite.Status, httpCode?: number) => klite.ApiError
}

describe('error classes', () => {
  it('map every StatusReason of api.md to its class', () => {
    const reasons: Array<[string, number, new (...args: never[]) => klite.ApiError]> = [
      ['Unauthorized', 401, klite.UnauthorizedError],
      ['Forbidden', 403, klite.ForbiddenError],
      ['NotFound', 404, klite.NotFoundError],
      ['AlreadyExists', 409, klite.AlreadyExistsError],
      ['Conflict', 409, klite.ConflictError],
      ['Gone', 410, klite.GoneError],
      ['Expired', 410, klite.ExpiredError],
      ['Invalid', 422, klite.InvalidError],
      ['ServerTimeout', 500, klite.ServerTimeoutError],
      ['StoreReadError', 500, klite.StoreReadError],
      ['Timeout', 504, klite.TimeoutError],
      ['TooManyRequests', 429, klite.TooManyRequestsError],
      ['BadRequest', 400, klite.BadRequestError],
      ['MethodNotAllowed', 405, klite.MethodNotAllowedError],
      ['NotAcceptable', 406, klite.NotAcceptableError],
      ['RequestEntityTooLarge', 413, klite.RequestEntityTooLargeError],
      ['UnsupportedMediaType', 415, klite.UnsupportedMediaTypeError],
      ['InternalError', 500, klite.InternalError],
      ['ServiceUnavailable', 503, klite.ServiceUnavailableError],
    ]
    for (const [reason, code, ErrorClass] of reasons) {
      const status = { kind: 'Status' as const, apiVersion: 'v1' as const, status: 'Failure' as const, message: `m-${reason}`, reason, code }
      const error = errorFromStatus(status, code)
      expect(error, reason).toBeInstanceOf(ErrorClass)
      expect(error).toBeInstanceOf(klite.ApiError)
      expect(error).toBeInstanceOf(Error)
      expect(error).toMatchObject({ code, reason, message: `m-${reason}`, status, name: ErrorClass.name })
    }
  })

  it('turns the watch ERROR event for a too-old resourceVersion into an ExpiredError that is also a GoneError', () => {
    // The object of `{"type":"ERROR","object":…}` exactly as kube-apiserver sends it.
    const status = JSON.parse(
      '{"kind":"Status","apiVersion":"v1","metadata":{},"status":"Failure","message":"too old resource version: 5 (9)","reason":"Expired","code":410}',
    )
    const error = errorFromStatus(status)
    expect(error).toBeInstanceOf(klite.ExpiredError)
    expect(error).toBeInstanceOf(klite.GoneError)
    expect(error.message).toBe('too old resource version: 5 (9)')
  })

  it('falls back to the HTTP code when the Status has no reason, as client-go does', () => {
    const internal = errorFromStatus({ kind: 'Status', status: 'Failure', message: 'etcdserver: boom', code: 500 })
    expect(internal).toBeInstanceOf(klite.InternalError)
    expect(internal.reason).toBe('InternalError')
    const odd = errorFromStatus({ kind: 'Status', status: 'Failure', message: 'teapot', code: 418 })
    expect(odd).toBeInstanceOf(klite.UnknownError)
  })

  it('ConnectionError carries a Node-style code', () => {
    const error = new klite.ConnectionError('connect ECONNREFUSED', 'ECONNREFUSED')
    expect(error).toBeInstanceOf(Error)
    expect(error.name).toBe('ConnectionError')
    expect(error.code).toBe('ECONNREFUSED')
  })
})
