// ESM entry: the same objects as the CommonJS entry (one native addon per process).
// Keep this list in step with lib/index.js; __test__/package.spec.ts checks they match.
import klite from './index.js'

export const {
  DynamicClient,
  DynamicResource,
  Discovery,
  WatchStream,
  CancelToken,
  Watch,
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
  setupEnvtest,
  runSetupEnvtest,
} = klite

export default klite
