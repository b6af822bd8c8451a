//! The demo organization's cast: countries with their network blocks, and the roster of actors
//! (people, API keys, services, system jobs) with their home location, addresses and user agent.

use rand::rngs::StdRng;
use rand::{Rng, SeedableRng};

/// A place actors act from. `offset_h` is the local UTC offset used for the working-day rhythm;
/// `block` numbers the country's address blocks (`100.{64+block}.0.0/16`, `2001:db8:{block}::/48`).
pub struct Country {
    pub code: &'static str,
    pub region: &'static str,
    pub city: &'static str,
    pub offset_h: i64,
    pub block: u8,
}

#[rustfmt::skip]
pub const COUNTRIES: [Country; 16] = [
    Country { code: "US", region: "CA", city: "San Francisco", offset_h: -8, block: 0 },
    Country { code: "US", region: "NY", city: "New York", offset_h: -5, block: 1 },
    Country { code: "DE", region: "BE", city: "Berlin", offset_h: 1, block: 2 },
    Country { code: "GB", region: "ENG", city: "London", offset_h: 0, block: 3 },
    Country { code: "IN", region: "KA", city: "Bengaluru", offset_h: 5, block: 4 },
    Country { code: "FR", region: "IDF", city: "Paris", offset_h: 1, block: 5 },
    Country { code: "NL", region: "NH", city: "Amsterdam", offset_h: 1, block: 6 },
    Country { code: "PL", region: "MZ", city: "Warsaw", offset_h: 1, block: 7 },
    Country { code: "CA", region: "ON", city: "Toronto", offset_h: -5, block: 8 },
    Country { code: "BR", region: "SP", city: "São Paulo", offset_h: -3, block: 9 },
    Country { code: "JP", region: "13", city: "Tokyo", offset_h: 9, block: 10 },
    Country { code: "SG", region: "01", city: "Singapore", offset_h: 8, block: 11 },
    Country { code: "AU", region: "NSW", city: "Sydney", offset_h: 10, block: 12 },
    Country { code: "ES", region: "MD", city: "Madrid", offset_h: 1, block: 13 },
    Country { code: "IE", region: "D", city: "Dublin", offset_h: 0, block: 14 },
    Country { code: "TR", region: "34", city: "Istanbul", offset_h: 3, block: 15 },
];

/// How likely a person lives in each of `COUNTRIES` (same order).
const HOME_WEIGHTS: [u32; 16] = [14, 10, 12, 9, 8, 4, 4, 4, 3, 3, 2, 2, 2, 2, 2, 1];

/// An Invicti-style role (the seeds' Owner, Admin, Security Manager, Security Analyst, Developer, Member).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Role {
    Owner,
    Admin,
    SecurityManager,
    SecurityAnalyst,
    Developer,
    Member,
}

impl Role {
    pub const ALL: [Role; 6] = [
        Role::Owner,
        Role::Admin,
        Role::SecurityManager,
        Role::SecurityAnalyst,
        Role::Developer,
        Role::Member,
    ];

    pub fn label(self) -> &'static str {
        match self {
            Role::Owner => "Owner",
            Role::Admin => "Admin",
            Role::SecurityManager => "Security Manager",
            Role::SecurityAnalyst => "Security Analyst",
            Role::Developer => "Developer",
            Role::Member => "Member",
        }
    }

    /// One bit per role, for the catalogue's "who may do this" masks.
    pub fn bit(self) -> u8 {
        1 << (self as u8)
    }
}

/// What kind of actor; `Person` carries the role.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Kind {
    Person(Role),
    ApiKey,
    Service,
    System,
}

impl Kind {
    pub fn wire(self) -> &'static str {
        match self {
            Kind::Person(_) => "user",
            Kind::ApiKey => "api_key",
            Kind::Service => "service",
            Kind::System => "system",
        }
    }
}

pub struct Actor {
    pub id: String,
    pub kind: Kind,
    pub name: String,
    pub email: Option<String>,
    /// Index into `COUNTRIES`.
    pub home: usize,
    /// Countries this person sometimes works from (empty for most).
    pub trips: Vec<usize>,
    pub ips: Vec<String>,
    pub user_agent: &'static str,
    /// Relative activity: some people do far more than others.
    pub activity: u32,
}

impl Actor {
    pub fn role(&self) -> Option<Role> {
        match self.kind {
            Kind::Person(role) => Some(role),
            _ => None,
        }
    }
}

const FIRST: [&str; 32] = [
    "Alice", "Bob", "Carla", "Deepak", "Elena", "Farid", "Greta", "Hiro", "Ines", "Jonas", "Kofi",
    "Lena", "Marco", "Nadia", "Oskar", "Priya", "Quentin", "Rosa", "Sven", "Tara", "Umar", "Vera",
    "Wei", "Ximena", "Yusuf", "Zoe", "Aiko", "Bruno", "Chloe", "Dmitri", "Emma", "Felix",
];
const LAST: [&str; 24] = [
    "Kim",
    "Ray",
    "Schmidt",
    "Patel",
    "Rossi",
    "Nguyen",
    "Müller",
    "Tanaka",
    "García",
    "Novak",
    "Mensah",
    "Berg",
    "Dubois",
    "Haddad",
    "Larsen",
    "Iyer",
    "Moreau",
    "Silva",
    "Lindqvist",
    "Okafor",
    "Kowalski",
    "Chen",
    "Walsh",
    "Yilmaz",
];
const DOMAINS: [(&str, u32); 3] = [
    ("demo-inc.com", 8),
    ("demo-inc.de", 2),
    ("northwind-consulting.com", 1),
];
/// How many people hold each role, in `Role::ALL` order.
const ROLE_COUNTS: [usize; 6] = [2, 6, 6, 12, 24, 14];

const BROWSERS: [&str; 8] = [
    "Mozilla/5.0 (Macintosh; Intel Mac OS X 14_6) AppleWebKit/537.36 (KHTML, like Gecko) Chrome/131.0.0.0 Safari/537.36",
    "Mozilla/5.0 (Windows NT 10.0; Win64; x64) AppleWebKit/537.36 (KHTML, like Gecko) Chrome/131.0.0.0 Safari/537.36 Edg/131.0.0.0",
    "Mozilla/5.0 (Windows NT 10.0; Win64; x64; rv:133.0) Gecko/20100101 Firefox/133.0",
    "Mozilla/5.0 (Macintosh; Intel Mac OS X 14_6) AppleWebKit/605.1.15 (KHTML, like Gecko) Version/18.1 Safari/605.1.15",
    "Mozilla/5.0 (X11; Linux x86_64) AppleWebKit/537.36 (KHTML, like Gecko) Chrome/130.0.0.0 Safari/537.36",
    "Mozilla/5.0 (X11; Ubuntu; Linux x86_64; rv:132.0) Gecko/20100101 Firefox/132.0",
    "Mozilla/5.0 (iPhone; CPU iPhone OS 18_1 like Mac OS X) AppleWebKit/605.1.15 (KHTML, like Gecko) Version/18.1 Mobile/15E148 Safari/604.1",
    "Mozilla/5.0 (Macintosh; Intel Mac OS X 14_6; rv:133.0) Gecko/20100101 Firefox/133.0",
];

/// Machine actors: (id, kind, name, user agent, activity).
#[rustfmt::skip]
const MACHINES: [(&str, Kind, &str, &str, u32); 11] = [
    ("key_ci_pipeline", Kind::ApiKey, "CI pipeline", "invicti-ci-plugin/3.2.1 (GitHub Actions)", 6),
    ("key_terraform", Kind::ApiKey, "Terraform", "Terraform/1.9.8 terraform-provider-squadcast/2.4.0", 3),
    ("key_siem_export", Kind::ApiKey, "SIEM exporter", "python-requests/2.32.3", 4),
    ("key_jira_sync", Kind::ApiKey, "Jira sync", "Go-http-client/2.0", 3),
    ("key_backoffice", Kind::ApiKey, "Back-office scripts", "curl/8.5.0", 1),
    ("key_zapier", Kind::ApiKey, "Zapier", "Zapier/1.0 (+https://zapier.com)", 2),
    ("svc_scan_engine", Kind::Service, "Scan Engine", "invicti-scanner/24.11.2", 10),
    ("svc_assistant_runtime", Kind::Service, "Assistant Runtime", "invent-runtime/5.3.0", 3),
    ("svc_notifier", Kind::Service, "Squadcast Notifier", "squadcast-notifier/1.18.0", 3),
    ("sys_scheduler", Kind::System, "Scheduler", "trail-demo-scheduler/1.0", 8),
    ("sys_retention", Kind::System, "Retention Job", "trail-demo-retention/1.0", 1),
];

/// The same roster for every demo seed, so that docs can name `alice.kim@demo-inc.com`.
const ROSTER_SEED: u64 = 0x7261_696c;

/// Builds the roster: 64 people (first Alice Kim, Owner) and 11 machine actors.
pub fn roster() -> Vec<Actor> {
    let mut rng = StdRng::seed_from_u64(ROSTER_SEED);
    let mut actors = Vec::new();
    let roles = Role::ALL
        .iter()
        .zip(ROLE_COUNTS)
        .flat_map(|(role, n)| std::iter::repeat_n(*role, n));
    for (i, role) in roles.enumerate() {
        let first = FIRST[i % FIRST.len()];
        let last = LAST[(i * 7 + i / FIRST.len()) % LAST.len()];
        let domain = if i == 0 {
            DOMAINS[0].0
        } else {
            weighted(&mut rng, &DOMAINS)
        };
        let local = format!("{}.{}", ascii_lower(first), ascii_lower(last));
        let home = pick_weighted_index(&mut rng, &HOME_WEIGHTS);
        let trips = if rng.random_bool(0.15) {
            (0..rng.random_range(1..=2))
                .map(|_| rng.random_range(0..COUNTRIES.len()))
                .filter(|c| COUNTRIES[*c].code != COUNTRIES[home].code)
                .collect()
        } else {
            Vec::new()
        };
        let mut ips = vec![home_ipv4(&mut rng, home), office_ipv4(&mut rng)];
        if rng.random_bool(0.3) {
            ips.push(ipv6(&mut rng, home));
        }
        actors.push(Actor {
            id: format!("usr_{:04}", i + 1),
            kind: Kind::Person(role),
            name: format!("{first} {last}"),
            email: Some(format!("{local}@{domain}")),
            home,
            trips,
            ips,
            user_agent: BROWSERS[rng.random_range(0..BROWSERS.len())],
            activity: [1, 2, 3, 5, 8][rng.random_range(0..5)],
        });
    }
    for (id, kind, name, user_agent, activity) in MACHINES {
        actors.push(Actor {
            id: id.to_owned(),
            kind,
            name: name.to_owned(),
            email: None,
            home: 0,
            trips: Vec::new(),
            ips: vec![format!(
                "10.20.{}.{}",
                rng.random_range(0..4),
                rng.random_range(2..250)
            )],
            user_agent,
            activity,
        });
    }
    actors
}

/// An address in the country's consumer block.
pub fn home_ipv4(rng: &mut StdRng, country: usize) -> String {
    let block = COUNTRIES[country].block;
    format!(
        "100.{}.{}.{}",
        64 + block,
        rng.random_range(0..=255),
        rng.random_range(1..255)
    )
}

/// An office egress address (documentation ranges).
fn office_ipv4(rng: &mut StdRng) -> String {
    let net = ["198.51.100", "203.0.113"][rng.random_range(0..2)];
    format!("{net}.{}", rng.random_range(1..255))
}

fn ipv6(rng: &mut StdRng, country: usize) -> String {
    let block = COUNTRIES[country].block;
    format!(
        "2001:db8:{block:x}:{:x}::{:x}",
        rng.random_range(0..0xffff_u32),
        rng.random_range(1..0xffff_u32)
    )
}

fn ascii_lower(name: &str) -> String {
    name.chars()
        .map(|c| match c {
            'ü' => 'u',
            'í' => 'i',
            other => other.to_ascii_lowercase(),
        })
        .collect()
}

/// An index drawn with the given weights.
pub fn pick_weighted_index(rng: &mut StdRng, weights: &[u32]) -> usize {
    let total: u32 = weights.iter().sum();
    let mut roll = rng.random_range(0..total);
    for (i, w) in weights.iter().enumerate() {
        if roll < *w {
            return i;
        }
        roll -= w;
    }
    weights.len() - 1
}

/// A value drawn from `(value, weight)` pairs.
pub fn weighted<T: Copy>(rng: &mut StdRng, items: &[(T, u32)]) -> T {
    let weights: Vec<u32> = items.iter().map(|(_, w)| *w).collect();
    items[pick_weighted_index(rng, &weights)].0
}
