//! `resource.Quantity` as kube-apiserver reads and writes it: parsing
//! (`1.5Gi`, `500m`, `2e3`), rounding up to milli scale (`SetDefaults_ResourceList`)
//! and the canonical text form every Quantity is serialised in
//! (`0.5` → `500m`, `1024Mi` → `1Gi`, `1000` → `1k`).
//!
//! ```
//! use klite_apiserver::defaults::quantity::Quantity;
//! let mut q: Quantity = "0.5".parse().unwrap();
//! assert_eq!(q.canonical(), "500m");
//! q = "0.0001".parse().unwrap();
//! q.round_up_to_milli();
//! assert_eq!(q.canonical(), "1m");
//! assert_eq!("1536Mi".parse::<Quantity>().unwrap().canonical(), "1536Mi");
//! ```

use std::cmp::Ordering;
use std::str::FromStr;

/// The regular expression upstream quotes when a quantity does not parse.
pub const QUANTITY_SYNTAX_ERROR: &str =
    "quantities must match the regular expression '^([+-]?[0-9.]+)([eEinumkKMGTP]*[-+]?[0-9]*)$'";

/// The suffix family a quantity was written in (kept for serialisation).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Format {
    /// `m`, `k`, `M`, … or no suffix.
    DecimalSi,
    /// `Ki`, `Mi`, `Gi`, …
    BinarySi,
    /// `e3`, `E-2`.
    DecimalExponent,
}

/// A parsed quantity: `mantissa × 10^scale`, plus its format.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Quantity {
    mantissa: i128,
    scale: i32,
    format: Format,
}

/// Why a quantity failed to parse (the upstream decode error text).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct QuantityError(pub &'static str);

impl std::fmt::Display for QuantityError {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str(self.0)
    }
}

impl std::error::Error for QuantityError {}

const SUFFIX_ERROR: QuantityError = QuantityError("unable to parse quantity's suffix");
const SYNTAX_ERROR: QuantityError = QuantityError(QUANTITY_SYNTAX_ERROR);

fn pow10(exp: u32) -> Option<i128> {
    10i128.checked_pow(exp)
}

impl FromStr for Quantity {
    type Err = QuantityError;

    fn from_str(text: &str) -> Result<Self, Self::Err> {
        let bytes = text.as_bytes();
        let mut pos = 0;
        let negative = match bytes.first() {
            Some(b'-') => {
                pos = 1;
                true
            }
            Some(b'+') => {
                pos = 1;
                false
            }
            _ => false,
        };
        let number_start = pos;
        while pos < bytes.len() && (bytes[pos].is_ascii_digit() || bytes[pos] == b'.') {
            pos += 1;
        }
        let number = &text[number_start..pos];
        let suffix = &text[pos..];
        if number.is_empty() || number.matches('.').count() > 1 || number == "." {
            return Err(SYNTAX_ERROR);
        }
        let suffix_ok = {
            let mut chars = suffix.chars().peekable();
            while chars.peek().is_some_and(|c| "eEinumkKMGTP".contains(*c)) {
                chars.next();
            }
            if chars.peek().is_some_and(|c| *c == '-' || *c == '+') {
                chars.next();
            }
            chars.all(|c| c.is_ascii_digit())
        };
        if !suffix_ok {
            return Err(SYNTAX_ERROR);
        }
        let (int_part, frac_part) = number.split_once('.').unwrap_or((number, ""));
        let digits: String = format!("{int_part}{frac_part}");
        let digits = digits.trim_start_matches('0');
        if digits.len() > 36 {
            return Err(SYNTAX_ERROR);
        }
        let mut mantissa: i128 = if digits.is_empty() {
            0
        } else {
            digits.parse().map_err(|_| SYNTAX_ERROR)?
        };
        let mut scale = -(frac_part.len() as i32);
        let format;
        match suffix {
            "" => format = Format::DecimalSi,
            "n" | "u" | "m" | "k" | "M" | "G" | "T" | "P" | "E" => {
                format = Format::DecimalSi;
                scale += match suffix {
                    "n" => -9,
                    "u" => -6,
                    "m" => -3,
                    "k" => 3,
                    "M" => 6,
                    "G" => 9,
                    "T" => 12,
                    "P" => 15,
                    _ => 18,
                };
            }
            "Ki" | "Mi" | "Gi" | "Ti" | "Pi" | "Ei" => {
                format = Format::BinarySi;
                let power = match suffix {
                    "Ki" => 10,
                    "Mi" => 20,
                    "Gi" => 30,
                    "Ti" => 40,
                    "Pi" => 50,
                    _ => 60,
                };
                mantissa = mantissa.checked_mul(1i128 << power).ok_or(SYNTAX_ERROR)?;
            }
            _ => {
                let exponent = suffix
                    .strip_prefix('e')
                    .or_else(|| suffix.strip_prefix('E'))
                    .ok_or(SUFFIX_ERROR)?;
                let exponent: i32 = exponent.parse().map_err(|_| SUFFIX_ERROR)?;
                if !(-100..=100).contains(&exponent) {
                    return Err(SUFFIX_ERROR);
                }
                format = Format::DecimalExponent;
                scale += exponent;
            }
        }
        if negative {
            mantissa = -mantissa;
        }
        let mut q = Quantity {
            mantissa,
            scale,
            format,
        };
        q.normalise();
        Ok(q)
    }
}

impl Quantity {
    /// Move trailing decimal zeros of the mantissa into the scale.
    fn normalise(&mut self) {
        if self.mantissa == 0 {
            self.scale = 0;
            return;
        }
        while self.mantissa % 10 == 0 {
            self.mantissa /= 10;
            self.scale += 1;
        }
    }

    /// Is the value zero?
    pub fn is_zero(&self) -> bool {
        self.mantissa == 0
    }

    /// Is the value greater than zero?
    pub fn is_positive(&self) -> bool {
        self.mantissa > 0
    }

    /// `RoundUp(-3)`: drop precision finer than milli, rounding away from zero.
    pub fn round_up_to_milli(&mut self) {
        if self.scale >= -3 {
            return;
        }
        let Some(divisor) = pow10((-3 - self.scale) as u32) else {
            // Unimaginably fine: the smallest milli step in the value's direction.
            self.mantissa = self.mantissa.signum();
            self.scale = -3;
            return;
        };
        let quotient = self.mantissa / divisor;
        let remainder = self.mantissa % divisor;
        self.mantissa = quotient + remainder.signum();
        self.scale = -3;
        self.normalise();
    }

    /// The value as an exact integer when it has no fractional part.
    fn as_integer(&self) -> Option<i128> {
        if self.scale >= 0 {
            self.mantissa.checked_mul(pow10(self.scale as u32)?)
        } else {
            None
        }
    }

    /// The canonical serialisation (`Quantity.String()` after canonicalisation).
    pub fn canonical(&self) -> String {
        if self.mantissa == 0 {
            return "0".into();
        }
        let mut format = self.format;
        let mut integer = None;
        if format == Format::BinarySi {
            match self.as_integer() {
                Some(v) if v > -1024 && v < 1024 => format = Format::DecimalSi,
                Some(v) => integer = Some(v),
                None => format = Format::DecimalSi,
            }
        }
        if let (Format::BinarySi, Some(mut value)) = (format, integer) {
            let mut power = 0;
            while power < 6 && value % 1024 == 0 {
                value /= 1024;
                power += 1;
            }
            let suffix = ["", "Ki", "Mi", "Gi", "Ti", "Pi", "Ei"][power];
            return format!("{value}{suffix}");
        }
        let mut amount = self.mantissa;
        let mut exponent = self.scale;
        match exponent.rem_euclid(3) {
            1 => {
                amount *= 10;
                exponent -= 1;
            }
            2 => {
                amount *= 100;
                exponent -= 2;
            }
            _ => {}
        }
        let suffix = if format == Format::DecimalExponent {
            if exponent == 0 {
                String::new()
            } else {
                format!("e{exponent}")
            }
        } else {
            match exponent {
                -9 => "n".into(),
                -6 => "u".into(),
                -3 => "m".into(),
                0 => String::new(),
                3 => "k".into(),
                6 => "M".into(),
                9 => "G".into(),
                12 => "T".into(),
                15 => "P".into(),
                18 => "E".into(),
                other => format!("e{other}"),
            }
        };
        format!("{amount}{suffix}")
    }

    /// The sum of two quantities (keeps `self`'s format).
    pub fn add(&self, other: &Quantity) -> Quantity {
        let scale = self.scale.min(other.scale);
        let lhs = self.scaled_mantissa(scale);
        let rhs = other.scaled_mantissa(scale);
        let mut q = Quantity {
            mantissa: lhs.saturating_add(rhs),
            scale,
            format: self.format,
        };
        q.normalise();
        q
    }

    fn scaled_mantissa(&self, scale: i32) -> i128 {
        let shift = (self.scale - scale).max(0) as u32;
        pow10(shift)
            .and_then(|p| self.mantissa.checked_mul(p))
            .unwrap_or(if self.mantissa < 0 {
                i128::MIN
            } else {
                i128::MAX
            })
    }
}

impl PartialOrd for Quantity {
    fn partial_cmp(&self, other: &Self) -> Option<Ordering> {
        let scale = self.scale.min(other.scale);
        Some(
            self.scaled_mantissa(scale)
                .cmp(&other.scaled_mantissa(scale)),
        )
    }
}

/// Canonicalise one quantity value in place (strings and numbers); `round` applies
/// `SetDefaults_ResourceList`'s milli rounding. Unparseable values are reported.
pub fn canonicalise_value(value: &mut serde_json::Value, round: bool) -> Result<(), QuantityError> {
    let text = match value {
        serde_json::Value::String(s) => s.clone(),
        serde_json::Value::Number(n) => n.to_string(),
        _ => return Err(SYNTAX_ERROR),
    };
    let mut q: Quantity = text.parse()?;
    if round {
        q.round_up_to_milli();
    }
    *value = serde_json::Value::String(q.canonical());
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::*;

    fn canon(s: &str) -> String {
        s.parse::<Quantity>().unwrap().canonical()
    }

    fn rounded(s: &str) -> String {
        let mut q: Quantity = s.parse().unwrap();
        q.round_up_to_milli();
        q.canonical()
    }

    #[test]
    fn canonical_forms_follow_apimachinery() {
        assert_eq!(canon("0.5"), "500m");
        assert_eq!(canon("1000m"), "1");
        assert_eq!(canon("1000"), "1k");
        assert_eq!(canon("1024"), "1024");
        assert_eq!(canon("100"), "100");
        assert_eq!(canon("1500m"), "1500m");
        assert_eq!(canon("1.5"), "1500m");
        assert_eq!(canon("2000000"), "2M");
        assert_eq!(canon("1024Mi"), "1Gi");
        assert_eq!(canon("1536Mi"), "1536Mi");
        assert_eq!(canon("1.5Gi"), "1536Mi");
        assert_eq!(canon("0.5Gi"), "512Mi");
        assert_eq!(canon("512Ki"), "512Ki");
        assert_eq!(canon("1Ki"), "1Ki");
        assert_eq!(canon("0.5Ki"), "512");
        assert_eq!(canon("1e3"), "1e3");
        assert_eq!(canon("1.5e3"), "1500");
        assert_eq!(canon("12e6"), "12e6");
        assert_eq!(canon("0"), "0");
        assert_eq!(canon("0Gi"), "0");
        assert_eq!(canon("-1"), "-1");
        assert_eq!(canon("+2k"), "2k");
        assert_eq!(canon("1G"), "1G");
        assert_eq!(canon("128974848"), "128974848");
        assert_eq!(canon("129e6"), "129e6");
        assert_eq!(canon("123Mi"), "123Mi");
    }

    #[test]
    fn resource_lists_round_up_to_milli() {
        assert_eq!(rounded("0.0001"), "1m");
        assert_eq!(rounded("100u"), "1m");
        assert_eq!(rounded("1n"), "1m");
        assert_eq!(rounded("0.1Gi"), "107374182400m");
        assert_eq!(rounded("250m"), "250m");
    }

    #[test]
    fn bad_syntax_is_the_upstream_decode_error() {
        for bad in ["", "abc", "1.2.3", "1Gb", "1 Gi", "--1", "1e"] {
            let err = bad.parse::<Quantity>().unwrap_err();
            assert!(err == SYNTAX_ERROR || err == SUFFIX_ERROR, "{bad}: {err}");
        }
        assert_eq!("1x".parse::<Quantity>().unwrap_err(), SYNTAX_ERROR);
        assert_eq!("1Ei2".parse::<Quantity>().unwrap_err(), SUFFIX_ERROR);
    }

    #[test]
    fn comparison_and_sum_are_exact() {
        let a: Quantity = "1".parse().unwrap();
        let b: Quantity = "1000m".parse().unwrap();
        assert_eq!(a.partial_cmp(&b), Some(Ordering::Equal));
        let c: Quantity = "1Gi".parse().unwrap();
        let d: Quantity = "1G".parse().unwrap();
        assert!(c > d);
        assert_eq!(a.add(&"500m".parse().unwrap()).canonical(), "1500m");
    }
}
