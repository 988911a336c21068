'use strict'

const { errorFromStatus, toKliteError } = require('./errors.js')

/**
 * A watch as an AsyncIterable and AsyncIterator of `{ type, object }` events.
 *
 * The native stream hands over every event that has arrived as one batch per crossing;
 * this class flattens the batches. Nothing is read from the connection until `next()` asks,
 * so a slow consumer back-pressures the server instead of growing memory.
 */
class Watch {
  #stream
  #events
  #state = { stopped: false }
  #signal
  #onAbort

  /**
   * @param {import('../index').WatchStream} stream
   * @param {AbortSignal} [signal]
   */
  constructor(stream, signal) {
    this.#stream = stream
    this.#events = flatten(stream, this.#state, () => this.stop())
    if (signal) {
      this.#signal = signal
      if (signal.aborted) {
        this.stop()
      } else {
        this.#onAbort = () => this.stop()
        signal.addEventListener('abort', this.#onAbort, { once: true })
      }
    }
  }

  /** The next event; `{ done: true }` once the watch ended or was stopped. */
  next() {
    return this.#events.next()
  }

  /** Closes the watch (what `break` in `for await` calls). */
  return(value) {
    this.stop()
    return this.#events.return(value)
  }

  /** Closes the watch and rethrows `error` from the iterator. */
  throw(error) {
    this.stop()
    return this.#events.throw(error)
  }

  /** Closes the connection. Idempotent; a pending `next()` resolves `{ done: true }`. */
  stop() {
    if (this.#state.stopped) return
    this.#state.stopped = true
    this.#stream.stop()
    if (this.#signal && this.#onAbort) {
      this.#signal.removeEventListener('abort', this.#onAbort)
      this.#onAbort = undefined
    }
  }

  /** Whether the watch was stopped (by `stop()`, `break`, `return()` or the signal). */
  get stopped() {
    return this.#state.stopped
  }

  [Symbol.asyncIterator]() {
    return this
  }
}

if (typeof Symbol.asyncDispose === 'symbol') {
  Watch.prototype[Symbol.asyncDispose] = async function asyncDispose() {
    this.stop()
  }
}

async function* flatten(stream, state, onEnd) {
  try {
    while (!state.stopped) {
      let batch
      try {
        batch = await stream.nextBatch()
      } catch (error) {
        throw toKliteError(error)
      }
      if (batch === null) return
      for (let i = 0; i < batch.length; i++) {
        if (state.stopped) return
        const event = batch[i]
        if (event.type === 'ERROR') throw errorFromStatus(event.object)
        yield event
      }
    }
  } finally {
    onEnd()
  }
}

module.exports = { Watch }
