//! The tenant's Global Secure Access set-up as static tables — internet
//! destinations and their web categories, Microsoft 365 endpoints, private
//! apps and their segments, connectors, remote networks, filtering policies
//! and profiles — and [`GsaIds`], their per-seed object ids.
//!
//! Nothing here is random except [`GsaIds::new`], which draws from the
//! directory's stream after every earlier identity.

use rand_chacha::ChaCha20Rng;

use super::super::guid;
use super::super::vocab::SHAREPOINT;

/// A Defender for Cloud Apps catalogue entry: name, catalogue id,
/// categories, scores (general, security, compliance, legal; 0–10), risk
/// score.
pub type CloudApp = (&'static str, &'static str, &'static [&'static str], [i32; 4], i32);

/// An internet destination.
#[derive(Debug)]
pub struct Site {
    pub fqdn: &'static str,
    pub path: &'static str,
    /// Web category: display name, group, name.
    pub category: (&'static str, &'static str, &'static str),
    pub app: Option<CloudApp>,
    /// [`POLICIES`] index of the rule that blocks it, if any.
    pub blocked_by: Option<usize>,
    /// Threat intelligence verdict (`threatType`), if any.
    pub threat: Option<&'static str>,
    pub weight: u32,
}

const fn site(
    fqdn: &'static str,
    path: &'static str,
    category: (&'static str, &'static str, &'static str),
    weight: u32,
) -> Site {
    Site { fqdn, path, category, app: None, blocked_by: None, threat: None, weight }
}

pub static SITES: &[Site] = &[
    site("www.bbc.co.uk", "/news/technology", ("News", "General Surfing", "News"), 14),
    site(
        "registry.npmjs.org",
        "/express",
        ("Computers and Technology", "General Surfing", "ComputersAndTechnology"),
        8,
    ),
    Site {
        app: Some(("GitHub", "11185", &["Code-hosting"], [9, 9, 8, 9], 9)),
        ..site(
            "github.com",
            "/contoso/payments/pull/42",
            ("Computers and Technology", "General Surfing", "ComputersAndTechnology"),
            12,
        )
    },
    Site {
        app: Some(("Dropbox", "10489", &["Cloud storage"], [8, 8, 9, 7], 8)),
        ..site("www.dropbox.com", "/home/Übergabe", ("File Sharing", "Productivity Loss", "FileSharing"), 8)
    },
    Site {
        app: Some(("ChatGPT", "1017853", &["Generative AI"], [7, 7, 6, 6], 6)),
        ..site(
            "chatgpt.com",
            "/backend-api/conversation",
            ("Artificial Intelligence", "General Surfing", "ArtificialIntelligence"),
            9,
        )
    },
    Site {
        app: Some(("LinkedIn", "10553", &["Social network"], [9, 9, 9, 8], 9)),
        ..site("www.linkedin.com", "/feed/", ("Social Networking", "Productivity Loss", "SocialNetworking"), 7)
    },
    Site { blocked_by: Some(0), ..site("www.pokerstars.example", "/", ("Gambling", "Liability", "Gambling"), 3) },
    Site {
        blocked_by: Some(1),
        threat: Some("Phishing"),
        ..site(
            "login-microsoftonline.phish.example",
            "/common/oauth2/authorize",
            ("Phishing", "Security Threat", "Phishing"),
            2,
        )
    },
    Site {
        blocked_by: Some(1),
        threat: Some("Malware"),
        ..site("cdn.malware-test.example", "/payload.bin", ("Malware", "Security Threat", "Malware"), 1)
    },
];

/// A Microsoft 365 endpoint: FQDN, [`super::super::vocab::RESOURCES`]
/// index of the app, whether it is another tenant's (blocked by tenant
/// restrictions), share.
pub type M365 = (&'static str, usize, bool, u32);

pub static M365_ENDPOINTS: &[M365] = &[
    ("contoso.sharepoint.com", SHAREPOINT, false, 30),
    ("contoso-my.sharepoint.com", SHAREPOINT, false, 15),
    ("outlook.office365.com", 1, false, 30),
    ("teams.microsoft.com", 5, false, 20),
    ("fabrikam.sharepoint.com", SHAREPOINT, true, 5),
];

/// A private app published through Private Access: name, `accessType`.
pub static PRIVATE_APPS: &[(&str, &str)] = &[
    ("Quick Access", "quickAccess"),
    ("HR Portal", "privateAccess"),
    ("Jump hosts", "privateAccess"),
    ("SAP ERP", "appAccess"),
];

/// An application segment: [`PRIVATE_APPS`] index, FQDN, IP, port,
/// transport, the process that connects, share.
pub type Segment = (usize, &'static str, &'static str, i32, &'static str, &'static str, u32);

pub static SEGMENTS: &[Segment] = &[
    (0, "fs01.corp.contoso.com", "10.20.1.10", 445, "tcp", "explorer.exe", 35),
    (0, "intranet.corp.contoso.com", "10.20.1.20", 443, "tcp", "msedge.exe", 20),
    (0, "dc01.corp.contoso.com", "10.20.0.4", 88, "udp", "lsass.exe", 10),
    (1, "hr.corp.contoso.com", "10.30.4.12", 443, "tcp", "chrome.exe", 12),
    (2, "jump01.corp.contoso.com", "10.40.0.15", 22, "tcp", "ssh.exe", 8),
    (3, "sap.corp.contoso.com", "10.50.2.30", 3200, "tcp", "saplogon.exe", 8),
];

/// A Private Network connector: name, IP, Azure region it reports from.
pub static CONNECTORS: &[(&str, &str, &str)] = &[
    ("connector-lon-01", "10.20.0.21", "uksouth"),
    ("connector-lon-02", "10.20.0.22", "uksouth"),
    ("connector-nyc-01", "10.60.0.11", "eastus"),
];

/// A remote network (branch office): its public address prefix.
pub static REMOTE_NETWORKS: &[(&str, &str)] = &[("Branch – London", "81.2.69."), ("Branch – São Paulo", "177.71.12.")];

/// A filtering policy: name, rule name, action.
pub static POLICIES: &[(&str, &str, &str)] = &[
    ("Acceptable use – block gambling", "Gambling", "block"),
    ("Threat intelligence", "Known malicious destinations", "block"),
    ("Tenant restrictions v2", "Block access to other tenants", "block"),
    ("Baseline web content filtering", "Allow business categories", "allow"),
];

/// [`POLICIES`] index of the tenant restrictions policy.
pub const TENANT_RESTRICTIONS: usize = 2;
/// [`POLICIES`] index of the allow-list rule most traffic matches.
pub const BASELINE: usize = 3;

/// Security (filtering) profiles.
pub static PROFILES: &[&str] = &["Baseline profile", "Finance – strict"];

/// Client platforms: `deviceOperatingSystem`, version, agent version.
pub static PLATFORMS: &[(&str, &str, &str)] = &[
    ("Windows 11 Enterprise", "10.0.22631", "2.1.107"),
    ("Windows 10 Enterprise", "10.0.19045", "2.0.57"),
    ("macOS", "15.1.1", "1.1.24121901"),
    ("Android", "14", "1.1.2407.13"),
    ("iOS", "18.1", "1.0.2408.1"),
];

/// Global Secure Access points of presence, as `popProcessingRegion`.
pub static REGIONS: &[&str] = &["uksouth", "westeurope", "eastus", "brazilsouth", "japaneast"];

/// Per-seed object ids of the Global Secure Access set-up.
#[derive(Debug)]
pub struct GsaIds {
    /// Per [`PRIVATE_APPS`] entry: application id.
    pub apps: Vec<String>,
    /// Per [`SEGMENTS`] entry: application segment id.
    pub segments: Vec<String>,
    /// Per [`CONNECTORS`] entry.
    pub connectors: Vec<String>,
    /// Per [`REMOTE_NETWORKS`] entry.
    pub remote_networks: Vec<String>,
    /// Per [`POLICIES`] entry: policy id, rule id.
    pub policies: Vec<[String; 2]>,
    /// Per [`PROFILES`] entry.
    pub profiles: Vec<String>,
}

impl GsaIds {
    pub fn new(rng: &mut ChaCha20Rng) -> Self {
        GsaIds {
            apps: PRIVATE_APPS.iter().map(|_| guid(rng)).collect(),
            segments: SEGMENTS.iter().map(|_| guid(rng)).collect(),
            connectors: CONNECTORS.iter().map(|_| guid(rng)).collect(),
            remote_networks: REMOTE_NETWORKS.iter().map(|_| guid(rng)).collect(),
            policies: POLICIES.iter().map(|_| [guid(rng), guid(rng)]).collect(),
            profiles: PROFILES.iter().map(|_| guid(rng)).collect(),
        }
    }
}
