//! The native side of `Watch`: batches of events, pulled by the JS async iterator.

use std::sync::Arc;

use napi::bindgen_prelude::*;
use napi::Env;
use napi_derive::napi;

use crate::error::{guarded, reject};
use crate::json::JsonText;

/// Events handed to JS per crossing at most; batching is what makes the iterator fast.
const MAX_EVENTS_PER_BATCH: usize = 4096;

/// The connection behind a `Watch` (`lib/watch.js` turns it into the async iterator).
/// Use `DynamicResource.watch()` instead of this class.
#[napi]
pub struct WatchStream {
    stream: Arc<klite_client::WatchStream>,
}

impl WatchStream {
    pub(crate) fn new(stream: klite_client::WatchStream) -> Self {
        WatchStream {
            stream: Arc::new(stream),
        }
    }
}

#[napi]
impl WatchStream {
    /// Waits for the next events and resolves to all that have arrived, in order, or to
    /// `null` once the watch ended (server closed it, or `stop()`).
    #[napi(
        catch_unwind,
        ts_return_type = "Promise<Array<WatchEvent | ErrorEvent> | null>"
    )]
    pub fn next_batch<'env>(&self, env: &'env Env) -> Result<PromiseRaw<'env, Option<JsonText>>> {
        let stream = self.stream.clone();
        env.spawn_future(guarded(async move {
            stream
                .next_batch(MAX_EVENTS_PER_BATCH)
                .await
                .map(|batch| batch.map(|text| JsonText(text.into())))
                .map_err(reject)
        }))
    }

    /// Closes the connection. Idempotent; a pending `nextBatch()` resolves to `null`.
    #[napi(catch_unwind)]
    pub fn stop(&self) {
        self.stream.stop();
    }

    /// Whether `stop()` was called.
    #[napi(catch_unwind, getter)]
    pub fn stopped(&self) -> bool {
        self.stream.is_stopped()
    }
}
