//! graph-sim's HTTP tests, in one binary: every endpoint, fault and limit
//! over a real server on loopback, and the STS stand-in.

mod common;

mod attribute_audits;
mod beta;
mod certificate;
mod echo;
mod faults;
mod federated;
mod graph;
mod licence;
mod metadata;
mod paging;
mod provisioning;
mod risk;
mod service_principal_risk;
mod signups;
mod sts;
mod throttling;
mod token;
mod traffic;
