//! The tenant's workloads — apps that sign in as themselves and Azure
//! resources with managed identities — and the user agents clients send, as
//! static tables.
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

/// `userAgent` of a user sign-in, from the app and the device the v1.0
/// record names (legacy protocols send none).
pub fn user_agent(app: &str, client_app_used: &str, os: &str, browser: &str) -> &'static str {
    match app {
        _ if client_app_used != "Browser" && client_app_used != "Mobile Apps and Desktop clients" => "",
        "Microsoft Teams" if !browser.starts_with("Rich") => by_browser(os, browser),
        "Microsoft Teams" => {
            "Mozilla/5.0 (Windows NT 10.0; Win64; x64) AppleWebKit/537.36 (KHTML, like Gecko) Chrome/130.0.0.0 Safari/537.36 Edg/130.0.0.0 Teams/24295.605.3225.8804/49"
        }
        "Microsoft Office" | "Office 365 Exchange Online" if browser.starts_with("Rich") => {
            "Microsoft Office/16.0 (Windows NT 10.0; Microsoft Outlook 16.0.18129; Pro)"
        }
        "Outlook Mobile" => "Outlook-iOS/2.0",
        "OneDrive SyncEngine" => "Microsoft SkyDriveSync 24.215.1027.0001 ship; Windows NT 10.0 (22631)",
        "Microsoft Azure CLI" => "python/3.11.9 (Windows-10-10.0.22631-SP0) msal/1.31.0 azure-cli/2.67.0",
        "Microsoft Azure PowerShell" => {
            "Mozilla/5.0 (Windows NT; Windows NT 10.0; en-US) WindowsPowerShell/5.1.22621.4391"
        }
        "Windows Sign In" => "Windows-AzureAD-Authentication-Provider/1.0",
        _ => by_browser(os, browser),
    }
}

fn by_browser(os: &str, browser: &str) -> &'static str {
    let family = browser.split(' ').next().unwrap_or("");
    match (os, family) {
        ("MacOs", "Safari") => {
            "Mozilla/5.0 (Macintosh; Intel Mac OS X 10_15_7) AppleWebKit/605.1.15 (KHTML, like Gecko) Version/18.1 Safari/605.1.15"
        }
        ("MacOs", _) => {
            "Mozilla/5.0 (Macintosh; Intel Mac OS X 10_15_7) AppleWebKit/537.36 (KHTML, like Gecko) Chrome/131.0.0.0 Safari/537.36"
        }
        ("Ios", _) => {
            "Mozilla/5.0 (iPhone; CPU iPhone OS 18_1 like Mac OS X) AppleWebKit/605.1.15 (KHTML, like Gecko) Version/18.1 Mobile/15E148 Safari/604.1"
        }
        ("Android", _) => {
            "Mozilla/5.0 (Linux; Android 14; K) AppleWebKit/537.36 (KHTML, like Gecko) Chrome/131.0.6778.104 Mobile Safari/537.36"
        }
        ("Linux", "Firefox") => "Mozilla/5.0 (X11; Ubuntu; Linux x86_64; rv:133.0) Gecko/20100101 Firefox/133.0",
        ("Linux", _) => {
            "Mozilla/5.0 (X11; Linux x86_64) AppleWebKit/537.36 (KHTML, like Gecko) Chrome/131.0.0.0 Safari/537.36"
        }
        (_, "Firefox") => "Mozilla/5.0 (Windows NT 10.0; Win64; x64; rv:133.0) Gecko/20100101 Firefox/133.0",
        (_, "Chrome") => {
            "Mozilla/5.0 (Windows NT 10.0; Win64; x64) AppleWebKit/537.36 (KHTML, like Gecko) Chrome/131.0.0.0 Safari/537.36"
        }
        _ => {
            "Mozilla/5.0 (Windows NT 10.0; Win64; x64) AppleWebKit/537.36 (KHTML, like Gecko) Chrome/131.0.0.0 Safari/537.36 Edg/131.0.0.0"
        }
    }
}

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
