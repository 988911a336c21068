//! Per-call options: the JSON names of metav1's `*Options` types mapped to the URL query,
//! the request path (namespace, subresource) or the `DeleteOptions` body.
//!
//! Keys the verb does not know are passed through as query parameters, so new server
//! options work without a client release.

use serde_json::{Map, Value};

use crate::error::{Error, Result};

/// The operation a call performs; decides which option keys mean something special.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Verb {
    /// `GET` one object.
    Get,
    /// `GET` a collection.
    List,
    /// `POST` a new object.
    Create,
    /// `PUT` a whole object.
    Update,
    /// `PATCH` with a JSON, merge or strategic merge patch.
    Patch,
    /// `PATCH` with `application/apply-patch+yaml`.
    Apply,
    /// `DELETE` one object.
    Delete,
    /// `DELETE` a collection.
    DeleteCollection,
    /// `GET` a collection with `watch=true`.
    Watch,
}

impl Verb {
    /// Lower-case verb as client-go prints it in generic error messages.
    pub fn http_method(self) -> http::Method {
        match self {
            Verb::Get | Verb::List | Verb::Watch => http::Method::GET,
            Verb::Create => http::Method::POST,
            Verb::Update => http::Method::PUT,
            Verb::Patch | Verb::Apply => http::Method::PATCH,
            Verb::Delete | Verb::DeleteCollection => http::Method::DELETE,
        }
    }

    fn accepts_subresource(self) -> bool {
        matches!(
            self,
            Verb::Get | Verb::Create | Verb::Update | Verb::Patch | Verb::Apply
        )
    }
}

/// The default `fieldManager` of server-side apply.
pub const DEFAULT_APPLY_FIELD_MANAGER: &str = "klite";

/// `DeleteOptions` fields, sent in the request body as client-go does.
const DELETE_BODY_KEYS: [&str; 4] = [
    "gracePeriodSeconds",
    "propagationPolicy",
    "preconditions",
    "dryRun",
];

/// Options after sorting each key to where it belongs.
#[derive(Debug, Default, Clone, PartialEq)]
pub struct CallOptions {
    /// `namespace` option, if given.
    pub namespace: Option<String>,
    /// Subresource path segments (`["status"]`).
    pub subresource: Vec<String>,
    /// `name` option of apply (overrides `metadata.name`).
    pub name: Option<String>,
    /// Query parameters in order.
    pub query: Vec<(String, String)>,
    /// The `DeleteOptions` body for delete verbs, as JSON text.
    pub delete_body: Option<String>,
}

impl CallOptions {
    /// Sorts the keys of a JS options object for `verb`.
    pub fn parse(verb: Verb, options: Option<&Map<String, Value>>) -> Result<Self> {
        let mut parsed = CallOptions::default();
        let mut delete_options = Map::new();
        let mut field_manager_given = false;
        let empty = Map::new();
        for (key, value) in options.unwrap_or(&empty) {
            if value.is_null() {
                continue;
            }
            match key.as_str() {
                "namespace" => parsed.namespace = Some(string_option(key, value)?),
                "subresource" => {
                    if !verb.accepts_subresource() {
                        return Err(Error::invalid(format!(
                            "`subresource` is not supported by {verb:?}: only get, create, update, patch and apply address subresources"
                        )));
                    }
                    parsed.subresource = subresource_segments(value)?;
                }
                "name" if verb == Verb::Apply => parsed.name = Some(string_option(key, value)?),
                key if matches!(verb, Verb::Delete | Verb::DeleteCollection)
                    && DELETE_BODY_KEYS.contains(&key) =>
                {
                    let value = if key == "dryRun" {
                        Value::Array(
                            string_list(key, value)?
                                .into_iter()
                                .map(Value::String)
                                .collect(),
                        )
                    } else {
                        value.clone()
                    };
                    delete_options.insert(key.to_owned(), value);
                }
                _ => {
                    if key == "fieldManager" {
                        field_manager_given = true;
                    }
                    push_query(&mut parsed.query, key, value)?;
                }
            }
        }
        if verb == Verb::Apply && !field_manager_given {
            parsed.query.push((
                "fieldManager".to_owned(),
                DEFAULT_APPLY_FIELD_MANAGER.to_owned(),
            ));
        }
        if verb == Verb::Watch {
            parsed
                .query
                .insert(0, ("watch".to_owned(), "true".to_owned()));
        }
        if matches!(verb, Verb::Delete | Verb::DeleteCollection) && !delete_options.is_empty() {
            let mut body = Map::new();
            body.insert("kind".to_owned(), Value::String("DeleteOptions".to_owned()));
            body.insert("apiVersion".to_owned(), Value::String("v1".to_owned()));
            body.extend(delete_options);
            parsed.delete_body = Some(Value::Object(body).to_string());
        }
        Ok(parsed)
    }

    /// The query string (without `?`), form-encoded and sorted by key like Go's
    /// `url.Values.Encode`.
    pub fn query_string(&self) -> String {
        let mut pairs: Vec<&(String, String)> = self.query.iter().collect();
        pairs.sort_by(|left, right| left.0.cmp(&right.0));
        let mut serializer = form_urlencoded::Serializer::new(String::new());
        for (key, value) in pairs {
            serializer.append_pair(key, value);
        }
        serializer.finish()
    }
}

fn string_option(key: &str, value: &Value) -> Result<String> {
    match value {
        Value::String(text) => Ok(text.clone()),
        other => Err(Error::invalid(format!(
            "option `{key}` must be a string, got {}",
            describe(other)
        ))),
    }
}

fn string_list(key: &str, value: &Value) -> Result<Vec<String>> {
    match value {
        Value::Array(items) => items.iter().map(|item| scalar_text(key, item)).collect(),
        other => Ok(vec![scalar_text(key, other)?]),
    }
}

fn subresource_segments(value: &Value) -> Result<Vec<String>> {
    let segments: Vec<String> = match value {
        Value::String(text) => text.split('/').map(str::to_owned).collect(),
        Value::Array(items) => items
            .iter()
            .map(|item| string_option("subresource", item))
            .collect::<Result<_>>()?,
        other => {
            return Err(Error::invalid(format!(
                "option `subresource` must be a string such as \"status\" or an array of path segments, got {}",
                describe(other)
            )))
        }
    };
    if segments.iter().any(|segment| segment.is_empty()) {
        return Err(Error::invalid(
            "option `subresource` has an empty path segment: pass e.g. \"status\", \"scale\" or [\"status\"]",
        ));
    }
    Ok(segments)
}

fn push_query(query: &mut Vec<(String, String)>, key: &str, value: &Value) -> Result<()> {
    match value {
        Value::Array(items) => {
            for item in items {
                query.push((key.to_owned(), scalar_text(key, item)?));
            }
        }
        other => query.push((key.to_owned(), scalar_text(key, other)?)),
    }
    Ok(())
}

fn scalar_text(key: &str, value: &Value) -> Result<String> {
    match value {
        Value::String(text) => Ok(text.clone()),
        Value::Bool(flag) => Ok(flag.to_string()),
        Value::Number(number) => Ok(match number.as_f64() {
            Some(float) if float.fract() == 0.0 && float.abs() < 9.0e15 => {
                format!("{}", float as i64)
            }
            _ => number.to_string(),
        }),
        other => Err(Error::invalid(format!(
            "option `{key}` must be a string, number, boolean or an array of them, got {}",
            describe(other)
        ))),
    }
}

fn describe(value: &Value) -> &'static str {
    match value {
        Value::Null => "null",
        Value::Bool(_) => "a boolean",
        Value::Number(_) => "a number",
        Value::String(_) => "a string",
        Value::Array(_) => "an array",
        Value::Object(_) => "an object",
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde_json::json;

    fn parse(verb: Verb, value: Value) -> Result<CallOptions> {
        CallOptions::parse(verb, value.as_object())
    }

    #[test]
    fn list_options_become_query_parameters_and_unknown_keys_pass_through() {
        let parsed = parse(
            Verb::List,
            json!({"namespace": "ns", "labelSelector": "app in (a,b)", "limit": 500, "allowPartial": true, "nothing": null}),
        )
        .unwrap();
        assert_eq!(parsed.namespace.as_deref(), Some("ns"));
        assert_eq!(
            parsed.query_string(),
            "allowPartial=true&labelSelector=app+in+%28a%2Cb%29&limit=500"
        );
    }

    #[test]
    fn dry_run_accepts_a_string_or_a_list() {
        let single = parse(Verb::Create, json!({"dryRun": "All"})).unwrap();
        let list = parse(Verb::Create, json!({"dryRun": ["All"]})).unwrap();
        assert_eq!(single.query_string(), "dryRun=All");
        assert_eq!(list.query_string(), "dryRun=All");
    }

    #[test]
    fn apply_defaults_the_field_manager_and_takes_the_name() {
        let parsed = parse(Verb::Apply, json!({"name": "x", "force": true})).unwrap();
        assert_eq!(parsed.name.as_deref(), Some("x"));
        assert_eq!(parsed.query_string(), "fieldManager=klite&force=true");
        let mine = parse(Verb::Apply, json!({"fieldManager": "me"})).unwrap();
        assert_eq!(mine.query_string(), "fieldManager=me");
    }

    #[test]
    fn delete_options_go_to_the_body_and_the_rest_to_the_query() {
        let parsed = parse(
            Verb::DeleteCollection,
            json!({"propagationPolicy": "Foreground", "gracePeriodSeconds": 0, "dryRun": "All",
                   "preconditions": {"uid": "u"}, "labelSelector": "a=b"}),
        )
        .unwrap();
        assert_eq!(parsed.query_string(), "labelSelector=a%3Db");
        let body: Value = serde_json::from_str(parsed.delete_body.as_deref().unwrap()).unwrap();
        assert_eq!(
            body,
            json!({"kind": "DeleteOptions", "apiVersion": "v1", "propagationPolicy": "Foreground",
                   "gracePeriodSeconds": 0, "dryRun": ["All"], "preconditions": {"uid": "u"}})
        );
    }

    #[test]
    fn watch_sets_watch_true() {
        let parsed = parse(
            Verb::Watch,
            json!({"resourceVersion": "5", "allowWatchBookmarks": true}),
        )
        .unwrap();
        assert_eq!(
            parsed.query_string(),
            "allowWatchBookmarks=true&resourceVersion=5&watch=true"
        );
    }

    #[test]
    fn subresources_are_path_segments() {
        assert_eq!(
            parse(Verb::Get, json!({"subresource": "status"}))
                .unwrap()
                .subresource,
            vec!["status"]
        );
        assert_eq!(
            parse(Verb::Update, json!({"subresource": ["scale"]}))
                .unwrap()
                .subresource,
            vec!["scale"]
        );
        assert!(parse(Verb::List, json!({"subresource": "status"})).is_err());
        assert!(parse(Verb::Get, json!({"subresource": ""})).is_err());
    }

    #[test]
    fn objects_are_rejected_as_query_values() {
        let err = parse(Verb::Get, json!({"resourceVersion": {"a": 1}})).unwrap_err();
        assert!(
            err.to_string().contains("option `resourceVersion` must be"),
            "{err}"
        );
    }
}
