//! Name, label, annotation, finalizer and ObjectMeta rules with upstream's exact messages
//! (`k8s.io/apimachinery/pkg/util/validation`, `pkg/api/validate/content`,
//! `pkg/api/validation`, `pkg/apis/meta/v1/validation`).
//!
//! The `is_*` functions return the list of problem messages (empty = valid), exactly as the
//! Go functions of the same name do; the `validate_*` functions build [`FieldError`]s.
//!
//! ```
//! use klite_schema::validation::{is_dns1123_subdomain, validate_object_meta, NameRule};
//! use klite_schema::field::Path;
//! use serde_json::json;
//!
//! assert!(is_dns1123_subdomain("my-app.example.com").is_empty());
//! let errors = validate_object_meta(
//!     &json!({"name": "Bad_Name", "namespace": "default"}),
//!     true,
//!     NameRule::DnsSubdomain,
//!     &Path::new("metadata"),
//! );
//! assert!(errors.to_string().starts_with("metadata.name: Invalid value: \"Bad_Name\": a lowercase RFC 1123 subdomain"));
//! ```

use crate::field::{ErrorList, FieldError, Path};
use regex::Regex;
use serde_json::{Map, Value};
use std::collections::BTreeSet;
use std::sync::LazyLock;

const DNS1123_LABEL_FMT: &str = "[a-z0-9]([-a-z0-9]*[a-z0-9])?";
const DNS1123_LABEL_ERR: &str = "a lowercase RFC 1123 label must consist of lower case alphanumeric characters or '-', and must start and end with an alphanumeric character";
const DNS1123_SUBDOMAIN_FMT: &str =
    "[a-z0-9]([-a-z0-9]*[a-z0-9])?(\\.[a-z0-9]([-a-z0-9]*[a-z0-9])?)*";
const DNS1123_SUBDOMAIN_ERR: &str = "a lowercase RFC 1123 subdomain must consist of lower case alphanumeric characters, '-' or '.', and must start and end with an alphanumeric character";
const DNS1035_LABEL_FMT: &str = "[a-z]([-a-z0-9]*[a-z0-9])?";
const DNS1035_LABEL_ERR: &str = "a DNS-1035 label must consist of lower case alphanumeric characters or '-', start with an alphabetic character, and end with an alphanumeric character";
const LABEL_KEY_FMT: &str = "([A-Za-z0-9][-A-Za-z0-9_.]*)?[A-Za-z0-9]";
const LABEL_KEY_ERR: &str = "must consist of alphanumeric characters, '-', '_' or '.', and must start and end with an alphanumeric character";
const LABEL_VALUE_FMT: &str = "(([A-Za-z0-9][-A-Za-z0-9_.]*)?[A-Za-z0-9])?";
const LABEL_VALUE_ERR: &str = "a valid label must be an empty string or consist of alphanumeric characters, '-', '_' or '.', and must start and end with an alphanumeric character";

/// Maximum length of a DNS-1123 subdomain.
pub const DNS1123_SUBDOMAIN_MAX_LENGTH: usize = 253;
/// Maximum length of a DNS-1123 or DNS-1035 label.
pub const DNS1123_LABEL_MAX_LENGTH: usize = 63;
/// Maximum length of a label value and of the name part of a qualified name.
pub const LABEL_VALUE_MAX_LENGTH: usize = 63;
/// Maximum total size of all annotation keys and values, in bytes.
pub const TOTAL_ANNOTATION_SIZE_LIMIT: usize = 256 * 1024;
/// Upstream's `FieldImmutableErrorMsg`.
pub const FIELD_IMMUTABLE: &str = "field is immutable";

fn anchored(fmt: &str) -> Regex {
    // The patterns are constants known to compile.
    Regex::new(&format!("^{fmt}$")).unwrap_or_else(|_| unreachable!("constant regex {fmt}"))
}

static DNS1123_LABEL_RE: LazyLock<Regex> = LazyLock::new(|| anchored(DNS1123_LABEL_FMT));
static DNS1123_SUBDOMAIN_RE: LazyLock<Regex> = LazyLock::new(|| anchored(DNS1123_SUBDOMAIN_FMT));
static DNS1035_LABEL_RE: LazyLock<Regex> = LazyLock::new(|| anchored(DNS1035_LABEL_FMT));
static LABEL_KEY_RE: LazyLock<Regex> = LazyLock::new(|| anchored(LABEL_KEY_FMT));
static LABEL_VALUE_RE: LazyLock<Regex> = LazyLock::new(|| anchored(LABEL_VALUE_FMT));

/// Upstream `RegexError`: `<msg> (e.g. 'a',  or 'b', regex used for validation is '<re>')`
/// (note the two spaces before `or`).
pub fn regex_error(msg: &str, re: &str, examples: &[&str]) -> String {
    if examples.is_empty() {
        return format!("{msg} (regex used for validation is '{re}')");
    }
    let mut out = format!("{msg} (e.g. ");
    for (i, example) in examples.iter().enumerate() {
        if i > 0 {
            out.push_str(" or ");
        }
        out.push('\'');
        out.push_str(example);
        out.push_str("', ");
    }
    out.push_str("regex used for validation is '");
    out.push_str(re);
    out.push_str("')");
    out
}

/// `must be no more than N characters` (util/validation `MaxLenError`).
pub fn max_len_error(length: usize) -> String {
    format!("must be no more than {length} characters")
}

/// `must be no more than N bytes` (validate/content `MaxLenError`, used for label keys and
/// values since 1.35).
fn max_len_bytes_error(length: usize) -> String {
    format!("must be no more than {length} bytes")
}

/// DNS-1123 subdomain (`IsDNS1123Subdomain`): ≤ 253 characters, lower-case alphanumerics,
/// `-` and `.`.
pub fn is_dns1123_subdomain(value: &str) -> Vec<String> {
    subdomain_errors(value, max_len_error)
}

fn subdomain_errors(value: &str, max_len: fn(usize) -> String) -> Vec<String> {
    let mut errs = Vec::new();
    if value.len() > DNS1123_SUBDOMAIN_MAX_LENGTH {
        errs.push(max_len(DNS1123_SUBDOMAIN_MAX_LENGTH));
    }
    if !DNS1123_SUBDOMAIN_RE.is_match(value) {
        errs.push(regex_error(
            DNS1123_SUBDOMAIN_ERR,
            DNS1123_SUBDOMAIN_FMT,
            &["example.com"],
        ));
    }
    errs
}

/// DNS-1123 label (`IsDNS1123Label`): ≤ 63 characters, lower-case alphanumerics and `-`.
pub fn is_dns1123_label(value: &str) -> Vec<String> {
    let mut errs = Vec::new();
    if value.len() > DNS1123_LABEL_MAX_LENGTH {
        errs.push(max_len_error(DNS1123_LABEL_MAX_LENGTH));
    }
    if !DNS1123_LABEL_RE.is_match(value) {
        if DNS1123_SUBDOMAIN_RE.is_match(value) {
            errs.push("must not contain dots".to_string());
        } else {
            errs.push(regex_error(
                DNS1123_LABEL_ERR,
                DNS1123_LABEL_FMT,
                &["my-name", "123-abc"],
            ));
        }
    }
    errs
}

/// DNS-1035 label (`IsDNS1035Label`): like a DNS-1123 label but starting with a letter.
pub fn is_dns1035_label(value: &str) -> Vec<String> {
    let mut errs = Vec::new();
    if value.len() > DNS1123_LABEL_MAX_LENGTH {
        errs.push(max_len_error(DNS1123_LABEL_MAX_LENGTH));
    }
    if !DNS1035_LABEL_RE.is_match(value) {
        errs.push(regex_error(
            DNS1035_LABEL_ERR,
            DNS1035_LABEL_FMT,
            &["my-name", "abc-123"],
        ));
    }
    errs
}

/// Qualified name / label key (`IsQualifiedName`): optional DNS-subdomain prefix and `/`,
/// then a name of ≤ 63 bytes. Also used for annotation keys and finalizer names.
pub fn is_qualified_name(value: &str) -> Vec<String> {
    let mut errs = Vec::new();
    let parts: Vec<&str> = value.split('/').collect();
    let name = match parts.as_slice() {
        [name] => *name,
        [prefix, name] => {
            if prefix.is_empty() {
                errs.push("prefix part must be non-empty".to_string());
            } else {
                for msg in subdomain_errors(prefix, max_len_bytes_error) {
                    errs.push(format!("prefix part {msg}"));
                }
            }
            *name
        }
        _ => {
            errs.push(format!(
                "a valid label key {} with an optional DNS subdomain prefix and '/' (e.g. 'example.com/MyName')",
                regex_error(LABEL_KEY_ERR, LABEL_KEY_FMT, &["MyName", "my.name", "123-abc"])
            ));
            return errs;
        }
    };
    if name.is_empty() {
        errs.push("name part must be non-empty".to_string());
    } else if name.len() > LABEL_VALUE_MAX_LENGTH {
        errs.push(format!(
            "name part {}",
            max_len_bytes_error(LABEL_VALUE_MAX_LENGTH)
        ));
    }
    if !LABEL_KEY_RE.is_match(name) {
        errs.push(format!(
            "name part {}",
            regex_error(
                LABEL_KEY_ERR,
                LABEL_KEY_FMT,
                &["MyName", "my.name", "123-abc"]
            )
        ));
    }
    errs
}

/// Label value (`IsValidLabelValue`): empty, or ≤ 63 bytes of alphanumerics, `-`, `_`, `.`
/// starting and ending alphanumeric.
pub fn is_label_value(value: &str) -> Vec<String> {
    let mut errs = Vec::new();
    if value.len() > LABEL_VALUE_MAX_LENGTH {
        errs.push(max_len_bytes_error(LABEL_VALUE_MAX_LENGTH));
    }
    if !LABEL_VALUE_RE.is_match(value) {
        errs.push(regex_error(
            LABEL_VALUE_ERR,
            LABEL_VALUE_FMT,
            &["MyValue", "my_value", "12345"],
        ));
    }
    errs
}

/// Path-segment name (`IsValidPathSegmentName`): not `.` or `..`, no `/` or `%`.
pub fn is_path_segment_name(name: &str) -> Vec<String> {
    for illegal in [".", ".."] {
        if name == illegal {
            return vec![format!("may not be '{illegal}'")];
        }
    }
    is_path_segment_prefix(name)
}

/// Path-segment prefix (`IsValidPathSegmentPrefix`): no `/` or `%`.
pub fn is_path_segment_prefix(name: &str) -> Vec<String> {
    ["/", "%"]
        .iter()
        .filter(|illegal| name.contains(*illegal))
        .map(|illegal| format!("may not contain '{illegal}'"))
        .collect()
}

/// Upstream `maskTrailingDash`: a generateName ending in `-` has its last two characters
/// replaced by `a` before the name check.
pub fn mask_trailing_dash(name: &str) -> String {
    if name.len() > 1 && name.ends_with('-') {
        let cut = name.len() - 2;
        if name.is_char_boundary(cut) {
            return format!("{}a", &name[..cut]);
        }
    }
    name.to_string()
}

/// Which rule an object's name must follow (upstream `ValidateNameFunc`).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum NameRule {
    /// DNS-1123 subdomain: most kinds, including custom resources.
    DnsSubdomain,
    /// DNS-1123 label: namespaces.
    DnsLabel,
    /// DNS-1035 label: services.
    Dns1035Label,
    /// Path segment only: RBAC objects and the generic fallback.
    PathSegment,
}

impl NameRule {
    /// Validates a name, or a generateName prefix when `prefix` is true.
    pub fn validate(self, name: &str, prefix: bool) -> Vec<String> {
        match self {
            NameRule::PathSegment => {
                if prefix {
                    is_path_segment_prefix(name)
                } else {
                    is_path_segment_name(name)
                }
            }
            rule => {
                let masked;
                let name = if prefix {
                    masked = mask_trailing_dash(name);
                    masked.as_str()
                } else {
                    name
                };
                match rule {
                    NameRule::DnsSubdomain => is_dns1123_subdomain(name),
                    NameRule::DnsLabel => is_dns1123_label(name),
                    _ => is_dns1035_label(name),
                }
            }
        }
    }
}

fn string_list(value: Option<&Value>) -> Vec<&str> {
    match value {
        Some(Value::Array(items)) => items.iter().filter_map(Value::as_str).collect(),
        _ => Vec::new(),
    }
}

/// Label keys and values (`ValidateLabels`); errors sit on the map path itself.
pub fn validate_labels(labels: &Map<String, Value>, path: &Path) -> ErrorList {
    let mut errs = ErrorList::new();
    for (key, value) in labels {
        for msg in is_qualified_name(key) {
            errs.push(FieldError::invalid(path, key.as_str(), msg));
        }
        let value = value.as_str().unwrap_or("");
        for msg in is_label_value(value) {
            errs.push(FieldError::invalid(path, value, msg));
        }
    }
    errs
}

/// Annotation keys (lower-cased before the check) and the 256 KiB total size
/// (`ValidateAnnotations`).
pub fn validate_annotations(annotations: &Map<String, Value>, path: &Path) -> ErrorList {
    let mut errs = ErrorList::new();
    let mut total = 0usize;
    for (key, value) in annotations {
        for msg in is_qualified_name(&key.to_lowercase()) {
            errs.push(FieldError::invalid(path, key.as_str(), msg));
        }
        total += key.len() + value.as_str().map_or(0, str::len);
    }
    if total > TOTAL_ANNOTATION_SIZE_LIMIT {
        errs.push(FieldError::too_long(
            path,
            TOTAL_ANNOTATION_SIZE_LIMIT as i64,
        ));
    }
    errs
}

/// Finalizer names and the orphan/foregroundDeletion exclusion (`ValidateFinalizers`).
pub fn validate_finalizers(finalizers: &[&str], path: &Path) -> ErrorList {
    let mut errs = ErrorList::new();
    for finalizer in finalizers {
        for msg in is_qualified_name(finalizer) {
            errs.push(FieldError::invalid(path, *finalizer, msg));
        }
    }
    if finalizers.contains(&"orphan") && finalizers.contains(&"foregroundDeletion") {
        errs.push(FieldError::invalid(
            path,
            Value::from(finalizers.to_vec()),
            "finalizer orphan and foregroundDeletion cannot be both set",
        ));
    }
    errs
}

/// Owner references (`ValidateOwnerReferences`).
pub fn validate_owner_references(references: &[Value], path: &Path) -> ErrorList {
    let mut errs = ErrorList::new();
    let mut first_controller: Option<String> = None;
    for (i, reference) in references.iter().enumerate() {
        let ref_path = path.index(i);
        let field = |name: &str| reference.get(name).and_then(Value::as_str).unwrap_or("");
        let api_version = field("apiVersion");
        if api_version.is_empty() {
            errs.push(FieldError::required(
                &ref_path.child("apiVersion"),
                "must not be empty",
            ));
        } else if !is_group_version(api_version) {
            errs.push(FieldError::invalid(
                &ref_path.child("apiVersion"),
                api_version,
                "must be <group>/<version> or <version>",
            ));
        }
        for name in ["kind", "name", "uid"] {
            if field(name).is_empty() {
                errs.push(FieldError::required(
                    &ref_path.child(name),
                    "must not be empty",
                ));
            }
        }
        if api_version == "v1" && field("kind") == "Event" {
            errs.push(FieldError::invalid(
                &ref_path,
                reference.clone(),
                "/v1, Kind=Event is disallowed from being an owner",
            ));
        }
        if reference.get("controller").and_then(Value::as_bool) == Some(true) {
            let current = format!("{}/{}", field("kind"), field("name"));
            match &first_controller {
                Some(first) => errs.push(FieldError::invalid(
                    path,
                    Value::from(references.to_vec()),
                    format!("Only one reference can have Controller set to true. Found \"true\" in references for {first} and {current}"),
                )),
                None => first_controller = Some(current),
            }
        }
    }
    errs
}

/// Whether `value` parses as `<group>/<version>` or `<version>` with a non-empty version
/// (upstream `schema.ParseGroupVersion`).
fn is_group_version(value: &str) -> bool {
    let parts: Vec<&str> = value.split('/').collect();
    match parts.as_slice() {
        [version] => !version.is_empty(),
        [_, version] => !version.is_empty(),
        _ => false,
    }
}

/// ObjectMeta validation on create (`ValidateObjectMetaAccessor`): generateName and name by
/// `rule`, namespace presence, generation, labels, annotations, owner references,
/// finalizers.
///
/// `meta` is the object's `metadata` value; a missing or non-object value is treated as
/// empty metadata.
pub fn validate_object_meta(
    meta: &Value,
    namespaced: bool,
    rule: NameRule,
    path: &Path,
) -> ErrorList {
    validate_object_meta_with(
        meta,
        namespaced,
        &|name, prefix| rule.validate(name, prefix),
        path,
    )
}

/// [`validate_object_meta`] with a custom name function (upstream `ValidateNameFunc`),
/// e.g. the CRD rule that also requires `<plural>.<group>`.
pub fn validate_object_meta_with(
    meta: &Value,
    namespaced: bool,
    name_fn: &dyn Fn(&str, bool) -> Vec<String>,
    path: &Path,
) -> ErrorList {
    let mut errs = ErrorList::new();
    let text = |name: &str| meta.get(name).and_then(Value::as_str).unwrap_or("");
    let generate_name = text("generateName");
    if !generate_name.is_empty() {
        for msg in name_fn(generate_name, true) {
            errs.push(FieldError::invalid(
                &path.child("generateName"),
                generate_name,
                msg,
            ));
        }
    }
    let name = text("name");
    if name.is_empty() {
        errs.push(FieldError::required(
            &path.child("name"),
            "name or generateName is required",
        ));
    } else {
        for msg in name_fn(name, false) {
            errs.push(FieldError::invalid(&path.child("name"), name, msg));
        }
    }
    errs.extend(validate_object_meta_common(meta, namespaced, path));
    errs
}

fn validate_object_meta_common(meta: &Value, namespaced: bool, path: &Path) -> ErrorList {
    let mut errs = ErrorList::new();
    let namespace = meta.get("namespace").and_then(Value::as_str).unwrap_or("");
    if namespaced {
        if namespace.is_empty() {
            errs.push(FieldError::required(&path.child("namespace"), ""));
        } else {
            for msg in NameRule::DnsLabel.validate(namespace, false) {
                errs.push(FieldError::invalid(
                    &path.child("namespace"),
                    namespace,
                    msg,
                ));
            }
        }
    } else if !namespace.is_empty() {
        errs.push(FieldError::forbidden(
            &path.child("namespace"),
            "not allowed on this type",
        ));
    }
    errs.extend(validate_generation(meta, path));
    errs.extend(validate_maps_and_lists(meta, path));
    let finalizers = string_list(meta.get("finalizers"));
    errs.extend(validate_finalizers(&finalizers, &path.child("finalizers")));
    errs
}

fn validate_generation(meta: &Value, path: &Path) -> ErrorList {
    let mut errs = ErrorList::new();
    if let Some(generation) = meta.get("generation").and_then(Value::as_i64) {
        if generation < 0 {
            errs.push(FieldError::invalid(
                &path.child("generation"),
                generation,
                "must be greater than or equal to 0",
            ));
        }
    }
    errs
}

fn validate_maps_and_lists(meta: &Value, path: &Path) -> ErrorList {
    let mut errs = ErrorList::new();
    if let Some(Value::Object(labels)) = meta.get("labels") {
        errs.extend(validate_labels(labels, &path.child("labels")));
    }
    if let Some(Value::Object(annotations)) = meta.get("annotations") {
        errs.extend(validate_annotations(
            annotations,
            &path.child("annotations"),
        ));
    }
    if let Some(Value::Array(references)) = meta.get("ownerReferences") {
        errs.extend(validate_owner_references(
            references,
            &path.child("ownerReferences"),
        ));
    }
    errs
}

/// ObjectMeta validation on update (`ValidateObjectMetaAccessorUpdate`): no new finalizers
/// while deleting, resourceVersion present, generation, immutable name/namespace/uid/
/// creationTimestamp/deletionTimestamp/deletionGracePeriodSeconds, labels, annotations,
/// owner references.
pub fn validate_object_meta_update(new_meta: &Value, old_meta: &Value, path: &Path) -> ErrorList {
    let mut errs = ErrorList::new();
    let is_set = |meta: &Value, key: &str| meta.get(key).is_some_and(|v| !v.is_null());
    if is_set(old_meta, "deletionTimestamp") {
        let new_finalizers: BTreeSet<&str> = string_list(new_meta.get("finalizers"))
            .into_iter()
            .collect();
        let old_finalizers: BTreeSet<&str> = string_list(old_meta.get("finalizers"))
            .into_iter()
            .collect();
        let extra: Vec<&str> = new_finalizers
            .difference(&old_finalizers)
            .copied()
            .collect();
        if !extra.is_empty() {
            let rendered: Vec<String> = extra.iter().map(|f| crate::gofmt::quote(f)).collect();
            errs.push(FieldError::forbidden(
                &path.child("finalizers"),
                format!(
                    "no new finalizers can be added if the object is being deleted, found new finalizers []string{{{}}}",
                    rendered.join(", ")
                ),
            ));
        }
    }
    let text = |meta: &Value, key: &str| -> String {
        meta.get(key)
            .and_then(Value::as_str)
            .unwrap_or("")
            .to_string()
    };
    if text(new_meta, "resourceVersion").is_empty() {
        errs.push(FieldError::invalid(
            &path.child("resourceVersion"),
            "",
            "must be specified for an update",
        ));
    }
    errs.extend(validate_generation(new_meta, path));
    let generation = |meta: &Value| meta.get("generation").and_then(Value::as_i64).unwrap_or(0);
    if generation(new_meta) < generation(old_meta) {
        errs.push(FieldError::invalid(
            &path.child("generation"),
            generation(new_meta),
            "must not be decremented",
        ));
    }
    for key in ["name", "namespace", "uid", "creationTimestamp"] {
        let new_value = text(new_meta, key);
        if new_value != text(old_meta, key) {
            errs.push(FieldError::invalid(
                &path.child(key),
                new_value,
                FIELD_IMMUTABLE,
            ));
        }
    }
    for key in ["deletionTimestamp", "deletionGracePeriodSeconds"] {
        let new_value = new_meta.get(key).cloned().unwrap_or(Value::Null);
        let old_value = old_meta.get(key).cloned().unwrap_or(Value::Null);
        if new_value != old_value {
            errs.push(FieldError::invalid(
                &path.child(key),
                new_value,
                FIELD_IMMUTABLE,
            ));
        }
    }
    errs.extend(validate_maps_and_lists(new_meta, path));
    errs
}

/// `ValidateImmutableField`: `Invalid value: <new>: field is immutable` when the values
/// differ.
pub fn validate_immutable_field(new_value: &Value, old_value: &Value, path: &Path) -> ErrorList {
    if new_value == old_value {
        ErrorList::new()
    } else {
        FieldError::invalid(path, new_value.clone(), FIELD_IMMUTABLE).into()
    }
}

/// Warnings for newly added finalizers of a custom resource (apiextensions
/// `validateKubeFinalizerName`), e.g.
/// `metadata.finalizers: "foo": prefer a domain-qualified finalizer name to avoid accidental conflicts with other finalizer writers`.
///
/// `old` is the previous finalizer list on update (only new names are checked), `None` on
/// create. Names are checked in sorted order, as upstream.
pub fn custom_resource_finalizer_warnings(new: &[&str], old: Option<&[&str]>) -> Vec<String> {
    let mut added: BTreeSet<&str> = new.iter().copied().collect();
    if let Some(old) = old {
        for finalizer in old {
            added.remove(finalizer);
        }
    }
    let field = "metadata.finalizers";
    let mut warnings = Vec::new();
    for finalizer in added {
        let quoted = crate::gofmt::quote(finalizer);
        for msg in is_qualified_name(finalizer) {
            warnings.push(format!("{field}: {quoted}: {msg}"));
        }
        let standard = matches!(finalizer, "orphan" | "foregroundDeletion" | "kubernetes");
        if !finalizer.contains('/') && !standard {
            if finalizer.contains('.') {
                warnings.push(format!("{field}: {quoted}: prefer a domain-qualified finalizer name including a path (/) to avoid accidental conflicts with other finalizer writers"));
            } else {
                warnings.push(format!("{field}: {quoted}: prefer a domain-qualified finalizer name to avoid accidental conflicts with other finalizer writers"));
            }
        }
    }
    warnings
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde_json::json;

    const SUBDOMAIN_MSG: &str = "a lowercase RFC 1123 subdomain must consist of lower case alphanumeric characters, '-' or '.', and must start and end with an alphanumeric character (e.g. 'example.com', regex used for validation is '[a-z0-9]([-a-z0-9]*[a-z0-9])?(\\.[a-z0-9]([-a-z0-9]*[a-z0-9])?)*')";

    #[test]
    fn subdomain_messages() {
        assert!(is_dns1123_subdomain("a.b-c.d").is_empty());
        assert_eq!(
            is_dns1123_subdomain("Bad_Name"),
            vec![SUBDOMAIN_MSG.to_string()]
        );
        let long = "a".repeat(254);
        assert_eq!(
            is_dns1123_subdomain(&long),
            vec!["must be no more than 253 characters".to_string()]
        );
        assert_eq!(is_dns1123_subdomain("").len(), 1);
        // `$` must not match before a trailing newline
        assert_eq!(is_dns1123_subdomain("abc\n").len(), 1);
    }

    #[test]
    fn label_messages() {
        assert!(is_dns1123_label("my-ns").is_empty());
        assert_eq!(
            is_dns1123_label("a.b"),
            vec!["must not contain dots".to_string()]
        );
        assert_eq!(
            is_dns1123_label("A"),
            vec!["a lowercase RFC 1123 label must consist of lower case alphanumeric characters or '-', and must start and end with an alphanumeric character (e.g. 'my-name',  or '123-abc', regex used for validation is '[a-z0-9]([-a-z0-9]*[a-z0-9])?')".to_string()]
        );
        assert_eq!(
            is_dns1035_label("1abc"),
            vec!["a DNS-1035 label must consist of lower case alphanumeric characters or '-', start with an alphabetic character, and end with an alphanumeric character (e.g. 'my-name',  or 'abc-123', regex used for validation is '[a-z]([-a-z0-9]*[a-z0-9])?')".to_string()]
        );
        assert_eq!(
            is_dns1035_label(&"a".repeat(64)),
            vec!["must be no more than 63 characters".to_string()]
        );
    }

    #[test]
    fn qualified_name_messages() {
        assert!(is_qualified_name("example.com/My.Name_1").is_empty());
        assert!(is_qualified_name("app").is_empty());
        assert_eq!(
            is_qualified_name("/a"),
            vec!["prefix part must be non-empty".to_string()]
        );
        assert_eq!(
            is_qualified_name("a/"),
            vec![
                "name part must be non-empty".to_string(),
                "name part must consist of alphanumeric characters, '-', '_' or '.', and must start and end with an alphanumeric character (e.g. 'MyName',  or 'my.name',  or '123-abc', regex used for validation is '([A-Za-z0-9][-A-Za-z0-9_.]*)?[A-Za-z0-9]')".to_string()
            ]
        );
        assert_eq!(
            is_qualified_name("a/b/c"),
            vec!["a valid label key must consist of alphanumeric characters, '-', '_' or '.', and must start and end with an alphanumeric character (e.g. 'MyName',  or 'my.name',  or '123-abc', regex used for validation is '([A-Za-z0-9][-A-Za-z0-9_.]*)?[A-Za-z0-9]') with an optional DNS subdomain prefix and '/' (e.g. 'example.com/MyName')".to_string()]
        );
        assert_eq!(
            is_qualified_name(&"a".repeat(64)),
            vec!["name part must be no more than 63 bytes".to_string()]
        );
        assert_eq!(
            is_qualified_name("Example.com/x")[0],
            format!("prefix part {SUBDOMAIN_MSG}")
        );
    }

    #[test]
    fn label_value_messages() {
        assert!(is_label_value("").is_empty());
        assert!(is_label_value("v1.2_beta-3").is_empty());
        assert_eq!(
            is_label_value("-x"),
            vec!["a valid label must be an empty string or consist of alphanumeric characters, '-', '_' or '.', and must start and end with an alphanumeric character (e.g. 'MyValue',  or 'my_value',  or '12345', regex used for validation is '(([A-Za-z0-9][-A-Za-z0-9_.]*)?[A-Za-z0-9])?')".to_string()]
        );
        assert_eq!(
            is_label_value(&"a".repeat(64)),
            vec!["must be no more than 63 bytes".to_string()]
        );
    }

    #[test]
    fn path_segments_and_generate_name() {
        assert_eq!(
            is_path_segment_name(".."),
            vec!["may not be '..'".to_string()]
        );
        assert_eq!(
            is_path_segment_name("a/b%c"),
            vec![
                "may not contain '/'".to_string(),
                "may not contain '%'".to_string()
            ]
        );
        assert!(is_path_segment_name("system:foo").is_empty());
        assert_eq!(mask_trailing_dash("web-"), "wea");
        assert_eq!(mask_trailing_dash("-"), "-");
        assert!(NameRule::DnsSubdomain.validate("web-", true).is_empty());
        assert!(!NameRule::DnsSubdomain.validate("web-", false).is_empty());
        assert!(NameRule::PathSegment.validate("..", true).is_empty());
    }

    #[test]
    fn object_meta_create() {
        let path = Path::new("metadata");
        let errs = validate_object_meta(
            &json!({"namespace": "default"}),
            true,
            NameRule::DnsSubdomain,
            &path,
        );
        assert_eq!(
            errs.to_string(),
            "metadata.name: Required value: name or generateName is required"
        );

        let errs = validate_object_meta(&json!({"name": "a"}), true, NameRule::DnsSubdomain, &path);
        assert_eq!(errs.to_string(), "metadata.namespace: Required value");

        let errs = validate_object_meta(
            &json!({"name": "a", "namespace": "x"}),
            false,
            NameRule::DnsSubdomain,
            &path,
        );
        assert_eq!(
            errs.to_string(),
            "metadata.namespace: Forbidden: not allowed on this type"
        );

        let errs = validate_object_meta(
            &json!({"name": "a", "labels": {"ok": "-bad"}, "finalizers": ["orphan", "foregroundDeletion"]}),
            false,
            NameRule::DnsSubdomain,
            &path,
        );
        let rendered: Vec<String> = errs.iter().map(|e| e.to_string()).collect();
        assert!(rendered[0]
            .starts_with("metadata.labels: Invalid value: \"-bad\": a valid label must be"));
        assert_eq!(
            rendered[1],
            r#"metadata.finalizers: Invalid value: ["orphan","foregroundDeletion"]: finalizer orphan and foregroundDeletion cannot be both set"#
        );

        let big = "x".repeat(TOTAL_ANNOTATION_SIZE_LIMIT);
        let errs = validate_object_meta(
            &json!({"name": "a", "annotations": {"k": big}}),
            false,
            NameRule::DnsSubdomain,
            &path,
        );
        assert_eq!(
            errs.to_string(),
            "metadata.annotations: Too long: may not be more than 262144 bytes"
        );

        let errs = validate_object_meta(
            &json!({"generateName": "Web-"}),
            false,
            NameRule::DnsSubdomain,
            &path,
        );
        assert_eq!(errs.len(), 2);
        assert_eq!(errs.0[0].field, "metadata.generateName");
    }

    #[test]
    fn owner_references() {
        let errs = validate_owner_references(
            &[
                json!({"apiVersion": "a/b/c", "kind": "K", "name": "n", "uid": "u", "controller": true}),
                json!({"apiVersion": "v1", "kind": "K", "name": "m", "uid": "u", "controller": true}),
            ],
            &Path::new("metadata").child("ownerReferences"),
        );
        assert_eq!(
            errs.0[0].to_string(),
            r#"metadata.ownerReferences[0].apiVersion: Invalid value: "a/b/c": must be <group>/<version> or <version>"#
        );
        assert!(errs.0[1].to_string().ends_with("Only one reference can have Controller set to true. Found \"true\" in references for K/n and K/m"));
    }

    #[test]
    fn object_meta_update() {
        let path = Path::new("metadata");
        let old = json!({"name": "a", "uid": "1", "resourceVersion": "5", "deletionTimestamp": "2024-01-01T00:00:00Z", "finalizers": ["x/y"]});
        let new = json!({"name": "b", "uid": "1", "deletionTimestamp": "2024-01-01T00:00:00Z", "finalizers": ["x/y", "x/z"]});
        let errs = validate_object_meta_update(&new, &old, &path);
        let rendered: Vec<String> = errs.iter().map(|e| e.to_string()).collect();
        assert_eq!(
            rendered,
            vec![
                r#"metadata.finalizers: Forbidden: no new finalizers can be added if the object is being deleted, found new finalizers []string{"x/z"}"#.to_string(),
                r#"metadata.resourceVersion: Invalid value: "": must be specified for an update"#.to_string(),
                r#"metadata.name: Invalid value: "b": field is immutable"#.to_string(),
            ]
        );
    }

    #[test]
    fn finalizer_warnings() {
        assert_eq!(
            custom_resource_finalizer_warnings(&["cleanup", "a.b.c", "example.com/x", "orphan"], None),
            vec![
                r#"metadata.finalizers: "a.b.c": prefer a domain-qualified finalizer name including a path (/) to avoid accidental conflicts with other finalizer writers"#.to_string(),
                r#"metadata.finalizers: "cleanup": prefer a domain-qualified finalizer name to avoid accidental conflicts with other finalizer writers"#.to_string(),
            ]
        );
        assert!(custom_resource_finalizer_warnings(&["cleanup"], Some(&["cleanup"])).is_empty());
    }
}
