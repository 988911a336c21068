//! The download progress bar (indicatif), drawn on the run's stderr when it is a terminal.

use std::io;

use indicatif::{ProgressBar, ProgressDrawTarget, ProgressStyle, TermLike};

use crate::io::SharedWriter;

/// indicatif's terminal operations as ANSI escapes on a [`SharedWriter`].
#[derive(Debug)]
struct AnsiTerm(SharedWriter);

impl AnsiTerm {
    fn emit(&self, s: &str) -> io::Result<()> {
        self.0.emit(s.as_bytes());
        Ok(())
    }
}

impl TermLike for AnsiTerm {
    fn width(&self) -> u16 {
        80
    }

    fn move_cursor_up(&self, n: usize) -> io::Result<()> {
        if n == 0 {
            Ok(())
        } else {
            self.emit(&format!("\x1b[{n}A"))
        }
    }

    fn move_cursor_down(&self, n: usize) -> io::Result<()> {
        if n == 0 {
            Ok(())
        } else {
            self.emit(&format!("\x1b[{n}B"))
        }
    }

    fn move_cursor_right(&self, n: usize) -> io::Result<()> {
        if n == 0 {
            Ok(())
        } else {
            self.emit(&format!("\x1b[{n}C"))
        }
    }

    fn move_cursor_left(&self, n: usize) -> io::Result<()> {
        if n == 0 {
            Ok(())
        } else {
            self.emit(&format!("\x1b[{n}D"))
        }
    }

    fn write_line(&self, s: &str) -> io::Result<()> {
        self.emit(&format!("{s}\n"))
    }

    fn write_str(&self, s: &str) -> io::Result<()> {
        self.emit(s)
    }

    fn clear_line(&self) -> io::Result<()> {
        self.emit("\r\x1b[2K")
    }

    fn flush(&self) -> io::Result<()> {
        Ok(())
    }
}

/// A bar for downloading `archive` (`total` bytes if known), drawn on `terminal`, or a
/// hidden bar when there is no terminal.
pub(crate) fn download_bar(
    terminal: Option<&SharedWriter>,
    archive: &str,
    total: Option<u64>,
) -> ProgressBar {
    let Some(terminal) = terminal else {
        return ProgressBar::hidden();
    };
    let target = ProgressDrawTarget::term_like_with_hz(Box::new(AnsiTerm(terminal.clone())), 10);
    let bar = ProgressBar::with_draw_target(total, target);
    let template = if total.is_some() {
        "{msg} [{bar:25}] {bytes}/{total_bytes} ({bytes_per_sec}, {eta})"
    } else {
        "{msg} {spinner} {bytes} ({bytes_per_sec})"
    };
    if let Ok(style) = ProgressStyle::with_template(template) {
        bar.set_style(style.progress_chars("=> "));
    }
    bar.set_message(format!("downloading {archive}"));
    bar.tick();
    bar
}
