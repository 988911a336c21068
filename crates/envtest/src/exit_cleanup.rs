//! Process-exit cleanup: control planes registered here are killed (and their temp dirs
//! removed) when the process exits normally or through `exit()` — e.g. Node's
//! `process.exit()` — even if nobody called `stop()`.

use std::sync::{Arc, Mutex, Once, Weak};

use crate::environment::EnvTest;

static LIVE: Mutex<Vec<Weak<EnvTest>>> = Mutex::new(Vec::new());

fn live() -> std::sync::MutexGuard<'static, Vec<Weak<EnvTest>>> {
    LIVE.lock().unwrap_or_else(|poisoned| poisoned.into_inner())
}

/// Registers a control plane to be killed at process exit (an `atexit` handler is
/// installed on first use). Holding only a weak reference, it never keeps one alive.
pub fn kill_at_exit(envtest: &Arc<EnvTest>) {
    static INSTALL: Once = Once::new();
    INSTALL.call_once(|| {
        #[cfg(unix)]
        // SAFETY: registers a plain extern "C" function that only runs synchronous cleanup.
        unsafe {
            libc::atexit(kill_all_registered);
        }
    });
    let mut live = live();
    live.retain(|weak| weak.strong_count() > 0);
    live.push(Arc::downgrade(envtest));
}

/// Kills every registered control plane now.
pub fn kill_all() {
    let running: Vec<Arc<EnvTest>> = live().drain(..).filter_map(|weak| weak.upgrade()).collect();
    for envtest in running {
        envtest.kill_now();
    }
}

#[cfg(unix)]
extern "C" fn kill_all_registered() {
    kill_all();
}
