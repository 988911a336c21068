//! The crate's error type for failures that are not field validation results.

/// Errors of klite-schema operations that cannot be expressed as field errors.
#[derive(Debug, thiserror::Error)]
pub enum SchemaError {
    /// A schema could not be turned into a structural schema.
    #[error("invalid schema at {path}: {message}")]
    InvalidSchema {
        /// Where in the schema the problem is.
        path: String,
        /// What is wrong.
        message: String,
    },
    /// A JSONPath expression could not be parsed.
    #[error("{0}")]
    JsonPath(String),
    /// A CEL expression could not be compiled or evaluated.
    #[error("{0}")]
    Cel(String),
}
