//! Whether imported sign-ins are of the kind their dataset holds.
//!
//! A sign-in dataset holds one kind (`DatasetDef::sign_in_event_type`): a
//! non-interactive sign-in imported into `signins_noninteractive` belongs
//! there, an interactive one does not. Read from the converted batch's own
//! columns — `sign_in_event_types` where the record has it (beta), else
//! `is_interactive` — so no record is parsed twice. Pure.

use arrow::array::{Array, AsArray, RecordBatch};

use crate::datasets::DatasetDef;

/// How a kind of sign-in is named in messages: (`signInEventTypes` value, as
/// a record's kind, as a dataset's).
const KINDS: &[(&str, &str, &str)] = &[
    ("interactiveUser", "an interactive sign-in", "interactive"),
    ("nonInteractiveUser", "a non-interactive sign-in", "non-interactive"),
    ("servicePrincipal", "a service-principal sign-in", "service-principal"),
    ("managedIdentity", "a managed-identity sign-in", "managed-identity"),
];

/// A record's kind, in words.
fn as_record(kind: &str) -> String {
    KINDS.iter().find(|k| k.0 == kind).map_or_else(|| format!("a sign-in of type '{kind}'"), |k| k.1.to_string())
}

/// A dataset's kind, in words.
fn as_dataset(kind: &str) -> String {
    KINDS.iter().find(|k| k.0 == kind).map_or_else(|| format!("'{kind}'"), |k| k.2.to_string())
}

/// Rows of `batch` (of `def`'s schema) that are sign-ins of another kind
/// than `def` holds, each with the reason (`an interactive sign-in, not
/// non-interactive`). Empty for datasets that are not sign-ins.
pub(super) fn mismatches(def: &DatasetDef, batch: &RecordBatch) -> Vec<(usize, String)> {
    let Some(expected) = def.sign_in_event_type else { return Vec::new() };
    let types = batch.column_by_name("sign_in_event_types").map(|c| c.as_list::<i32>().clone());
    let interactive = batch.column_by_name("is_interactive").map(|c| c.as_boolean().clone());
    let wanted = as_dataset(expected);
    let mut out = Vec::new();
    for row in 0..batch.num_rows() {
        if let Some(types) = types.as_ref().filter(|t| t.is_valid(row) && !t.value(row).is_empty()) {
            let kinds = types.value(row);
            let kinds = kinds.as_string::<i32>();
            if !kinds.iter().flatten().any(|k| k == expected) {
                let found: Vec<String> = kinds.iter().flatten().map(as_record).collect();
                out.push((row, format!("{}, not {wanted}", found.join(" and "))));
            }
            continue;
        }
        if let Some(flag) = interactive.as_ref().filter(|f| f.is_valid(row)).map(|f| f.value(row))
            && flag != (expected == "interactiveUser")
        {
            let found = if flag {
                "an interactive sign-in (isInteractive true)"
            } else {
                "not an interactive sign-in (isInteractive false)"
            };
            out.push((row, format!("{found}, not {wanted}")));
        }
    }
    out
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::columns::batch_of;
    use crate::datasets::by_name;

    fn signin(id: &str, extra: &str) -> String {
        format!(r#"{{"id":"{id}","createdDateTime":"2026-11-24T08:00:00Z"{extra}}}"#)
    }

    #[test]
    fn sign_ins_of_another_kind_are_named() {
        let def = by_name("signins_noninteractive").unwrap();
        let texts = [
            signin("a", r#","signInEventTypes":["nonInteractiveUser"],"isInteractive":false"#),
            signin("b", r#","signInEventTypes":["interactiveUser"],"isInteractive":true"#),
            signin("c", r#","isInteractive":true"#),
            signin("d", ""),
            signin("e", r#","signInEventTypes":["interactiveUser","nonInteractiveUser"]"#),
        ];
        let bad = mismatches(def, &batch_of(def, &texts));
        assert_eq!(
            bad,
            [
                (1, "an interactive sign-in, not non-interactive".to_string()),
                (2, "an interactive sign-in (isInteractive true), not non-interactive".to_string()),
            ]
        );
        let v1 = by_name("signins").unwrap();
        let bad = mismatches(v1, &batch_of(v1, &[signin("x", r#","isInteractive":false"#), signin("y", "")]));
        assert_eq!(bad, [(0, "not an interactive sign-in (isInteractive false), not interactive".to_string())]);
        let audits = by_name("directory_audits").unwrap();
        assert!(
            mismatches(audits, &batch_of(audits, &[r#"{"id":"z","activityDateTime":"2026-11-24T08:00:00Z"}"#]))
                .is_empty()
        );
    }
}
