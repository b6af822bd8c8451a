//! What the demo organization's people do: the actions of the three seed products (Invicti scans and
//! targets, Invent assistants and workspace, Squadcast incident tooling), who may do each, and the
//! named resources they act on.

use super::people::Role;

/// The product an action belongs to; it decides the `source` a person's request carries.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Product {
    /// Invicti: `web_ui` or `api`.
    Scanner,
    /// Invent: `app`.
    Assistants,
    /// Squadcast: `web_ui` or `api`.
    Incidents,
}

/// One action a person can take in a session.
pub struct Spec {
    pub action: &'static str,
    pub area: &'static str,
    pub product: Product,
    /// Resource pool (see `resources`).
    pub kind: &'static str,
    /// The past-tense verb used in descriptions: "Alice Kim created target …".
    pub verb: &'static str,
    pub weight: u32,
    /// Roles allowed (bits of `Role::bit`).
    pub who: u8,
}

const OWNER: u8 = 1 << 0;
const ADMIN: u8 = 1 << 1;
const SEC_MANAGER: u8 = 1 << 2;
const SEC_ANALYST: u8 = 1 << 3;
const DEVELOPER: u8 = 1 << 4;
const MEMBER: u8 = 1 << 5;
const ADMINS: u8 = OWNER | ADMIN;
const SECURITY: u8 = ADMINS | SEC_MANAGER | SEC_ANALYST;
const BUILDERS: u8 = ADMINS | DEVELOPER;
const ANYONE: u8 = 0x3f;

use Product::{Assistants as AS, Incidents as IN, Scanner as SC};

#[rustfmt::skip]
pub const SPECS: &[Spec] = &[
    // Invicti: targets, scans, vulnerabilities, teams, reports.
    Spec { action: "target.created", area: "targets", product: SC, kind: "target", verb: "created", weight: 4, who: SECURITY | DEVELOPER },
    Spec { action: "target.updated", area: "targets", product: SC, kind: "target", verb: "updated", weight: 8, who: SECURITY | DEVELOPER },
    Spec { action: "target.deleted", area: "targets", product: SC, kind: "target", verb: "deleted", weight: 1, who: ADMINS | SEC_MANAGER },
    Spec { action: "target.verified", area: "targets", product: SC, kind: "target", verb: "verified", weight: 2, who: SECURITY | DEVELOPER },
    Spec { action: "scan.scheduled", area: "scans", product: SC, kind: "target", verb: "scheduled a scan of", weight: 6, who: SECURITY },
    Spec { action: "scan.started", area: "scans", product: SC, kind: "target", verb: "started a scan of", weight: 10, who: SECURITY | DEVELOPER },
    Spec { action: "scan.cancelled", area: "scans", product: SC, kind: "target", verb: "cancelled the scan of", weight: 2, who: SECURITY },
    Spec { action: "vulnerability.status_changed", area: "vulnerabilities", product: SC, kind: "vulnerability", verb: "changed the status of", weight: 8, who: SECURITY | DEVELOPER },
    Spec { action: "vulnerability.assigned", area: "vulnerabilities", product: SC, kind: "vulnerability", verb: "assigned", weight: 4, who: SECURITY },
    Spec { action: "report.generated", area: "reports", product: SC, kind: "report", verb: "generated", weight: 3, who: SECURITY },
    Spec { action: "team.member_added", area: "teams", product: SC, kind: "team", verb: "added a member to", weight: 2, who: ADMINS | SEC_MANAGER },
    Spec { action: "team.member_removed", area: "teams", product: SC, kind: "team", verb: "removed a member from", weight: 1, who: ADMINS | SEC_MANAGER },
    Spec { action: "role.changed", area: "roles", product: SC, kind: "member", verb: "changed the role of", weight: 1, who: ADMINS },
    Spec { action: "audit_log.exported", area: "audit_logs", product: SC, kind: "export", verb: "exported", weight: 1, who: ADMINS | SEC_MANAGER | SEC_ANALYST },
    // Invent: assistants, actions, integrations, workspace administration.
    Spec { action: "assistant.created", area: "assistants", product: AS, kind: "assistant", verb: "created", weight: 3, who: BUILDERS | MEMBER },
    Spec { action: "assistant.updated", area: "assistants", product: AS, kind: "assistant", verb: "updated", weight: 14, who: BUILDERS | MEMBER },
    Spec { action: "assistant.deleted", area: "assistants", product: AS, kind: "assistant", verb: "deleted", weight: 1, who: BUILDERS },
    Spec { action: "assistant.restored", area: "assistants", product: AS, kind: "assistant", verb: "restored", weight: 1, who: BUILDERS },
    Spec { action: "assistant.duplicated", area: "assistants", product: AS, kind: "assistant", verb: "duplicated", weight: 2, who: BUILDERS | MEMBER },
    Spec { action: "action.created", area: "actions", product: AS, kind: "assistant_action", verb: "created", weight: 3, who: BUILDERS },
    Spec { action: "action.deleted", area: "actions", product: AS, kind: "assistant_action", verb: "deleted", weight: 1, who: BUILDERS },
    Spec { action: "action.enabled", area: "actions", product: AS, kind: "assistant_action", verb: "enabled", weight: 2, who: BUILDERS },
    Spec { action: "action.disabled", area: "actions", product: AS, kind: "assistant_action", verb: "disabled", weight: 1, who: BUILDERS },
    Spec { action: "integration.created", area: "integrations", product: AS, kind: "integration", verb: "connected", weight: 1, who: ADMINS },
    Spec { action: "integration.updated", area: "integrations", product: AS, kind: "integration", verb: "updated", weight: 2, who: ADMINS },
    Spec { action: "integration.enabled", area: "integrations", product: AS, kind: "integration", verb: "enabled", weight: 1, who: ADMINS },
    Spec { action: "integration.disabled", area: "integrations", product: AS, kind: "integration", verb: "disabled", weight: 1, who: ADMINS },
    Spec { action: "connection.updated", area: "connections", product: AS, kind: "connection", verb: "updated", weight: 2, who: BUILDERS },
    Spec { action: "workflow.created", area: "workflows", product: AS, kind: "workflow", verb: "created", weight: 2, who: BUILDERS },
    Spec { action: "workflow.deleted", area: "workflows", product: AS, kind: "workflow", verb: "deleted", weight: 1, who: BUILDERS },
    Spec { action: "workflow.restored", area: "workflows", product: AS, kind: "workflow", verb: "restored", weight: 1, who: BUILDERS },
    Spec { action: "broadcast.created", area: "broadcasts", product: AS, kind: "broadcast", verb: "sent", weight: 1, who: ADMINS },
    Spec { action: "conversation.chat_deleted", area: "conversations", product: AS, kind: "conversation", verb: "deleted", weight: 3, who: ANYONE },
    Spec { action: "member.invited", area: "members", product: AS, kind: "member", verb: "invited", weight: 2, who: ADMINS },
    Spec { action: "member.removed", area: "members", product: AS, kind: "member", verb: "removed", weight: 1, who: ADMINS },
    Spec { action: "member.role_changed", area: "members", product: AS, kind: "member", verb: "changed the role of", weight: 1, who: ADMINS },
    Spec { action: "api_key.created", area: "api_keys", product: AS, kind: "api_key", verb: "created", weight: 1, who: ADMINS | DEVELOPER },
    Spec { action: "api_key.deleted", area: "api_keys", product: AS, kind: "api_key", verb: "deleted", weight: 1, who: ADMINS | DEVELOPER },
    Spec { action: "domain.created", area: "domains", product: AS, kind: "domain", verb: "added", weight: 1, who: ADMINS },
    Spec { action: "domain.email_identity_created", area: "domains", product: AS, kind: "domain", verb: "verified an email identity for", weight: 1, who: ADMINS },
    Spec { action: "organization.updated", area: "organization", product: AS, kind: "organization", verb: "updated", weight: 1, who: OWNER },
    // Squadcast: runbooks, escalation policies, services, extensions, RBAC, refresh tokens.
    Spec { action: "runbook.created", area: "runbooks", product: IN, kind: "runbook", verb: "created", weight: 1, who: BUILDERS | SEC_MANAGER },
    Spec { action: "runbook.updated", area: "runbooks", product: IN, kind: "runbook", verb: "updated", weight: 4, who: BUILDERS | SEC_MANAGER },
    Spec { action: "runbook.executed", area: "runbooks", product: IN, kind: "runbook", verb: "ran", weight: 5, who: ANYONE },
    Spec { action: "runbook.deleted", area: "runbooks", product: IN, kind: "runbook", verb: "deleted", weight: 1, who: ADMINS },
    Spec { action: "escalation_policy.created", area: "escalation_policies", product: IN, kind: "escalation_policy", verb: "created", weight: 1, who: ADMINS | SEC_MANAGER },
    Spec { action: "escalation_policy.updated", area: "escalation_policies", product: IN, kind: "escalation_policy", verb: "updated", weight: 3, who: ADMINS | SEC_MANAGER | DEVELOPER },
    Spec { action: "service.created", area: "services", product: IN, kind: "service", verb: "created", weight: 1, who: BUILDERS },
    Spec { action: "service.updated", area: "services", product: IN, kind: "service", verb: "updated", weight: 5, who: BUILDERS },
    Spec { action: "service.maintenance_started", area: "services", product: IN, kind: "service", verb: "started maintenance on", weight: 1, who: BUILDERS },
    Spec { action: "extension.installed", area: "extensions", product: IN, kind: "extension", verb: "installed", weight: 1, who: ADMINS },
    Spec { action: "extension.configured", area: "extensions", product: IN, kind: "extension", verb: "configured", weight: 1, who: ADMINS | DEVELOPER },
    Spec { action: "rbac.role_updated", area: "rbac", product: IN, kind: "custom_role", verb: "updated", weight: 1, who: ADMINS },
    Spec { action: "rbac.permission_granted", area: "rbac", product: IN, kind: "custom_role", verb: "granted a permission to", weight: 1, who: ADMINS },
    Spec { action: "api_refresh_token.created", area: "api_refresh_tokens", product: IN, kind: "api_refresh_token", verb: "created", weight: 1, who: ADMINS | DEVELOPER },
    Spec { action: "api_refresh_token.revoked", area: "api_refresh_tokens", product: IN, kind: "api_refresh_token", verb: "revoked", weight: 1, who: ADMINS | DEVELOPER },
];

/// Whether `role` may perform `spec`.
pub fn allowed(spec: &Spec, role: Role) -> bool {
    spec.who & role.bit() != 0
}

/// The named things of one resource type: (id prefix, names).
#[rustfmt::skip]
pub fn resources(kind: &str) -> (&'static str, &'static [&'static str]) {
    match kind {
        "target" => ("tgt", &["shop.demo-inc.com", "api.demo-inc.com", "admin.demo-inc.com", "staging.demo-inc.com",
            "auth.demo-inc.com", "partners.demo-inc.de", "status.demo-inc.com", "cdn.demo-inc.com",
            "billing.demo-inc.com", "docs.demo-inc.com", "legacy-portal.demo-inc.com", "graphql.demo-inc.com",
            "mobile-api.demo-inc.com", "support.demo-inc.com", "careers.demo-inc.com", "sandbox.demo-inc.dev"]),
        "vulnerability" => ("vln", &["SQL Injection", "Cross-site Scripting (Reflected)", "Cross-site Scripting (Stored)",
            "Out-of-date jQuery", "Missing Content-Security-Policy", "Weak TLS cipher suites", "Open Redirect",
            "Server-Side Request Forgery", "Insecure Cookie (missing Secure flag)", "Directory Listing",
            "Exposed .git folder", "Cross-Site Request Forgery", "Insecure Deserialization", "Information Disclosure (stack trace)"]),
        "report" => ("rpt", &["Executive Summary", "OWASP Top 10 2021", "PCI DSS 4.0", "ISO 27001 Annex A", "Weekly Delta"]),
        "team" => ("team", &["Platform", "AppSec", "Payments", "Mobile", "Data", "Customer Success"]),
        "member" | "user" => ("usr", &[]),
        "export" => ("exp", &["Q3 access review", "Incident 2291 evidence", "SOC 2 sample", "Monthly admin changes"]),
        "assistant" => ("ast", &["Support Bot", "Onboarding Guide", "Sales Copilot", "HR Helpdesk", "Release Notes Writer",
            "Security Triage", "Billing FAQ", "Docs Search", "Churn Predictor", "Meeting Summarizer"]),
        "assistant_action" => ("act", &["Create Jira ticket", "Look up order", "Refund payment", "Search knowledge base",
            "Send Slack message", "Fetch invoice", "Reset password link"]),
        "integration" => ("int", &["Slack", "Zendesk", "HubSpot", "Google Drive", "Notion", "Salesforce", "Intercom"]),
        "connection" => ("con", &["Postgres (analytics)", "Snowflake", "Confluence", "SharePoint"]),
        "workflow" => ("wf", &["Lead routing", "Ticket escalation", "Weekly digest", "Invoice follow-up"]),
        "broadcast" => ("bc", &["Maintenance window", "New assistant available", "Holiday support hours"]),
        "conversation" => ("conv", &["Chat with Support Bot", "Chat with Sales Copilot", "Chat with HR Helpdesk"]),
        "api_key" => ("key", &["zapier-prod", "ci-readonly", "data-export", "staging-tests"]),
        "domain" => ("dom", &["demo-inc.com", "mail.demo-inc.com", "demo-inc.de", "help.demo-inc.com"]),
        "organization" => ("org", &["Demo Inc"]),
        "runbook" => ("rb", &["Database failover", "Rotate leaked credentials", "Scale checkout pods", "Purge CDN cache",
            "Restart payment workers", "Block abusive IP range", "Roll back last deploy"]),
        "escalation_policy" => ("ep", &["Platform on-call", "Payments P1", "Security incidents", "Business hours only"]),
        "service" => ("svc", &["Checkout API", "Auth Service", "Search", "Notifications", "Billing", "Mobile Gateway", "Data Pipeline"]),
        "extension" => ("ext", &["Slack", "Microsoft Teams", "Jira Cloud", "ServiceNow", "Statuspage", "Zoom"]),
        "custom_role" => ("role", &["Incident Commander", "Read-only Auditor", "Stakeholder", "Contractor"]),
        "api_refresh_token" => ("rt", &["terraform", "grafana-oncall", "backstage", "ci-deploys"]),
        _ => ("res", &["Unnamed"]),
    }
}

/// Scan profiles (Invicti).
pub const SCAN_PROFILES: [&str; 5] = [
    "Full Scan",
    "Quick Scan",
    "OWASP Top 10",
    "API Scan",
    "Incremental",
];
/// Severities of findings, with how often each is found.
pub const SEVERITIES: [(&str, u32); 5] = [
    ("critical", 1),
    ("high", 4),
    ("medium", 10),
    ("low", 12),
    ("information", 8),
];
/// Why a login fails.
pub const LOGIN_FAILURES: [(&str, u32); 4] = [
    ("invalid_password", 12),
    ("mfa_failed", 3),
    ("account_locked", 1),
    ("sso_assertion_expired", 2),
];
/// How people log in.
pub const LOGIN_METHODS: [(&str, u32); 3] = [("sso", 6), ("password", 3), ("passkey", 1)];
/// Subscription plans an `organization.updated` may switch between.
pub const PLANS: [&str; 3] = ["business", "enterprise", "enterprise_plus"];
/// Vulnerability states an analyst moves a finding through.
pub const VULN_STATES: [&str; 5] = [
    "Open",
    "Fixed (Unconfirmed)",
    "Fixed (Confirmed)",
    "Accepted Risk",
    "False Positive",
];

/// API-key activity: (action, area, resource kind, weight).
#[rustfmt::skip]
pub const API_ACTIONS: [(&str, &str, &str, u32); 8] = [
    ("scan.started", "scans", "target", 8),
    ("target.updated", "targets", "target", 3),
    ("report.generated", "reports", "report", 2),
    ("service.updated", "services", "service", 3),
    ("escalation_policy.updated", "escalation_policies", "escalation_policy", 1),
    ("vulnerability.status_changed", "vulnerabilities", "vulnerability", 4),
    ("audit_log.exported", "audit_logs", "export", 2),
    ("runbook.executed", "runbooks", "runbook", 2),
];
