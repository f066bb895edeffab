use super::*;

const F: &str = "createdDateTime";
const GE_LE: &[CmpOp] = &[CmpOp::Eq, CmpOp::Ge, CmpOp::Le];

const SIGNINS: FilterRules = FilterRules { time_fields: &[F], ops: GE_LE, segments: None, documented_ops: None };
const BETA: FilterRules = FilterRules {
    time_fields: &[F],
    ops: GE_LE,
    segments: Some(Segments {
        property: "signInEventTypes",
        values: &["interactiveUser", "nonInteractiveUser", "servicePrincipal", "managedIdentity"],
        default: 0,
    }),
    documented_ops: None,
};
const PROVISIONING: FilterRules = FilterRules {
    time_fields: &["activityDateTime"],
    ops: &[CmpOp::Eq, CmpOp::Gt, CmpOp::Lt],
    segments: None,
    documented_ops: None,
};
const RISK: FilterRules = FilterRules {
    time_fields: &["lastUpdatedDateTime", "detectedDateTime"],
    ops: GE_LE,
    segments: None,
    documented_ops: None,
};

fn t(s: &str) -> DateTime<Utc> {
    parse_filter_datetime(s).unwrap()
}

fn range(input: &str) -> TimeRange {
    parse_filter(input, &SIGNINS, false).unwrap().range
}

fn err(input: &str) -> String {
    parse_filter(input, &SIGNINS, false).unwrap_err().to_string()
}

fn err_with(input: &str, rules: &FilterRules) -> String {
    parse_filter(input, rules, false).unwrap_err().to_string()
}

#[test]
fn accepts_the_documented_forms() {
    let r = range("createdDateTime ge 2026-11-24T00:00:00Z and createdDateTime le 2026-11-24T23:59:59.9999999Z");
    assert_eq!(r.lo, Some(t("2026-11-24T00:00:00Z")));
    assert_eq!(r.hi, Some(t("2026-11-24T23:59:59.9999999Z")));

    let paren = range("(createdDateTime ge 2026-11-24T00:00:00Z and createdDateTime le 2026-11-25T00:00:00Z)");
    assert_eq!(paren.lo, r.lo);
    assert_eq!(paren.hi, Some(t("2026-11-25T00:00:00Z")));

    let nested = range("((createdDateTime ge 2026-11-24T00:00:00Z))AND(createdDateTime LE 2026-11-25T00:00:00Z)");
    assert_eq!(nested, paren);
}

#[test]
fn eq_and_repeated_bounds_intersect() {
    let r = range("createdDateTime eq 2026-11-24T08:00:00Z");
    assert_eq!(r.lo, r.hi);
    assert!(r.contains(t("2026-11-24T08:00:00Z")));
    assert!(!r.contains(t("2026-11-24T08:00:00.0000001Z")));

    let r = range(
        "createdDateTime ge 2026-11-24T01:00:00Z and createdDateTime ge 2026-11-24T02:00:00Z \
         and createdDateTime le 2026-11-24T05:00:00Z and createdDateTime le 2026-11-24T04:00:00Z",
    );
    assert_eq!(r.lo, Some(t("2026-11-24T02:00:00Z")));
    assert_eq!(r.hi, Some(t("2026-11-24T04:00:00Z")));
}

#[test]
fn bounds_are_inclusive() {
    let r = range("createdDateTime ge 2026-11-24T08:00:00Z and createdDateTime le 2026-11-24T09:00:00Z");
    assert!(r.contains(t("2026-11-24T08:00:00Z")));
    assert!(r.contains(t("2026-11-24T09:00:00Z")));
    assert!(!r.contains(t("2026-11-24T07:59:59.9999999Z")));
    assert!(!r.contains(t("2026-11-24T09:00:00.0000001Z")));
}

#[test]
fn rejects_gt_lt_and_names_the_clause() {
    let e = err("createdDateTime gt 2026-11-24T00:00:00Z");
    assert!(e.starts_with("Invalid filter clause"), "{e}");
    assert!(e.contains("createdDateTime gt 2026-11-24T00:00:00Z"), "{e}");
    assert!(e.contains("use eq, ge or le"), "{e}");
    assert!(
        err("createdDateTime ge 2026-11-24T00:00:00Z and createdDateTime lt 2026-11-25T00:00:00Z").contains("'lt'")
    );
    assert!(err("createdDateTime ne 2026-11-24T00:00:00Z").contains("'ne'"));
}

#[test]
fn rejects_other_fields_and_syntax() {
    assert!(err("activityDateTime ge 2026-11-24T00:00:00Z").contains("activityDateTime"));
    assert!(err("userId eq 'abc'").contains("userId"));
    assert!(err("startsWith(appDisplayName,'Graph')").contains("startsWith"));
    assert!(err("createdDateTime ge 2026-11-24T00:00:00Z or createdDateTime le 2026-11-25T00:00:00Z").contains("'or'"));
    assert!(err("not createdDateTime ge 2026-11-24T00:00:00Z").contains("'not'"));
    assert!(err("createdDateTime ge '2026-11-24T00:00:00Z'").contains("RFC 3339"));
    assert!(err("createdDateTime ge 2026-11-24T00:00:00.12345678Z").contains("RFC 3339"));
    assert!(err("(createdDateTime ge 2026-11-24T00:00:00Z").contains("parenthes"));
    assert!(err("createdDateTime ge 2026-11-24T00:00:00Z)").contains("unexpected"));
    assert!(err("createdDateTime ge").contains("incomplete"));
    assert!(err("createdDateTime ge 2026-11-24T00:00:00Z createdDateTime").contains("expected 'and'"));
    assert!(err("  ").contains("empty"));
    assert!(err("()").contains("unexpected ')'"));
    // v1.0 has no signInEventTypes.
    assert!(err("signInEventTypes/any(t: t eq 'interactiveUser')").contains("signInEventTypes"));
}

#[test]
fn field_name_is_per_dataset() {
    let audits = FilterRules { time_fields: &["activityDateTime"], ops: GE_LE, segments: None, documented_ops: None };
    assert!(parse_filter("activityDateTime ge 2026-11-24T00:00:00Z", &audits, false).is_ok());
    assert!(parse_filter("createdDateTime ge 2026-11-24T00:00:00Z", &audits, false).is_err());
}

#[test]
fn canonical_form_ignores_spelling() {
    let a = range("createdDateTime ge 2026-11-24T02:00:00+02:00");
    let b = range("(CREATEDDATETIME GE 2026-11-24T00:00:00.0000000Z)");
    assert_eq!(a.canonical(), b.canonical());
    assert_eq!(TimeRange::default().canonical(), "[*,*]");
}

#[test]
fn sign_in_event_type_clauses_in_every_documented_position() {
    let window = "createdDateTime ge 2024-01-13T14:13:32Z and createdDateTime le 2024-01-14T17:43:26Z";
    let want = TimeRange { lo: Some(t("2024-01-13T14:13:32Z")), hi: Some(t("2024-01-14T17:43:26Z")) };
    for (input, segment) in [
        (format!("({window}) and signInEventTypes/any(t: t eq 'nonInteractiveUser')"), 1),
        (format!("{window} and signInEventTypes/any(t: t eq 'servicePrincipal')"), 2),
        (format!("signInEventTypes/any(t: t eq 'managedIdentity') and ({window})"), 3),
        (format!("signInEventTypes/any(x:x eq 'interactiveUser') and {window}"), 0),
        (format!("SIGNINEVENTTYPES/ANY(t: t EQ 'nonInteractiveUser') AND {window}"), 1),
    ] {
        let s = parse_filter(&input, &BETA, false).unwrap_or_else(|e| panic!("{input}: {e}"));
        assert_eq!((s.segment, s.range, s.field), (segment, want, 0), "{input}");
    }
    // Type only, and no type: the default (interactive) segment.
    let s = parse_filter("signInEventTypes/any(t: t eq 'servicePrincipal')", &BETA, false).unwrap();
    assert_eq!((s.segment, s.range), (2, TimeRange::default()));
    assert_eq!(parse_filter(window, &BETA, false).unwrap().segment, 0);
    assert_eq!(Selection::unfiltered(&BETA).segment, 0);
}

#[test]
fn sign_in_event_type_clause_errors_name_the_clause() {
    let e = err_with("signInEventTypes/any(t: t ne 'interactiveUser')", &BETA);
    assert!(e.contains("signInEventTypes/any(t: t ne 'interactiveUser')") && e.contains("'ne'"), "{e}");
    let e = err_with("signInEventTypes/any(t: t eq 'robot')", &BETA);
    assert!(e.contains("'robot'") && e.contains("nonInteractiveUser"), "{e}");
    let e = err_with("signInEventTypes/any(t: t eq 'interactiveUser' or t eq 'nonInteractiveUser')", &BETA);
    assert!(e.contains("only one signInEventTypes value"), "{e}");
    let e = err_with(
        "signInEventTypes/any(t: t eq 'interactiveUser') and signInEventTypes/any(t: t eq 'servicePrincipal')",
        &BETA,
    );
    assert!(e.contains("at most one signInEventTypes clause"), "{e}");
    assert!(err_with("signInEventTypes/any(t: t eq interactiveUser)", &BETA).contains("quoted"));
    assert!(err_with("signInEventTypes/any(t: u eq 'interactiveUser')", &BETA).contains("not supported"));
    assert!(err_with("signInEventTypes/any(t: t eq 'interactiveUser'", &BETA).contains("parenthes"));
    assert!(err_with("signInEventTypes/all(t: t eq 'interactiveUser')", &BETA).contains("not supported"));
}

#[test]
fn provisioning_takes_gt_lt_as_exclusive_bounds_and_refuses_ge_le() {
    let s = parse_filter(
        "activityDateTime gt 2026-11-24T08:00:00Z and activityDateTime lt 2026-11-24T09:00:00Z",
        &PROVISIONING,
        false,
    )
    .unwrap();
    let r = s.range;
    assert!(!r.contains(t("2026-11-24T08:00:00Z")));
    assert!(r.contains(t("2026-11-24T08:00:00.0000001Z")));
    assert!(r.contains(t("2026-11-24T08:59:59.9999999Z")));
    assert!(!r.contains(t("2026-11-24T09:00:00Z")));
    assert!(parse_filter("activityDateTime eq 2026-11-24T08:00:00Z", &PROVISIONING, false).is_ok());
    for op in ["ge", "le"] {
        let e = err_with(&format!("activityDateTime {op} 2026-11-24T08:00:00Z"), &PROVISIONING);
        assert!(e.contains(&format!("operator '{op}'")) && e.contains("use eq, gt or lt"), "{e}");
    }
}

#[test]
fn risk_detections_filter_on_either_time_field_but_one_at_a_time() {
    let s = parse_filter("lastUpdatedDateTime ge 2026-11-24T08:00:00Z", &RISK, false).unwrap();
    assert_eq!(s.field, 0);
    let s = parse_filter(
        "detectedDateTime ge 2026-11-24T08:00:00Z and detectedDateTime le 2026-11-25T00:00:00Z",
        &RISK,
        false,
    )
    .unwrap();
    assert_eq!(s.field, 1);
    assert_eq!(parse_filter("lastUpdatedDateTime eq 2026-11-24T08:00:00Z", &RISK, false).unwrap().segment, 0);
    let e = err_with("lastUpdatedDateTime ge 2026-11-24T08:00:00Z and detectedDateTime le 2026-11-25T00:00:00Z", &RISK);
    assert!(e.contains("one time property"), "{e}");
    let e = err_with("activityDateTime ge 2026-11-24T08:00:00Z", &RISK);
    assert!(e.contains("use lastUpdatedDateTime or detectedDateTime"), "{e}");
}

#[test]
fn a_strict_parse_accepts_only_the_documented_operators() {
    const TRAFFIC: FilterRules =
        FilterRules { time_fields: &[F], ops: GE_LE, segments: None, documented_ops: Some(&[CmpOp::Eq]) };
    let window = "createdDateTime ge 2026-11-24T00:00:00Z and createdDateTime le 2026-11-25T00:00:00Z";
    assert!(parse_filter(window, &TRAFFIC, false).is_ok());
    let e = parse_filter(window, &TRAFFIC, true).unwrap_err().to_string();
    assert_eq!(
        e,
        "Invalid filter clause: 'createdDateTime ge 2026-11-24T00:00:00Z': operator 'ge' is not supported on \
         createdDateTime; use eq"
    );
    let e = parse_filter("createdDateTime le 2026-11-25T00:00:00Z", &TRAFFIC, true).unwrap_err().to_string();
    assert!(e.contains("operator 'le'"), "{e}");
    let eq = parse_filter("createdDateTime eq 2026-11-24T10:00:00Z", &TRAFFIC, true).unwrap();
    assert_eq!((eq.range.lo, eq.range.hi), (Some(t("2026-11-24T10:00:00Z")), Some(t("2026-11-24T10:00:00Z"))));
    // Datasets whose operators are all documented are not affected.
    assert!(parse_filter(window, &SIGNINS, true).is_ok());
}
