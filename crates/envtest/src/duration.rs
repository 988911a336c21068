//! Go `time.ParseDuration` compatible parsing, used for start/stop timeouts
//! (`KUBEBUILDER_CONTROLPLANE_START_TIMEOUT=1m30s`, options `startTimeout: "60s"`).

use std::time::Duration;

use crate::error::Error;

/// Parses a Go duration string (`"300ms"`, `"1.5h"`, `"2h45m"`, `"0"`).
///
/// Units are `ns`, `us` (`µs`, `μs`), `ms`, `s`, `m`, `h`, as in Go. Negative durations
/// are rejected because a negative timeout has no meaning here.
pub fn parse_go_duration(input: &str) -> Result<Duration, Error> {
    let quoted = format!("\"{input}\"");
    let invalid = || Error::InvalidDuration {
        message: format!("time: invalid duration {quoted}"),
    };
    let mut rest = input;
    if let Some(stripped) = rest.strip_prefix('+') {
        rest = stripped;
    } else if rest.starts_with('-') {
        return Err(Error::InvalidDuration {
            message: format!("negative duration {quoted} is not a valid timeout"),
        });
    }
    if rest == "0" {
        return Ok(Duration::ZERO);
    }
    if rest.is_empty() {
        return Err(invalid());
    }
    let mut total_nanos: f64 = 0.0;
    while !rest.is_empty() {
        let number_len = rest
            .find(|c: char| !(c.is_ascii_digit() || c == '.'))
            .unwrap_or(rest.len());
        let number = &rest[..number_len];
        if number.is_empty() || number == "." || number.matches('.').count() > 1 {
            return Err(invalid());
        }
        let value: f64 = number.parse().map_err(|_| invalid())?;
        rest = &rest[number_len..];
        let unit_len = rest
            .find(|c: char| c.is_ascii_digit() || c == '.')
            .unwrap_or(rest.len());
        let unit = &rest[..unit_len];
        rest = &rest[unit_len..];
        let nanos_per_unit = match unit {
            "" => {
                return Err(Error::InvalidDuration {
                    message: format!("time: missing unit in duration {quoted}"),
                })
            }
            "ns" => 1.0,
            "us" | "µs" | "μs" => 1e3,
            "ms" => 1e6,
            "s" => 1e9,
            "m" => 60e9,
            "h" => 3600e9,
            other => {
                return Err(Error::InvalidDuration {
                    message: format!("time: unknown unit \"{other}\" in duration {quoted}"),
                })
            }
        };
        total_nanos += value * nanos_per_unit;
    }
    if !total_nanos.is_finite() || total_nanos > u64::MAX as f64 {
        return Err(invalid());
    }
    Ok(Duration::from_nanos(total_nanos.round() as u64))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn parses_go_duration_forms() {
        assert_eq!(parse_go_duration("60s").unwrap(), Duration::from_secs(60));
        assert_eq!(parse_go_duration("1m30s").unwrap(), Duration::from_secs(90));
        assert_eq!(
            parse_go_duration("1.5h").unwrap(),
            Duration::from_secs(5400)
        );
        assert_eq!(
            parse_go_duration("300ms").unwrap(),
            Duration::from_millis(300)
        );
        assert_eq!(
            parse_go_duration("2h45m").unwrap(),
            Duration::from_secs(9900)
        );
        assert_eq!(
            parse_go_duration("10us").unwrap(),
            Duration::from_micros(10)
        );
        assert_eq!(
            parse_go_duration("10µs").unwrap(),
            Duration::from_micros(10)
        );
        assert_eq!(parse_go_duration("0").unwrap(), Duration::ZERO);
        assert_eq!(parse_go_duration("+5s").unwrap(), Duration::from_secs(5));
    }

    #[test]
    fn rejects_what_go_rejects() {
        for bad in ["", "s", "1..5s", ".s"] {
            let err = parse_go_duration(bad).unwrap_err();
            assert_eq!(err.to_string(), format!("time: invalid duration \"{bad}\""));
        }
        assert_eq!(
            parse_go_duration("60").unwrap_err().to_string(),
            "time: missing unit in duration \"60\""
        );
        assert_eq!(
            parse_go_duration("1x").unwrap_err().to_string(),
            "time: unknown unit \"x\" in duration \"1x\""
        );
        assert_eq!(
            parse_go_duration("1m 30s").unwrap_err().to_string(),
            "time: unknown unit \"m \" in duration \"1m 30s\""
        );
        assert!(parse_go_duration("-1s").is_err());
    }
}
