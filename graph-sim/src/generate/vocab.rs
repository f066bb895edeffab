//! The fixed cast of the simulated tenant: people, places, applications and
//! Conditional Access policies, as static tables.
//!
//! Names deliberately include non-ASCII scripts, an emoji, quotes, an
//! apostrophe and a comma, so byte-exact handling and escaping get exercised
//! downstream. App ids are Microsoft's real first-party ids. Nothing here is
//! random; per-seed identities (object ids, device ids) are drawn in
//! [`super::Directory`]. The user agents clients send are derived from the
//! app and device ([`user_agent`]).

/// Display name of the simulated tenant.
pub const TENANT_NAME: &str = "Contoso";

/// The tenant that owns Microsoft's first-party apps and APIs (its real id),
/// as `appOwnerTenantId` and `resourceOwnerTenantId` name it.
pub const MICROSOFT_TENANT_ID: &str = "f8cdef31-a31e-4b4a-93e4-5f571e91255a";

/// A member of the directory.
#[derive(Debug)]
pub struct Person {
    pub name: &'static str,
    /// Lowercase, as Graph stores it (guests keep their home UPN).
    pub upn: &'static str,
    /// Index into [`CITIES`] where the person usually signs in.
    pub home: usize,
    pub admin: bool,
    pub guest: bool,
}

const fn p(name: &'static str, upn: &'static str, home: usize, admin: bool) -> Person {
    Person { name, upn, home, admin, guest: false }
}

pub static PEOPLE: &[Person] = &[
    p("Zoë Ångström", "zoe.angstrom@contoso.com", 8, true),
    p("李小龙", "li.xiaolong@contoso.com", 6, false),
    p("Jürgen Müller", "juergen.mueller@contoso.com", 4, false),
    p("Øyvind Ødegård", "oyvind.odegard@contoso.com", 3, true),
    p("Ναταλία Παπαδοπούλου", "natalia.papadopoulou@contoso.com", 7, false),
    p("🦄 Unicorn Ops", "unicorn.ops@contoso.com", 0, true),
    p("Adele Vance", "adelev@contoso.com", 0, false),
    p("Alex Wilber", "alexw@contoso.com", 1, false),
    p("Megan Bowen", "meganb@contoso.com", 0, true),
    p("Nestor Wilke", "nestorw@contoso.com", 1, false),
    p("Lidia Holloway", "lidiah@contoso.com", 2, false),
    p("Isaiah Langer", "isaiahl@contoso.com", 0, false),
    p("Diego Siciliani", "diegos@contoso.com", 9, false),
    p("Grady Archie", "gradya@contoso.com", 1, false),
    p("Lee Gu", "leeg@contoso.com", 10, false),
    p("Pradeep Gupta", "pradeepg@contoso.com", 2, false),
    p("Johanna Lorenz", "johannal@contoso.com", 5, false),
    p("Miriam Graham", "miriamg@contoso.com", 0, false),
    p("Søren Kierkegaard-Jensen", "soren.kj@contoso.com", 8, false),
    p("François Dubois", "francois.dubois@contoso.com", 2, false),
    p("José Álvarez", "jose.alvarez@contoso.com", 9, false),
    p("Иван Петров", "ivan.petrov@contoso.com", 4, false),
    p("佐藤 花子", "hanako.sato@contoso.com", 10, false),
    p("김민준", "minjun.kim@contoso.com", 10, false),
    p("محمد الأحمد", "mohammed.alahmad@contoso.com", 2, false),
    p("O'Brien, Siobhán", "siobhan.obrien@contoso.com", 2, false),
    p("Test \"Quotes\" Account", "test.quotes@contoso.com", 0, false),
    Person { name: "Adele Vance (Fabrikam)", upn: "adelevance@fabrikam.com", home: 1, admin: false, guest: true },
];

/// People who sign in with their phone number ([`PEOPLE`] index, number):
/// their sign-ins carry it as `alternateSignInName`.
pub static PHONE_SIGN_IN: &[(usize, &str)] = &[(7, "+1 4255550143"), (16, "+41 445550178"), (20, "+55 1155550123")];

/// A sign-in location: city, state, country code, latitude, longitude.
pub type City = (&'static str, &'static str, &'static str, f32, f32);

pub static CITIES: &[City] = &[
    ("Redmond", "Washington", "US", 47.680_5, -122.120_94),
    ("New York", "New York", "US", 40.712_8, -74.006),
    ("London", "England", "GB", 51.507_2, -0.127_6),
    ("Oslo", "Oslo", "NO", 59.913_9, 10.752_2),
    ("München", "Bayern", "DE", 48.137_4, 11.575_5),
    ("Zürich", "Zurich", "CH", 47.376_9, 8.541_7),
    ("Beijing", "Beijing", "CN", 39.904_2, 116.407_4),
    ("Athens", "Attiki", "GR", 37.983_8, 23.727_5),
    ("Stockholm", "Stockholms Län", "SE", 59.329_3, 18.068_6),
    ("São Paulo", "Sao Paulo", "BR", -23.555_8, -46.639_6),
    ("Tokyo", "Tokyo", "JP", 35.676_4, 139.65),
    ("Sydney", "New South Wales", "AU", -33.868_8, 151.209_3),
];

/// A client application and the resource it signs in to.
#[derive(Debug)]
pub struct App {
    pub id: &'static str,
    pub name: &'static str,
    pub resource: usize,
    /// `clientAppUsed` when the modern client is used.
    pub client: &'static str,
}

const BROWSER: &str = "Browser";
const RICH: &str = "Mobile Apps and Desktop clients";

pub static APPS: &[App] = &[
    App { id: "1fec8e78-bce4-4aaf-ab1b-5451cc387264", name: "Microsoft Teams", resource: 5, client: RICH },
    App {
        id: "00000002-0000-0ff1-ce00-000000000000",
        name: "Office 365 Exchange Online",
        resource: 1,
        client: BROWSER,
    },
    App { id: "c44b4083-3bb0-49c1-b47d-974e53cbdf3c", name: "Azure Portal", resource: 3, client: BROWSER },
    App { id: "de8bc8b5-d9f9-48b1-a8ad-b748da725064", name: "Graph Explorer", resource: 0, client: BROWSER },
    App { id: "4765445b-32c6-49b0-83e6-1d93765276ca", name: "OfficeHome", resource: 0, client: BROWSER },
    App {
        id: "00000003-0000-0ff1-ce00-000000000000",
        name: "Office 365 SharePoint Online",
        resource: 2,
        client: BROWSER,
    },
    App { id: "04b07795-8ddb-461a-bbee-02f9e1bf7b46", name: "Microsoft Azure CLI", resource: 3, client: RICH },
    App { id: "1950a258-227b-4e31-a9cf-717495945fc2", name: "Microsoft Azure PowerShell", resource: 3, client: RICH },
    App { id: "d3590ed6-52b3-4102-aeff-aad2292ab01c", name: "Microsoft Office", resource: 1, client: RICH },
    App { id: "27922004-5251-4030-b22d-91ecd9a37ea4", name: "Outlook Mobile", resource: 1, client: RICH },
    App { id: "ab9b8c07-8f02-4f72-87fa-80105867a763", name: "OneDrive SyncEngine", resource: 2, client: RICH },
    App { id: "38aa3b87-a06d-4817-b275-7a316988d93b", name: "Windows Sign In", resource: 4, client: RICH },
];

/// Resource (API) an app signs in to: id, display name.
pub static RESOURCES: &[(&str, &str)] = &[
    ("00000003-0000-0000-c000-000000000000", "Microsoft Graph"),
    ("00000002-0000-0ff1-ce00-000000000000", "Office 365 Exchange Online"),
    ("00000003-0000-0ff1-ce00-000000000000", "Office 365 SharePoint Online"),
    ("797f4846-ba00-4fd7-ba43-dac1f8f63013", "Windows Azure Service Management API"),
    ("00000002-0000-0000-c000-000000000000", "Windows Azure Active Directory"),
    ("cc15fd57-2c6c-4117-a88c-83b1d56b4bbe", "Microsoft Teams Services"),
    ("cfa8b339-82a2-471a-a3c9-0fc0be7a4093", "Azure Key Vault"),
    ("e406a681-f3d4-42a8-90b6-c2b029497af1", "Azure Storage"),
];

/// [`RESOURCES`] index of Microsoft Graph.
pub const GRAPH: usize = 0;
/// [`RESOURCES`] index of SharePoint Online.
pub const SHAREPOINT: usize = 2;
/// [`RESOURCES`] index of Azure Resource Manager.
pub const ARM: usize = 3;
/// [`RESOURCES`] index of Azure Key Vault.
pub const KEY_VAULT: usize = 6;
/// [`RESOURCES`] index of Azure Storage.
pub const STORAGE: usize = 7;

/// Legacy-protocol clients seen against Exchange.
pub static LEGACY_CLIENTS: &[&str] = &["Exchange ActiveSync", "IMAP4", "Authenticated SMTP", "Other clients"];

/// A Conditional Access policy: name, grant controls, session controls,
/// whether it runs in report-only mode.
pub type Policy = (&'static str, &'static [&'static str], &'static [&'static str], bool);

pub static POLICIES: &[Policy] = &[
    ("Require multifactor authentication for all users", &["Mfa"], &[], false),
    ("Block legacy authentication", &["Block"], &[], false),
    ("Require compliant or hybrid joined device", &["RequireCompliantDevice", "RequireDomainJoinedDevice"], &[], false),
    ("Sign-in frequency – unmanaged devices", &[], &["SignInFrequency", "PersistentBrowserSessionMode"], false),
    ("SharePoint limited access for guest workers", &[], &["AppEnforcedRestrictions"], false),
    ("Medium signin risk block", &["Block"], &[], true),
];

/// Browsers by operating system family.
pub static DEVICES: &[(&str, &[&str])] = &[
    ("Windows 10", &["Edge 131.0.0", "Chrome 131.0.0", "Rich Client 4.66.0.0"]),
    ("Windows", &["Edge 132.0.0", "Firefox 133.0", "Rich Client 5.2.1.0"]),
    ("MacOs", &["Safari 18.1", "Chrome 131.0.0", "Rich Client 4.66.0.0"]),
    ("Ios", &["Mobile Safari", "Rich Client 4.66.0.0"]),
    ("Android", &["Chrome Mobile 131.0.6778", "Rich Client 4.66.0.0"]),
    ("Linux", &["Firefox 133.0", "Chrome 131.0.0"]),
];

/// A sign-in failure: code, failure reason, additional details.
pub type Failure = (i32, &'static str, Option<&'static str>);

pub static FAILURES: &[(u32, Failure)] = &[
    (
        35,
        (
            50126,
            "Error validating credentials due to invalid username or password.",
            Some(
                "The user didn't enter the right credentials. It's expected to see some number of these errors in your logs due to users making mistakes.",
            ),
        ),
    ),
    (
        25,
        (
            50074,
            "Strong Authentication is required.",
            Some("The user was required to perform multi-factor authentication."),
        ),
    ),
    (
        15,
        (
            500121,
            "Authentication failed during strong authentication request.",
            Some(
                "The user didn't complete the MFA prompt. They may have decided not to authenticate, timed out while doing other work, or has an issue with their authentication setup.",
            ),
        ),
    ),
    (
        15,
        (
            53003,
            "Access has been blocked by Conditional Access policies. The access policy does not allow token issuance.",
            None,
        ),
    ),
    (
        10,
        (
            50053,
            "Account is locked because user tried to sign in too many times with an incorrect user ID or password.",
            None,
        ),
    ),
];

/// Legacy `riskEventTypes` value paired with its `riskEventTypes_v2` value.
pub static RISK_EVENTS: &[(&str, &str)] = &[
    ("unfamiliarFeatures", "unfamiliarFeatures"),
    ("anonymizedIPAddress", "anonymizedIPAddress"),
    ("unlikelyTravel", "unlikelyTravel"),
    ("maliciousIPAddress", "maliciousIPAddress"),
    ("generic", "passwordSpray"),
    ("generic", "anomalousToken"),
];

/// Groups: display name, `groupType`.
pub static GROUPS: &[(&str, &str)] = &[
    ("All Company", "unifiedGroups"),
    ("Sales and Marketing", "unifiedGroups"),
    ("Finance – EMEA", "azureAD"),
    ("Ωmega Project", "unifiedGroups"),
    ("Helpdesk Admins", "azureAD"),
];

/// Directory roles: display name, role template id (Microsoft's real ids).
pub static ROLES: &[(&str, &str)] = &[
    ("Global Reader", "f2ef992c-3afb-46b9-b7cf-a126ee74c451"),
    ("User Administrator", "fe930be7-5e62-47db-91af-98c3a49a38b1"),
    ("Security Reader", "5d6b6bb7-de71-4623-b4af-96380a352509"),
    ("Reports Reader", "4a5d8f65-41da-4de4-8968-e035b65339cf"),
];

/// Departments, for attribute updates.
pub static DEPARTMENTS: &[&str] = &["Sales", "Marketing", "Finance", "R&D", "Operations", "Forschung & Entwicklung"];

/// A browser user agent seen in audit details.
pub const USER_AGENT: &str = "Mozilla/5.0 (Windows NT 10.0; Win64; x64) AppleWebKit/537.36 (KHTML, like Gecko) Chrome/131.0.0.0 Safari/537.36 Edg/131.0.0.0";

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
