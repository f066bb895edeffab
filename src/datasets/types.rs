//! Complex types shared by several Graph resources (graph-api.md §6.3), as
//! schema fragments the dataset files compose.

use super::{Field, Kind, field};
use Kind::*;

/// `keyValue`.
pub(crate) const KEY_VALUE: &[Field] = &[field("key", String), field("value", String)];

/// `geoCoordinates` (numbers may arrive as numbers or strings).
pub(crate) const GEO_COORDINATES: &[Field] =
    &[field("altitude", Float64), field("latitude", Float64), field("longitude", Float64)];

/// `signInLocation`.
pub(crate) const SIGN_IN_LOCATION: &[Field] = &[
    field("city", String),
    field("state", String),
    field("countryOrRegion", String),
    field("geoCoordinates", Struct(GEO_COORDINATES)),
];

/// `modifiedProperty`; old and new values are often JSON-encoded strings and
/// stay strings.
pub(crate) const MODIFIED_PROPERTY: &[Field] =
    &[field("displayName", String), field("oldValue", String), field("newValue", String)];

/// `signInStatus`.
pub(crate) const SIGN_IN_STATUS: &[Field] =
    &[field("errorCode", Int32), field("failureReason", String), field("additionalDetails", String)];

/// v1.0 `deviceDetail` (beta's has more: `beta_types`).
pub(crate) const DEVICE_DETAIL: &[Field] = &[
    field("deviceId", String),
    field("displayName", String),
    field("operatingSystem", String),
    field("browser", String),
    field("isCompliant", Bool),
    field("isManaged", Bool),
    field("trustType", String),
];

/// v1.0 `appliedConditionalAccessPolicy` (beta's has more: `beta_types`).
pub(crate) const APPLIED_CA_POLICY: &[Field] = &[
    field("id", String),
    field("displayName", String),
    field("enforcedGrantControls", List(&String)),
    field("enforcedSessionControls", List(&String)),
    field("result", String),
];

/// `authenticationAppDeviceDetails`.
pub(crate) const AUTHENTICATION_APP_DEVICE_DETAILS: &[Field] = &[
    field("appVersion", String),
    field("clientApp", String),
    field("deviceId", String),
    field("operatingSystem", String),
];

/// `appIdentity`.
pub(crate) const APP_IDENTITY: &[Field] = &[
    field("appId", String),
    field("displayName", String),
    field("servicePrincipalId", String),
    field("servicePrincipalName", String),
];

/// `targetResource`.
pub(crate) const TARGET_RESOURCE: &[Field] = &[
    field("id", String),
    field("displayName", String),
    field("type", String),
    field("userPrincipalName", String),
    field("groupType", String),
    field("modifiedProperties", List(&Struct(MODIFIED_PROPERTY))),
];
