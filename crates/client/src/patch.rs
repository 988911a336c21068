//! The four patch types and their MIME types.

use crate::error::{Error, Result};

/// How a patch body is interpreted by the server.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum PatchType {
    /// RFC 6902 JSON patch (`application/json-patch+json`).
    Json,
    /// RFC 7386 JSON merge patch (`application/merge-patch+json`).
    Merge,
    /// Kubernetes strategic merge patch (`application/strategic-merge-patch+json`).
    Strategic,
    /// Server-side apply (`application/apply-patch+yaml`).
    Apply,
}

impl PatchType {
    /// Parses `"json"`, `"merge"`, `"strategic"`, `"apply"` or the MIME type itself.
    pub fn parse(text: &str) -> Result<Self> {
        match text {
            "json" | "application/json-patch+json" => Ok(PatchType::Json),
            "merge" | "application/merge-patch+json" => Ok(PatchType::Merge),
            "strategic" | "application/strategic-merge-patch+json" => Ok(PatchType::Strategic),
            "apply" | "application/apply-patch+yaml" => Ok(PatchType::Apply),
            other => Err(Error::invalid(format!(
                "invalid patch type \"{other}\": use \"json\", \"merge\", \"strategic\" or \"apply\" \
                 (or the MIME type application/json-patch+json, application/merge-patch+json, \
                 application/strategic-merge-patch+json, application/apply-patch+yaml)"
            ))),
        }
    }

    /// The `Content-Type` sent with the patch.
    pub fn content_type(self) -> &'static str {
        match self {
            PatchType::Json => "application/json-patch+json",
            PatchType::Merge => "application/merge-patch+json",
            PatchType::Strategic => "application/strategic-merge-patch+json",
            PatchType::Apply => "application/apply-patch+yaml",
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn short_names_and_mime_types_are_both_accepted() {
        for (short, mime) in [
            ("json", "application/json-patch+json"),
            ("merge", "application/merge-patch+json"),
            ("strategic", "application/strategic-merge-patch+json"),
            ("apply", "application/apply-patch+yaml"),
        ] {
            assert_eq!(
                PatchType::parse(short).unwrap(),
                PatchType::parse(mime).unwrap()
            );
            assert_eq!(PatchType::parse(short).unwrap().content_type(), mime);
        }
        let err = PatchType::parse("yaml").unwrap_err();
        assert!(
            err.to_string().contains("invalid patch type \"yaml\""),
            "{err}"
        );
    }
}
