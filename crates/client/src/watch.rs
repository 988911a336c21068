//! A watch as a stream of batches of raw event lines, read only as fast as they are taken.
//!
//! Nothing is read from the connection between calls to [`WatchStream::next_batch`], so a
//! slow consumer holds the server back through TCP flow control instead of growing a buffer.

use std::pin::Pin;

use futures::{FutureExt, Stream, StreamExt, TryStreamExt};
use http_body_util::BodyExt;
use tokio_util::codec::{FramedRead, LinesCodec, LinesCodecError};
use tokio_util::io::StreamReader;
use tokio_util::sync::CancellationToken;

use crate::client::{cancellable, ResourceClient};
use crate::error::{Error, Result};
use crate::options::CallOptions;

/// The longest single event line accepted (an object can be at most ~3 MiB in etcd).
const MAX_EVENT_BYTES: usize = 64 * 1024 * 1024;

type EventLines = Pin<Box<dyn Stream<Item = std::result::Result<String, LinesCodecError>> + Send>>;

enum State {
    /// Not connected yet; holds what is needed to connect.
    Idle(CallOptions),
    /// Connected; lines are read on demand.
    Streaming(EventLines),
    /// A failure that happened after some events of the last batch were read.
    Failed(Error),
    /// Ended by the server, by `stop()`, or after a failure was reported.
    Finished,
}

/// An open (or not yet opened) watch.
pub struct WatchStream {
    resource: ResourceClient,
    state: tokio::sync::Mutex<State>,
    cancel: CancellationToken,
}

impl WatchStream {
    pub(crate) fn new(resource: ResourceClient, options: CallOptions) -> Self {
        WatchStream {
            resource,
            state: tokio::sync::Mutex::new(State::Idle(options)),
            cancel: CancellationToken::new(),
        }
    }

    /// Closes the connection; a pending or later `next_batch` answers `None`. Idempotent.
    pub fn stop(&self) {
        self.cancel.cancel();
        if let Ok(mut state) = self.state.try_lock() {
            *state = State::Finished;
        }
    }

    /// Whether `stop()` was called.
    pub fn is_stopped(&self) -> bool {
        self.cancel.is_cancelled()
    }

    /// Waits for at least one event and returns every event already received (up to
    /// `max_events`) as a JSON array text `[{"type":…,"object":…},…]`; `None` once the
    /// watch ended. A transport failure is returned after the events read before it.
    pub async fn next_batch(&self, max_events: usize) -> Result<Option<String>> {
        let mut state = self.state.lock().await;
        if self.cancel.is_cancelled() {
            *state = State::Finished;
            return Ok(None);
        }
        loop {
            match std::mem::replace(&mut *state, State::Finished) {
                State::Finished => return Ok(None),
                State::Failed(error) => return Err(error),
                State::Idle(options) => match self.connect(&options).await {
                    Ok(lines) => *state = State::Streaming(lines),
                    Err(Error::Cancelled) => return Ok(None),
                    Err(error) => return Err(error),
                },
                State::Streaming(mut lines) => {
                    let first = tokio::select! {
                        biased;
                        _ = self.cancel.cancelled() => return Ok(None),
                        line = lines.next() => line,
                    };
                    let mut batch = String::from("[");
                    let mut count = 0usize;
                    let mut after = State::Streaming(Box::pin(futures::stream::empty()));
                    let mut next = first;
                    loop {
                        match next {
                            None => {
                                after = State::Finished;
                                break;
                            }
                            Some(Err(error)) => {
                                after = State::Failed(self.stream_error(error));
                                break;
                            }
                            Some(Ok(line)) => {
                                let line = line.trim();
                                if !line.is_empty() {
                                    if count > 0 {
                                        batch.push(',');
                                    }
                                    batch.push_str(line);
                                    count += 1;
                                }
                            }
                        }
                        if count >= max_events.max(1) {
                            break;
                        }
                        match lines.next().now_or_never() {
                            Some(item) => next = item,
                            None => break,
                        }
                    }
                    if matches!(after, State::Streaming(_)) {
                        after = State::Streaming(lines);
                    }
                    if count == 0 {
                        // Only blank lines so far: keep waiting (or report the end/failure).
                        *state = after;
                        continue;
                    }
                    *state = after;
                    batch.push(']');
                    return Ok(Some(batch));
                }
            }
        }
    }

    async fn connect(&self, options: &CallOptions) -> Result<EventLines> {
        let resource = cancellable(&self.cancel, self.resource.resolve(&self.cancel)).await?;
        let (path, target) = self.resource.watch_target(&resource, options)?;
        let client = self.resource.client();
        let response = client.open_stream(&path, &target, &self.cancel).await?;
        let body = response
            .into_body()
            .into_data_stream()
            .map_err(std::io::Error::other);
        let reader = StreamReader::new(body);
        let lines = FramedRead::new(reader, LinesCodec::new_with_max_length(MAX_EVENT_BYTES));
        Ok(Box::pin(lines))
    }

    fn stream_error(&self, error: LinesCodecError) -> Error {
        match error {
            LinesCodecError::MaxLineLengthExceeded => Error::UnexpectedResponse {
                url: self.resource.kind().to_owned(),
                message: format!("a watch event exceeded {MAX_EVENT_BYTES} bytes"),
            },
            LinesCodecError::Io(io) => {
                crate::failure::connection_error(Box::new(io), self.resource.client().server())
            }
        }
    }
}

impl Drop for WatchStream {
    fn drop(&mut self) {
        self.cancel.cancel();
    }
}
