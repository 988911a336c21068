//! `Accept: application/json;as=Table;v=v1;g=meta.k8s.io` → `meta.k8s.io` Table
//! for get and list (facts-protocol §5, facts-crd §9.2), so `kubectl get`
//! prints server-side columns.
//!
//! Columns: custom resources use their version's `additionalPrinterColumns`
//! (or a single `Age`); a few common built-ins use upstream's printer columns
//! (ConfigMap, Secret, Namespace, Pod, Deployment, CustomResourceDefinition);
//! every other built-in gets `Name` and `Age`.

use http::HeaderMap;
use serde_json::{json, Map, Value};

use crate::query::Query;
use crate::registry::ResourceDef;
use crate::schemas::builtin_schemas;
use crate::status::ApiError;

/// What the row objects carry (`includeObject`).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum IncludeObject {
    /// No object.
    None,
    /// PartialObjectMetadata (the default).
    Metadata,
    /// The whole object.
    Object,
}

/// A Table request: the `meta.k8s.io` version asked for and the row object form.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct TableRequest {
    /// `v1` or `v1beta1`.
    pub version: String,
    /// Row objects.
    pub include: IncludeObject,
}

/// The Table the Accept header asks for, if its first servable clause is one.
/// Clauses transforming to anything else (`as=PartialObjectMetadata…`) are
/// skipped, as upstream does; a plain JSON/YAML clause ends the search.
pub fn requested(headers: &HeaderMap, query: &Query) -> Result<Option<TableRequest>, ApiError> {
    let accept = headers
        .get("accept")
        .and_then(|v| v.to_str().ok())
        .unwrap_or("");
    for clause in accept.split(',') {
        let mut parts = clause.split(';').map(str::trim);
        let media = parts.next().unwrap_or("").to_ascii_lowercase();
        let params: Vec<(String, String)> = parts
            .filter_map(|p| {
                p.split_once('=')
                    .map(|(k, v)| (k.trim().to_ascii_lowercase(), v.trim().to_string()))
            })
            .collect();
        let param = |k: &str| {
            params
                .iter()
                .find(|(pk, _)| pk == k)
                .map(|(_, v)| v.as_str())
        };
        match param("as") {
            None => {
                if matches!(
                    media.as_str(),
                    "application/json" | "application/yaml" | "*/*" | "application/*"
                ) {
                    return Ok(None);
                }
            }
            Some("Table") => {
                let version = param("v").unwrap_or("");
                if media == "application/json"
                    && param("g") == Some("meta.k8s.io")
                    && matches!(version, "v1" | "v1beta1")
                {
                    let include = match query.get("includeObject").unwrap_or("") {
                        "" | "Metadata" => IncludeObject::Metadata,
                        "None" => IncludeObject::None,
                        "Object" => IncludeObject::Object,
                        other => {
                            return Err(ApiError::bad_request(format!(
                                "unrecognized includeObject value: {other:?}"
                            )))
                        }
                    };
                    return Ok(Some(TableRequest {
                        version: version.to_string(),
                        include,
                    }));
                }
            }
            Some(_) => {}
        }
    }
    Ok(None)
}

/// One column: definition plus how to compute its cell.
struct Column {
    name: String,
    kind: String,
    format: String,
    description: String,
    priority: i64,
    cell: Cell,
}

enum Cell {
    Name,
    Age,
    CreatedAt,
    Json(String),
    Builtin(fn(&Value) -> Value),
}

fn meta_doc(field: &str) -> String {
    builtin_schemas()
        .component("io.k8s.apimachinery.pkg.apis.meta.v1.ObjectMeta")
        .and_then(|m| m.pointer(&format!("/properties/{field}/description")))
        .and_then(Value::as_str)
        .unwrap_or("")
        .to_string()
}

fn column(
    name: &str,
    kind: &str,
    format: &str,
    description: &str,
    priority: i64,
    cell: Cell,
) -> Column {
    Column {
        name: name.into(),
        kind: kind.into(),
        format: format.into(),
        description: description.into(),
        priority,
        cell,
    }
}

fn name_column() -> Column {
    column("Name", "string", "name", &meta_doc("name"), 0, Cell::Name)
}

fn age_column(kind: &str) -> Column {
    column(
        "Age",
        kind,
        "",
        &meta_doc("creationTimestamp"),
        0,
        Cell::Age,
    )
}

/// A field description of the core/v1 ServiceSpec schema (the printer's column docs).
fn service_spec_doc(field: &str) -> String {
    builtin_schemas()
        .component("io.k8s.api.core.v1.ServiceSpec")
        .and_then(|m| m.pointer(&format!("/properties/{field}/description")))
        .and_then(Value::as_str)
        .unwrap_or("")
        .to_string()
}

fn strings_at(obj: &Value, pointer: &str) -> Vec<String> {
    obj.pointer(pointer)
        .and_then(Value::as_array)
        .map(|a| {
            a.iter()
                .filter_map(|v| v.as_str().map(str::to_string))
                .collect()
        })
        .unwrap_or_default()
}

/// `printService`'s EXTERNAL-IP cell (`getServiceExternalIP`, wide).
fn service_external_ip(svc: &Value) -> Value {
    let external = strings_at(svc, "/spec/externalIPs");
    let text = match svc
        .pointer("/spec/type")
        .and_then(Value::as_str)
        .unwrap_or("")
    {
        "ClusterIP" | "NodePort" if !external.is_empty() => external.join(","),
        "ClusterIP" | "NodePort" => "<none>".to_string(),
        "LoadBalancer" => {
            let mut ips: Vec<String> = svc
                .pointer("/status/loadBalancer/ingress")
                .and_then(Value::as_array)
                .map(|a| {
                    a.iter()
                        .filter_map(|i| {
                            i.get("ip")
                                .and_then(Value::as_str)
                                .filter(|s| !s.is_empty())
                                .or_else(|| i.get("hostname").and_then(Value::as_str))
                                .map(str::to_string)
                        })
                        .collect()
                })
                .unwrap_or_default();
            ips.extend(external);
            if ips.is_empty() {
                "<pending>".to_string()
            } else {
                ips.join(",")
            }
        }
        "ExternalName" => svc
            .pointer("/spec/externalName")
            .and_then(Value::as_str)
            .unwrap_or("")
            .to_string(),
        _ => "<unknown>".to_string(),
    };
    json!(text)
}

/// `makePortString`: `80/TCP`, `80:30080/TCP`, comma-separated (`<none>` when empty).
fn service_ports(svc: &Value) -> Value {
    let pieces: Vec<String> = svc
        .pointer("/spec/ports")
        .and_then(Value::as_array)
        .map(|ports| {
            ports
                .iter()
                .map(|p| {
                    let port = p.get("port").and_then(Value::as_i64).unwrap_or(0);
                    let protocol = p.get("protocol").and_then(Value::as_str).unwrap_or("");
                    match p.get("nodePort").and_then(Value::as_i64).filter(|n| *n > 0) {
                        Some(node_port) => format!("{port}:{node_port}/{protocol}"),
                        None => format!("{port}/{protocol}"),
                    }
                })
                .collect()
        })
        .unwrap_or_default();
    if pieces.is_empty() {
        json!("<none>")
    } else {
        json!(pieces.join(","))
    }
}

/// `labels.FormatLabels` of the selector (`<none>` when empty), sorted by key.
fn service_selector(svc: &Value) -> Value {
    let mut pairs: Vec<String> = svc
        .pointer("/spec/selector")
        .and_then(Value::as_object)
        .map(|m| {
            m.iter()
                .map(|(k, v)| format!("{k}={}", v.as_str().unwrap_or("")))
                .collect()
        })
        .unwrap_or_default();
    pairs.sort();
    if pairs.is_empty() {
        json!("<none>")
    } else {
        json!(pairs.join(","))
    }
}

fn count(v: Option<&Value>) -> usize {
    v.and_then(Value::as_object).map(|m| m.len()).unwrap_or(0)
}

fn int_at(obj: &Value, pointer: &str) -> i64 {
    obj.pointer(pointer).and_then(Value::as_i64).unwrap_or(0)
}

fn pod_ready(pod: &Value) -> Value {
    let total = pod
        .pointer("/spec/containers")
        .and_then(Value::as_array)
        .map(Vec::len)
        .unwrap_or(0);
    let statuses = pod
        .pointer("/status/containerStatuses")
        .and_then(Value::as_array);
    let ready = statuses
        .map(|s| s.iter().filter(|c| c["ready"] == json!(true)).count())
        .unwrap_or(0);
    json!(format!("{ready}/{total}"))
}

fn pod_status(pod: &Value) -> Value {
    if pod.pointer("/metadata/deletionTimestamp").is_some() {
        return json!("Terminating");
    }
    let reason = pod.pointer("/status/reason").and_then(Value::as_str);
    let phase = pod.pointer("/status/phase").and_then(Value::as_str);
    json!(reason.or(phase).unwrap_or("Pending"))
}

fn pod_restarts(pod: &Value) -> Value {
    let statuses = pod
        .pointer("/status/containerStatuses")
        .and_then(Value::as_array);
    let restarts: i64 = statuses
        .map(|s| s.iter().filter_map(|c| c["restartCount"].as_i64()).sum())
        .unwrap_or(0);
    json!(restarts.to_string())
}

fn builtin_columns(def: &ResourceDef) -> Vec<Column> {
    let mut cols = vec![name_column()];
    match (def.group.as_str(), def.kind.as_str()) {
        ("", "ConfigMap") => cols.push(column(
            "Data",
            "string",
            "",
            "Number of data in the configmap",
            0,
            Cell::Builtin(|o| json!(count(o.get("data")) + count(o.get("binaryData")))),
        )),
        ("", "Secret") => {
            cols.push(column(
                "Type",
                "string",
                "",
                "The type of the secret",
                0,
                Cell::Builtin(|o| json!(o.get("type").and_then(Value::as_str).unwrap_or("Opaque"))),
            ));
            cols.push(column(
                "Data",
                "string",
                "",
                "The number of data items in the secret",
                0,
                Cell::Builtin(|o| json!(count(o.get("data")))),
            ));
        }
        ("", "Namespace") => cols.push(column(
            "Status",
            "string",
            "",
            "The status of the namespace",
            0,
            Cell::Builtin(|o| {
                json!(o
                    .pointer("/status/phase")
                    .and_then(Value::as_str)
                    .unwrap_or(""))
            }),
        )),
        ("", "Pod") => {
            cols.push(column(
                "Ready",
                "string",
                "",
                "The aggregate readiness state of this pod for accepting traffic.",
                0,
                Cell::Builtin(pod_ready),
            ));
            cols.push(column(
                "Status",
                "string",
                "",
                "The aggregate status of the containers in this pod.",
                0,
                Cell::Builtin(pod_status),
            ));
            cols.push(column("Restarts", "string", "", "The number of times the containers in this pod have been restarted and when the last container in this pod has restarted.", 0, Cell::Builtin(pod_restarts)));
        }
        ("apps", "Deployment") => {
            cols.push(column(
                "Ready",
                "string",
                "",
                "Number of the pod with ready state",
                0,
                Cell::Builtin(|o| {
                    json!(format!(
                        "{}/{}",
                        int_at(o, "/status/readyReplicas"),
                        int_at(o, "/spec/replicas")
                    ))
                }),
            ));
            cols.push(column("Up-to-date", "integer", "", "Total number of non-terminated pods targeted by this deployment that have the desired template spec.", 0, Cell::Builtin(|o| {
                json!(int_at(o, "/status/updatedReplicas"))
            })));
            cols.push(column("Available", "integer", "", "Total number of available pods (ready for at least minReadySeconds) targeted by this deployment.", 0, Cell::Builtin(|o| {
                json!(int_at(o, "/status/availableReplicas"))
            })));
        }
        ("", "Service") => {
            cols.push(column(
                "Type",
                "string",
                "",
                &service_spec_doc("type"),
                0,
                Cell::Builtin(|o| {
                    json!(o
                        .pointer("/spec/type")
                        .and_then(Value::as_str)
                        .unwrap_or(""))
                }),
            ));
            cols.push(column(
                "Cluster-IP",
                "string",
                "",
                &service_spec_doc("clusterIP"),
                0,
                Cell::Builtin(|o| {
                    json!(strings_at(o, "/spec/clusterIPs")
                        .first()
                        .cloned()
                        .unwrap_or_else(|| "<none>".to_string()))
                }),
            ));
            cols.push(column(
                "External-IP",
                "string",
                "",
                &service_spec_doc("externalIPs"),
                0,
                Cell::Builtin(service_external_ip),
            ));
            cols.push(column(
                "Port(s)",
                "string",
                "",
                &service_spec_doc("ports"),
                0,
                Cell::Builtin(service_ports),
            ));
            cols.push(age_column("string"));
            cols.push(column(
                "Selector",
                "string",
                "",
                &service_spec_doc("selector"),
                1,
                Cell::Builtin(service_selector),
            ));
            return cols;
        }
        ("apiextensions.k8s.io", "CustomResourceDefinition") => {
            cols.push(column(
                "Created At",
                "date",
                "",
                &meta_doc("creationTimestamp"),
                0,
                Cell::CreatedAt,
            ));
            return cols;
        }
        _ => {}
    }
    cols.push(age_column("string"));
    cols
}

fn custom_columns(def: &ResourceDef) -> Vec<Column> {
    let mut cols = vec![name_column()];
    let declared = def
        .custom
        .as_ref()
        .and_then(|c| c.printer_columns.as_array().cloned())
        .unwrap_or_default();
    if declared.is_empty() {
        cols.push(age_column("date"));
        return cols;
    }
    for c in declared {
        let text = |k: &str| c.get(k).and_then(Value::as_str).unwrap_or("").to_string();
        let path = text("jsonPath");
        let description = match text("description") {
            d if d.is_empty() => {
                format!("Custom resource definition column (in JSONPath format): {path}")
            }
            d => d,
        };
        let priority = c.get("priority").and_then(Value::as_i64).unwrap_or(0);
        // An unparsable path keeps only the columns before it (upstream logs and stops).
        if klite_schema::jsonpath::JsonPath::parse(&path).is_err() {
            break;
        }
        cols.push(Column {
            name: text("name"),
            kind: text("type"),
            format: text("format"),
            description,
            priority,
            cell: Cell::Json(path),
        });
    }
    cols
}

/// Go's `duration.HumanDuration`.
pub fn human_duration(seconds: i64) -> String {
    if seconds < -1 {
        return "<invalid>".into();
    }
    if seconds < 0 {
        return "0s".into();
    }
    if seconds < 120 {
        return format!("{seconds}s");
    }
    let minutes = seconds / 60;
    if minutes < 10 {
        let s = seconds % 60;
        return if s == 0 {
            format!("{minutes}m")
        } else {
            format!("{minutes}m{s}s")
        };
    }
    if minutes < 180 {
        return format!("{minutes}m");
    }
    let hours = seconds / 3600;
    if hours < 8 {
        let m = minutes % 60;
        return if m == 0 {
            format!("{hours}h")
        } else {
            format!("{hours}h{m}m")
        };
    }
    if hours < 48 {
        return format!("{hours}h");
    }
    if hours < 24 * 8 {
        let h = hours % 24;
        return if h == 0 {
            format!("{}d", hours / 24)
        } else {
            format!("{}d{h}h", hours / 24)
        };
    }
    if hours < 24 * 365 * 2 {
        return format!("{}d", hours / 24);
    }
    if hours < 24 * 365 * 8 {
        let days = (hours / 24) % 365;
        return if days == 0 {
            format!("{}y", hours / 24 / 365)
        } else {
            format!("{}y{days}d", hours / 24 / 365)
        };
    }
    format!("{}y", hours / 24 / 365)
}

fn age_of(timestamp: Option<&Value>) -> Value {
    match timestamp.and_then(Value::as_str) {
        None | Some("") => json!("<unknown>"),
        Some(text) => match chrono::DateTime::parse_from_rfc3339(text) {
            Ok(t) => json!(human_duration(
                (chrono::Utc::now() - t.with_timezone(&chrono::Utc)).num_seconds()
            )),
            Err(_) => json!("<invalid>"),
        },
    }
}

fn jsonpath_text(v: &Value) -> String {
    match v {
        Value::String(s) => s.clone(),
        other => other.to_string(),
    }
}

fn custom_cell(obj: &Value, path: &str, kind: &str) -> Value {
    let Ok(compiled) = klite_schema::jsonpath::JsonPath::parse(path) else {
        return Value::Null;
    };
    let Some(found) = compiled.first(obj) else {
        return Value::Null;
    };
    match kind {
        "string" => json!(jsonpath_text(found)),
        "integer" => match found {
            Value::Number(n) => n
                .as_i64()
                .map(Value::from)
                .or_else(|| n.as_f64().map(|f| json!(f.trunc() as i64)))
                .unwrap_or(Value::Null),
            _ => Value::Null,
        },
        "number" => found.as_f64().map(Value::from).unwrap_or(Value::Null),
        "boolean" => found.as_bool().map(Value::from).unwrap_or(Value::Null),
        "date" => match found.as_str() {
            Some(s) => match chrono::DateTime::parse_from_rfc3339(s) {
                Ok(t) => json!(human_duration(
                    (chrono::Utc::now() - t.with_timezone(&chrono::Utc)).num_seconds()
                )),
                Err(_) => json!("<invalid>"),
            },
            None => Value::Null,
        },
        _ => json!(jsonpath_text(found)),
    }
}

fn row(columns: &[Column], def: &ResourceDef, obj: &Value, include: IncludeObject) -> Value {
    let cells: Vec<Value> = columns
        .iter()
        .map(|c| match &c.cell {
            Cell::Name => obj.pointer("/metadata/name").cloned().unwrap_or(json!("")),
            Cell::Age => age_of(obj.pointer("/metadata/creationTimestamp")),
            Cell::CreatedAt => obj
                .pointer("/metadata/creationTimestamp")
                .cloned()
                .unwrap_or(Value::Null),
            Cell::Json(path) => custom_cell(obj, path, &c.kind),
            Cell::Builtin(f) => f(obj),
        })
        .collect();
    let mut r = Map::new();
    r.insert("cells".into(), Value::Array(cells));
    match include {
        IncludeObject::None => {}
        IncludeObject::Metadata => {
            let meta = obj.get("metadata").cloned().unwrap_or(json!({}));
            r.insert("object".into(), json!({"kind": "PartialObjectMetadata", "apiVersion": "meta.k8s.io/v1", "metadata": meta}));
        }
        IncludeObject::Object => {
            let mut full = obj.clone();
            if let Some(m) = full.as_object_mut() {
                m.entry("kind").or_insert_with(|| json!(def.kind));
                m.entry("apiVersion")
                    .or_insert_with(|| json!(def.api_version()));
            }
            r.insert("object".into(), full);
        }
    }
    Value::Object(r)
}

/// Turn a get (object) or list body into a Table.
pub fn convert(def: &ResourceDef, body: &Value, request: &TableRequest) -> Value {
    let columns = if def.is_custom() {
        custom_columns(def)
    } else {
        builtin_columns(def)
    };
    let definitions: Vec<Value> = columns
        .iter()
        .map(|c| json!({"name": c.name, "type": c.kind, "format": c.format, "description": c.description, "priority": c.priority}))
        .collect();
    let (rows, metadata) = match body.get("items").and_then(Value::as_array) {
        Some(items) => {
            let mut meta = Map::new();
            for key in ["resourceVersion", "continue", "remainingItemCount"] {
                if let Some(v) = body.pointer(&format!("/metadata/{key}")) {
                    meta.insert(key.into(), v.clone());
                }
            }
            let rows: Vec<Value> = items
                .iter()
                .map(|o| row(&columns, def, o, request.include))
                .collect();
            (
                if rows.is_empty() {
                    Value::Null
                } else {
                    Value::Array(rows)
                },
                meta,
            )
        }
        None => {
            let mut meta = Map::new();
            if let Some(rv) = body.pointer("/metadata/resourceVersion") {
                meta.insert("resourceVersion".into(), rv.clone());
            }
            (json!([row(&columns, def, body, request.include)]), meta)
        }
    };
    json!({
        "kind": "Table",
        "apiVersion": format!("meta.k8s.io/{}", request.version),
        "metadata": metadata,
        "columnDefinitions": definitions,
        "rows": rows,
    })
}

/// Turn a successful get/list reply into a Table when the request asked for one.
pub(crate) fn respond(
    ctx: &crate::handlers::Ctx,
    result: Result<crate::handlers::Reply, ApiError>,
) -> Result<crate::handlers::Reply, ApiError> {
    use crate::handlers::Reply;
    let info = &ctx.info;
    if !info.is_resource
        || !info.subresource.is_empty()
        || !matches!(info.verb.as_str(), "get" | "list" | "watch")
        || !matches!(&result, Ok(Reply::Json(200, _)) | Ok(Reply::Stream(_)))
    {
        return result;
    }
    let Some(request) = requested(&ctx.headers, &ctx.query)? else {
        return result;
    };
    let registry = ctx.shared.registry();
    let Some(def) = registry.lookup(&info.api_group, &info.api_version, &info.resource) else {
        return result;
    };
    let bytes = match result {
        Ok(Reply::Stream(body)) => return Ok(Reply::Stream(watch_tables(def, request, body))),
        Ok(Reply::Json(_, bytes)) => bytes,
        other => return other,
    };
    let Ok(body) = serde_json::from_slice::<Value>(&bytes) else {
        return Ok(Reply::Json(200, bytes));
    };
    let table = convert(&def, &body, &request);
    Ok(Reply::Json(200, crate::json::to_body(&table).into()))
}

/// Watch events as one-row Tables; column definitions only on the first one
/// (upstream `watchEmbeddedEncoder`). BOOKMARK and ERROR events pass unchanged.
fn watch_tables(
    def: std::sync::Arc<ResourceDef>,
    request: TableRequest,
    body: crate::handlers::Body,
) -> crate::handlers::Body {
    use http_body_util::BodyExt;
    let mut first = true;
    body.map_frame(move |frame| match frame.into_data() {
        Ok(bytes) => {
            let mut out = Vec::with_capacity(bytes.len() * 2);
            for line in bytes.split(|b| *b == b'\n').filter(|l| !l.is_empty()) {
                let converted = serde_json::from_slice::<Value>(line)
                    .ok()
                    .and_then(|mut event| {
                        let kind = event.get("type").and_then(Value::as_str)?;
                        if !matches!(kind, "ADDED" | "MODIFIED" | "DELETED") {
                            return None;
                        }
                        let mut table = convert(&def, event.get("object")?, &request);
                        if !first {
                            table["columnDefinitions"] = Value::Null;
                        }
                        first = false;
                        event["object"] = table;
                        Some(crate::json::to_body(&event))
                    });
                match converted {
                    Some(encoded) => out.extend_from_slice(&encoded),
                    None => {
                        out.extend_from_slice(line);
                        out.push(b'\n');
                    }
                }
            }
            http_body::Frame::data(bytes::Bytes::from(out))
        }
        Err(frame) => frame,
    })
    .boxed_unsync()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn human_durations_match_go() {
        let cases = [
            (-5, "<invalid>"),
            (-1, "0s"),
            (59, "59s"),
            (119, "119s"),
            (125, "2m5s"),
            (600, "10m"),
            (3 * 3600, "3h"),
            (3 * 3600 + 60, "3h1m"),
            (9 * 3600, "9h"),
            (50 * 3600, "2d2h"),
            (10 * 86400, "10d"),
            (800 * 86400, "2y70d"),
            (9 * 365 * 86400, "9y"),
        ];
        for (seconds, text) in cases {
            assert_eq!(human_duration(seconds), text, "{seconds}");
        }
    }

    #[test]
    fn table_clause_is_found_in_kubectls_accept_header() {
        let mut h = HeaderMap::new();
        h.insert("accept", "application/json;as=Table;v=v1;g=meta.k8s.io,application/json;as=Table;v=v1beta1;g=meta.k8s.io,application/json".parse().unwrap());
        let req = requested(&h, &Query::parse("")).unwrap().unwrap();
        assert_eq!(
            (req.version.as_str(), req.include),
            ("v1", IncludeObject::Metadata)
        );
        assert_eq!(
            requested(&h, &Query::parse("includeObject=Object"))
                .unwrap()
                .unwrap()
                .include,
            IncludeObject::Object
        );
        assert_eq!(
            requested(&h, &Query::parse("includeObject=All"))
                .unwrap_err()
                .message,
            "unrecognized includeObject value: \"All\""
        );
        h.insert(
            "accept",
            "application/json;as=PartialObjectMetadataList;v=v1;g=meta.k8s.io,application/json"
                .parse()
                .unwrap(),
        );
        assert_eq!(requested(&h, &Query::parse("")).unwrap(), None);
        h.insert("accept", "application/json".parse().unwrap());
        assert_eq!(requested(&h, &Query::parse("")).unwrap(), None);
    }
}
