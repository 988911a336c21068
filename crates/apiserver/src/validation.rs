//! Bridges to klite-schema's upstream validation helpers.

use klite_schema::field::ErrorList;
use klite_schema::validation as schema_validation;

use crate::kinds::NameRule;
use crate::status::FieldIssue;

/// Messages for a label key / qualified name.
pub fn qualified_name(key: &str) -> Vec<String> {
    schema_validation::is_qualified_name(key)
}

/// Messages for a label value.
pub fn label_value(value: &str) -> Vec<String> {
    schema_validation::is_label_value(value)
}

/// klite-schema's name rule for ours.
pub fn schema_name_rule(rule: NameRule) -> schema_validation::NameRule {
    match rule {
        NameRule::Subdomain => schema_validation::NameRule::DnsSubdomain,
        NameRule::Label => schema_validation::NameRule::DnsLabel,
        NameRule::Dns1035 => schema_validation::NameRule::Dns1035Label,
        NameRule::PathSegment => schema_validation::NameRule::PathSegment,
    }
}

/// Convert a schema ErrorList into Status causes.
pub fn issues(list: &ErrorList) -> Vec<FieldIssue> {
    list.deduplicated()
        .into_iter()
        .map(|e| {
            let c = e.to_status_cause();
            FieldIssue {
                reason: c.reason,
                field: c.field,
                body: c.message,
            }
        })
        .collect()
}
