//! A small logger in the shape of upstream's (zap development console encoder through
//! logr): `<time>\t<LEVEL>\t<logger name>\t<message>\t{"key": "value"}` on stderr, filtered
//! by the `-v` level (default `warn`, so a normal run logs nothing).

use std::fmt::{self, Write as _};

use crate::gofmt::quote;
use crate::io::SharedWriter;

/// A zap level name as accepted by `-v`.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord)]
pub enum Level {
    /// `debug`: logr `V(1)` traces.
    Debug,
    /// `info`: logr `V(0)` messages.
    Info,
    /// `warn` (the default).
    Warn,
    /// `error`.
    Error,
    /// `dpanic`.
    DPanic,
    /// `panic`.
    Panic,
    /// `fatal`.
    Fatal,
}

impl Level {
    /// zap's `Level.UnmarshalText`: lower- or upper-case names, `""` meaning `info`.
    pub fn parse(text: &str) -> Result<Level, String> {
        let level = match text.to_ascii_lowercase().as_str() {
            "debug" => Level::Debug,
            "info" | "" => Level::Info,
            "warn" => Level::Warn,
            "error" => Level::Error,
            "dpanic" => Level::DPanic,
            "panic" => Level::Panic,
            "fatal" => Level::Fatal,
            _ => return Err(format!("unrecognized level: {}", quote(text))),
        };
        Ok(level)
    }

    fn capital(self) -> &'static str {
        match self {
            Level::Debug => "DEBUG",
            Level::Info => "INFO",
            Level::Warn => "WARN",
            Level::Error => "ERROR",
            Level::DPanic => "DPANIC",
            Level::Panic => "PANIC",
            Level::Fatal => "FATAL",
        }
    }
}

impl fmt::Display for Level {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(&self.capital().to_ascii_lowercase())
    }
}

/// A named logger writing to stderr at or above a level; `Logger::disabled()` drops all.
#[derive(Clone, Debug)]
pub(crate) struct Logger {
    level: Level,
    sink: Option<SharedWriter>,
    name: String,
}

impl Logger {
    pub(crate) fn new(level: Level, sink: SharedWriter) -> Self {
        Logger {
            level,
            sink: Some(sink),
            name: String::new(),
        }
    }

    pub(crate) fn disabled() -> Self {
        Logger {
            level: Level::Fatal,
            sink: None,
            name: String::new(),
        }
    }

    /// A child logger; names are joined with `.` as zap does.
    pub(crate) fn named(&self, name: &str) -> Self {
        let name = if self.name.is_empty() {
            name.to_string()
        } else {
            format!("{}.{name}", self.name)
        };
        Logger {
            name,
            ..self.clone()
        }
    }

    /// logr `V(1).Info`.
    pub(crate) fn debug(&self, msg: &str, fields: &[(&str, &dyn fmt::Display)]) {
        self.write(Level::Debug, msg, fields);
    }

    /// logr `Info` (V(0)).
    pub(crate) fn info(&self, msg: &str, fields: &[(&str, &dyn fmt::Display)]) {
        self.write(Level::Info, msg, fields);
    }

    /// logr `Error`.
    pub(crate) fn error(
        &self,
        err: &dyn fmt::Display,
        msg: &str,
        fields: &[(&str, &dyn fmt::Display)],
    ) {
        let mut all: Vec<(&str, &dyn fmt::Display)> = fields.to_vec();
        all.push(("error", err));
        self.write(Level::Error, msg, &all);
    }

    fn write(&self, level: Level, msg: &str, fields: &[(&str, &dyn fmt::Display)]) {
        let Some(sink) = &self.sink else { return };
        if level < self.level {
            return;
        }
        let mut line = chrono::Local::now()
            .format("%Y-%m-%dT%H:%M:%S%.3f%z")
            .to_string();
        let _ = write!(line, "\t{}", level.capital());
        if !self.name.is_empty() {
            let _ = write!(line, "\t{}", self.name);
        }
        let _ = write!(line, "\t{msg}");
        if !fields.is_empty() {
            let rendered: Vec<String> = fields
                .iter()
                .map(|(k, v)| format!("{}: {}", json_string(k), json_string(&v.to_string())))
                .collect();
            let _ = write!(line, "\t{{{}}}", rendered.join(", "));
        }
        line.push('\n');
        sink.emit(line.as_bytes());
    }
}

fn json_string(s: &str) -> String {
    let mut out = String::with_capacity(s.len() + 2);
    out.push('"');
    for c in s.chars() {
        match c {
            '"' => out.push_str("\\\""),
            '\\' => out.push_str("\\\\"),
            '\n' => out.push_str("\\n"),
            '\r' => out.push_str("\\r"),
            '\t' => out.push_str("\\t"),
            c if (c as u32) < 0x20 => {
                let _ = write!(out, "\\u{:04x}", c as u32);
            }
            c => out.push(c),
        }
    }
    out.push('"');
    out
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::io::Captured;

    #[test]
    fn levels_parse_like_zap() {
        assert_eq!(Level::parse("debug"), Ok(Level::Debug));
        assert_eq!(Level::parse("WARN"), Ok(Level::Warn));
        assert_eq!(Level::parse("Info"), Ok(Level::Info));
        assert_eq!(Level::parse(""), Ok(Level::Info));
        assert_eq!(
            Level::parse("verbose"),
            Err("unrecognized level: \"verbose\"".to_string())
        );
        assert_eq!(Level::Warn.to_string(), "warn");
    }

    #[test]
    fn lines_are_filtered_by_level_and_carry_name_and_fields() {
        let out = Captured::new();
        let log = Logger::new(Level::Info, SharedWriter::new(out.clone())).named("use");
        log.debug("hidden", &[]);
        log.info("shown", &[("version", &"1.30.0")]);
        let text = out.text();
        assert!(!text.contains("hidden"));
        let line = text.lines().next().unwrap();
        let cols: Vec<&str> = line.split('\t').collect();
        assert_eq!(
            &cols[1..],
            ["INFO", "use", "shown", "{\"version\": \"1.30.0\"}"]
        );
    }
}
