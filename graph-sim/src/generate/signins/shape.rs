//! The v1.0 `signIn` resource as Graph writes it: the record, its status,
//! device, location, applied policies and Authenticator device, as owned
//! types that serialize (to write a record) and deserialize (to read one
//! back when rendering its beta twin).
//!
//! [`SignIn`] is generic over its device and policy types because beta
//! extends both (`deviceDetail.browserId`, the policies' conditions and
//! rules) while keeping every other v1.0 property as it is. Reading then
//! writing a record gives back its bytes: fields keep their order, numbers
//! that Graph writes as floats are re-read with correct rounding.

use serde::de::Deserializer;
use serde::{Deserialize, Serialize};
use serde_json::value::RawValue;

/// A `signIn` with v1.0's properties, in the order of Microsoft's example.
#[derive(Serialize, Deserialize, Default)]
#[serde(rename_all = "camelCase", default)]
#[serde(bound(deserialize = "D: Deserialize<'de> + Default, P: Deserialize<'de> + Default"))]
pub struct SignIn<D, P> {
    pub id: String,
    pub created_date_time: String,
    pub user_display_name: Option<String>,
    pub user_principal_name: Option<String>,
    pub user_id: String,
    pub app_id: String,
    pub app_display_name: String,
    pub ip_address: String,
    pub client_app_used: Option<String>,
    pub user_agent: String,
    pub correlation_id: String,
    pub conditional_access_status: String,
    pub is_interactive: bool,
    pub risk_detail: String,
    pub risk_level_aggregated: String,
    pub risk_level_during_sign_in: String,
    pub risk_state: String,
    pub risk_event_types: Vec<String>,
    #[serde(rename = "riskEventTypes_v2")]
    pub risk_event_types_v2: Vec<String>,
    pub resource_display_name: String,
    pub resource_id: String,
    pub resource_tenant_id: String,
    pub home_tenant_id: String,
    pub service_principal_id: String,
    pub service_principal_name: Option<String>,
    pub status: Status,
    pub device_detail: D,
    pub location: Location,
    pub applied_conditional_access_policies: Vec<P>,
    pub authentication_app_device_details: Option<AuthenticatorDevice>,
}

/// The v1.0 record: v1.0's device and policy types.
pub type V1SignIn = SignIn<DeviceDetail, AppliedPolicy>;

impl<D, P> SignIn<D, P> {
    /// The same sign-in with its device and policies turned into other
    /// types (beta's).
    pub fn map<D2, P2>(self, parts: impl FnOnce(D, Vec<P>) -> (D2, Vec<P2>)) -> SignIn<D2, P2> {
        let (device_detail, applied_conditional_access_policies) =
            parts(self.device_detail, self.applied_conditional_access_policies);
        SignIn {
            id: self.id,
            created_date_time: self.created_date_time,
            user_display_name: self.user_display_name,
            user_principal_name: self.user_principal_name,
            user_id: self.user_id,
            app_id: self.app_id,
            app_display_name: self.app_display_name,
            ip_address: self.ip_address,
            client_app_used: self.client_app_used,
            user_agent: self.user_agent,
            correlation_id: self.correlation_id,
            conditional_access_status: self.conditional_access_status,
            is_interactive: self.is_interactive,
            risk_detail: self.risk_detail,
            risk_level_aggregated: self.risk_level_aggregated,
            risk_level_during_sign_in: self.risk_level_during_sign_in,
            risk_state: self.risk_state,
            risk_event_types: self.risk_event_types,
            risk_event_types_v2: self.risk_event_types_v2,
            resource_display_name: self.resource_display_name,
            resource_id: self.resource_id,
            resource_tenant_id: self.resource_tenant_id,
            home_tenant_id: self.home_tenant_id,
            service_principal_id: self.service_principal_id,
            service_principal_name: self.service_principal_name,
            status: self.status,
            device_detail,
            location: self.location,
            applied_conditional_access_policies,
            authentication_app_device_details: self.authentication_app_device_details,
        }
    }
}

#[derive(Serialize, Deserialize, Default, Clone)]
#[serde(rename_all = "camelCase", default)]
pub struct Status {
    pub error_code: i32,
    pub failure_reason: Option<String>,
    pub additional_details: Option<String>,
}

#[derive(Serialize, Deserialize, Default)]
#[serde(rename_all = "camelCase", default)]
pub struct DeviceDetail {
    pub device_id: String,
    pub display_name: Option<String>,
    pub operating_system: String,
    pub browser: String,
    pub is_compliant: Option<bool>,
    pub is_managed: Option<bool>,
    pub trust_type: Option<String>,
}

#[derive(Serialize, Deserialize, Default)]
#[serde(rename_all = "camelCase", default)]
pub struct Location {
    pub city: String,
    pub state: String,
    pub country_or_region: String,
    pub geo_coordinates: Geo,
}

#[derive(Serialize)]
pub struct EmptyObject {}

/// `{}` or `{"altitude":…,"latitude":…,"longitude":…}`, both seen in
/// Microsoft's examples.
#[derive(Serialize)]
#[serde(untagged)]
pub enum Geo {
    Empty(EmptyObject),
    Point { altitude: Option<f64>, latitude: f64, longitude: f64 },
}

impl Default for Geo {
    fn default() -> Self {
        Geo::Empty(EmptyObject {})
    }
}

/// Reads coordinates with std's correctly rounded parser, so a float
/// serde_json wrote comes back as the same `f64` (and is written again as
/// the same digits).
impl<'de> Deserialize<'de> for Geo {
    fn deserialize<De: Deserializer<'de>>(d: De) -> Result<Self, De::Error> {
        #[derive(Deserialize, Default)]
        #[serde(default)]
        struct Raw {
            altitude: Option<Box<RawValue>>,
            latitude: Option<Box<RawValue>>,
            longitude: Option<Box<RawValue>>,
        }
        let number = |v: Option<Box<RawValue>>| v.and_then(|v| v.get().parse::<f64>().ok());
        let raw = Raw::deserialize(d)?;
        let altitude = number(raw.altitude);
        Ok(match (number(raw.latitude), number(raw.longitude)) {
            (Some(latitude), Some(longitude)) => Geo::Point { altitude, latitude, longitude },
            _ => Geo::default(),
        })
    }
}

#[derive(Serialize, Deserialize, Default)]
#[serde(rename_all = "camelCase", default)]
pub struct AppliedPolicy {
    pub id: String,
    pub display_name: String,
    pub enforced_grant_controls: Vec<String>,
    pub enforced_session_controls: Vec<String>,
    pub result: String,
}

/// `authenticationAppDeviceDetails`: the Authenticator app that answered
/// the MFA prompt, and the phone it runs on.
#[derive(Serialize, Deserialize, Default, Clone)]
#[serde(rename_all = "camelCase", default)]
pub struct AuthenticatorDevice {
    pub app_version: String,
    pub client_app: String,
    pub device_id: String,
    pub operating_system: String,
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn reading_then_writing_gives_back_the_bytes() {
        let geo = r#"{"altitude":null,"latitude":40.712799072265625,"longitude":-74.00599670410156}"#;
        for json in [geo, "{}", r#"{"altitude":112.5,"latitude":-33.86880111694336,"longitude":151.2093048095703}"#] {
            let g: Geo = serde_json::from_str(json).unwrap();
            assert_eq!(serde_json::to_string(&g).unwrap(), json);
        }
        for lat in [47.680_5f32, -23.555_8, 59.913_9, 0.1] {
            let point = Geo::Point { altitude: None, latitude: f64::from(lat), longitude: 0.0 };
            let json = serde_json::to_string(&point).unwrap();
            let g: Geo = serde_json::from_str(&json).unwrap();
            assert_eq!(serde_json::to_string(&g).unwrap(), json);
        }
        let v: V1SignIn = serde_json::from_str(r#"{"id":"x","status":{"errorCode":0}}"#).unwrap();
        assert_eq!((v.id.as_str(), v.status.error_code, v.applied_conditional_access_policies.len()), ("x", 0, 0));
    }
}
