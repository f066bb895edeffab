//! The tenant's workloads — apps that sign in as themselves, Azure
//! resources with managed identities, and AI agents with agent identities —
//! and the Conditional Access policy that covers them, as static tables.
//!
//! Nothing here is random; per-seed identities (application ids, service
//! principal ids, credential ids) are drawn in [`super::super::Directory`].

use super::super::vocab::{ARM, GRAPH, KEY_VAULT, SHAREPOINT, STORAGE};

/// An app registration that signs in with its own credential.
#[derive(Debug)]
pub struct Workload {
    pub name: &'static str,
    /// Index into [`super::super::vocab::RESOURCES`].
    pub resource: usize,
    /// `clientCredentialType`: `clientSecret`, `certificate` or
    /// `clientAssertion` (a federated credential, e.g. a CI pipeline's OIDC
    /// token).
    pub credential: &'static str,
    pub user_agent: &'static str,
    /// Index into [`super::super::vocab::CITIES`] where it runs.
    pub city: usize,
    /// Autonomous system it signs in from.
    pub asn: u32,
    /// Relative share of workload sign-ins.
    pub weight: u32,
}

pub static SERVICE_PRINCIPALS: &[Workload] = &[
    Workload {
        name: "Contoso HR Sync",
        resource: GRAPH,
        credential: "clientSecret",
        user_agent: "Microsoft Graph PowerShell SDK/2.25.0 (Windows NT 10.0.20348.0; Win64)",
        city: 0,
        asn: 8075,
        weight: 30,
    },
    Workload {
        name: "Backup Automation – SharePoint",
        resource: SHAREPOINT,
        credential: "certificate",
        user_agent: "azsdk-python-identity/1.19.0 Python/3.12.7 (Linux-6.8.0-1017-azure-x86_64-with-glibc2.39)",
        city: 2,
        asn: 8075,
        weight: 25,
    },
    Workload {
        name: "github-actions-deploy",
        resource: ARM,
        credential: "clientAssertion",
        user_agent: "azsdk-go-azidentity/v1.8.0 (go1.23.4; linux)",
        city: 1,
        asn: 36459,
        weight: 15,
    },
    Workload {
        name: "Terraform – platform",
        resource: ARM,
        credential: "clientSecret",
        user_agent: "Go/go1.23.2 (amd64-linux) go-autorest/v14.2.1 terraform-provider-azurerm/4.14.0",
        city: 1,
        asn: 16509,
        weight: 10,
    },
    Workload {
        name: "Splunk Add-on for Microsoft Azure",
        resource: GRAPH,
        credential: "clientSecret",
        user_agent: "python-requests/2.32.3",
        city: 5,
        asn: 3303,
        weight: 12,
    },
    Workload {
        name: "entra-archive",
        resource: GRAPH,
        credential: "certificate",
        user_agent: "entra-archive/0.1.0",
        city: 2,
        asn: 16509,
        weight: 8,
    },
];

/// An Azure resource's managed identity.
#[derive(Debug)]
pub struct ManagedIdentity {
    pub name: &'static str,
    /// `systemAssigned` or `userAssigned`.
    pub msi_type: &'static str,
    /// Resource provider and type, e.g. `Microsoft.Web/sites`.
    pub provider: &'static str,
    pub resource_group: &'static str,
    /// Index into [`super::super::vocab::RESOURCES`].
    pub resource: usize,
    /// Index into [`super::super::vocab::CITIES`] of its Azure region.
    pub city: usize,
    /// OIDC issuer of the Kubernetes cluster whose workloads use it through a
    /// federated credential, if any.
    pub federated_issuer: Option<&'static str>,
    /// Relative share of managed identity sign-ins.
    pub weight: u32,
}

pub static MANAGED_IDENTITIES: &[ManagedIdentity] = &[
    ManagedIdentity {
        name: "func-invoice-processor",
        msi_type: "systemAssigned",
        provider: "Microsoft.Web/sites",
        resource_group: "rg-finance-prod",
        resource: KEY_VAULT,
        city: 5,
        federated_issuer: None,
        weight: 35,
    },
    ManagedIdentity {
        name: "vm-build-agent-01",
        msi_type: "systemAssigned",
        provider: "Microsoft.Compute/virtualMachines",
        resource_group: "rg-devops",
        resource: ARM,
        city: 0,
        federated_issuer: None,
        weight: 20,
    },
    ManagedIdentity {
        name: "id-aks-payments",
        msi_type: "userAssigned",
        provider: "Microsoft.ManagedIdentity/userAssignedIdentities",
        resource_group: "rg-aks-prod",
        resource: KEY_VAULT,
        city: 2,
        federated_issuer: Some("https://uksouth.oic.prod-aks.azure.com/"),
        weight: 25,
    },
    ManagedIdentity {
        name: "logic-approvals",
        msi_type: "systemAssigned",
        provider: "Microsoft.Logic/workflows",
        resource_group: "rg-automation",
        resource: GRAPH,
        city: 0,
        federated_issuer: None,
        weight: 10,
    },
    ManagedIdentity {
        name: "adf-contoso-etl",
        msi_type: "systemAssigned",
        provider: "Microsoft.DataFactory/factories",
        resource_group: "rg-data-platform",
        resource: STORAGE,
        city: 2,
        federated_issuer: None,
        weight: 10,
    },
];

/// Autonomous system of a user's network, by country.
pub fn user_asn(country: &str) -> u32 {
    match country {
        "US" => 7922,
        "GB" => 2856,
        "NO" => 2119,
        "DE" => 3320,
        "CH" => 3303,
        "CN" => 4134,
        "GR" => 6799,
        "SE" => 3301,
        "BR" => 28573,
        "JP" => 2516,
        "AU" => 1221,
        _ => 8075,
    }
}

/// An AI agent with a Microsoft Entra agent identity, created from an agent
/// identity blueprint. It signs in as itself (a service principal sign-in)
/// and on behalf of users (non-interactive user sign-ins).
#[derive(Debug)]
pub struct Agent {
    /// The agent identity's display name.
    pub name: &'static str,
    pub user_agent: &'static str,
}

pub static AGENTS: &[Agent] = &[
    Agent { name: "Contoso Expense Agent", user_agent: "Microsoft-Agents-SDK/1.1.0 (python 3.12.7; Linux)" },
    Agent { name: "Helpdesk Triage Agent", user_agent: "Microsoft-Agents-SDK/1.1.0 (dotnet 8.0.11; Windows)" },
];

/// The Conditional Access policy for workload identities.
pub const WORKLOAD_POLICY: &str = "Block workload identities outside trusted locations";
