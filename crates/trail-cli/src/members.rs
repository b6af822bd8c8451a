//! `trail members` and `trail roles`: the people of an organization, their roles and the roles
//! there are. A new account's password is read from stdin (`--password-stdin`), never from the
//! command line, where other users of the machine could see it.

use std::io::BufRead as _;

use anyhow::Context as _;
use trail_client::{Member, MemberChange, NewMember, Role};

use crate::client_args::{ClientArgs, OrgArgs};
use crate::table::{Table, print_list};

#[derive(Debug, clap::Subcommand)]
pub enum Command {
    /// List the organization's members (deactivated ones included).
    List {
        /// Print a JSON array instead of a table.
        #[arg(long)]
        json: bool,
        #[command(flatten)]
        org: OrgArgs,
        #[command(flatten)]
        client: ClientArgs,
    },
    /// Add a member: creates the account when the email is new (give --password-stdin), or adds
    /// the existing account.
    Add {
        email: String,
        /// The person's name.
        #[arg(long)]
        name: String,
        /// owner, admin, security_manager, security_analyst, member, or a custom role's id.
        #[arg(long, default_value = "member")]
        role: String,
        /// Events whose actor.id is this count as the member's own.
        #[arg(long)]
        actor_id: Option<String>,
        /// Read the new account's password from the first line of stdin.
        #[arg(long)]
        password_stdin: bool,
        #[command(flatten)]
        org: OrgArgs,
        #[command(flatten)]
        client: ClientArgs,
    },
    /// Change a member's role.
    SetRole {
        /// The member's user id (`usr_…`).
        id: String,
        role: String,
        #[command(flatten)]
        org: OrgArgs,
        #[command(flatten)]
        client: ClientArgs,
    },
    /// Deactivate a member: they can no longer sign in to this organization.
    Deactivate {
        /// The member's user id (`usr_…`).
        id: String,
        #[command(flatten)]
        org: OrgArgs,
        #[command(flatten)]
        client: ClientArgs,
    },
}

#[derive(Debug, clap::Subcommand)]
pub enum RolesCommand {
    /// List the built-in roles and the organization's custom roles with their permissions.
    List {
        #[arg(long)]
        json: bool,
        #[command(flatten)]
        org: OrgArgs,
        #[command(flatten)]
        client: ClientArgs,
    },
}

pub async fn run(cmd: Command) -> anyhow::Result<()> {
    match cmd {
        Command::List { json, org, client } => {
            let members = client
                .client(Some(&org))?
                .list_members()
                .await
                .context("cannot list members")?;
            print_list(json, &members, |m| members_table(m))?;
        }
        Command::Add {
            email,
            name,
            role,
            actor_id,
            password_stdin,
            org,
            client,
        } => {
            let password = if password_stdin {
                Some(read_password()?)
            } else {
                None
            };
            let member = client
                .client(Some(&org))?
                .add_member(&NewMember {
                    organization_id: None,
                    email: email.clone(),
                    name,
                    role,
                    password,
                    actor_id,
                })
                .await
                .with_context(|| format!("cannot add member {email}"))?;
            println!("Added {} ({}) as {}.", member.email, member.id, member.role);
        }
        Command::SetRole {
            id,
            role,
            org,
            client,
        } => {
            let change = MemberChange {
                role: Some(role),
                ..MemberChange::default()
            };
            let member = client
                .client(Some(&org))?
                .update_member(&id, &change)
                .await
                .with_context(|| format!("cannot change the role of {id}"))?;
            println!("{} is now {}.", member.email, member.role);
        }
        Command::Deactivate { id, org, client } => {
            let change = MemberChange {
                active: Some(false),
                ..MemberChange::default()
            };
            let member = client
                .client(Some(&org))?
                .update_member(&id, &change)
                .await
                .with_context(|| format!("cannot deactivate {id}"))?;
            println!("Deactivated {} ({}).", member.email, member.id);
        }
    }
    Ok(())
}

pub async fn run_roles(cmd: RolesCommand) -> anyhow::Result<()> {
    let RolesCommand::List { json, org, client } = cmd;
    let roles = client
        .client(Some(&org))?
        .list_roles()
        .await
        .context("cannot list roles")?;
    print_list(json, &roles, |r| roles_table(r))?;
    Ok(())
}

fn members_table(members: &[Member]) -> Table {
    let mut table =
        Table::new(vec!["ID", "Email", "Name", "Role", "Actor id", "Status"]).keep_whole(0);
    for m in members {
        table.push(vec![
            m.id.clone(),
            m.email.clone(),
            m.name.clone(),
            m.role.clone(),
            m.actor_id.clone().unwrap_or_default(),
            if m.deactivated_at.is_some() {
                "deactivated"
            } else {
                "active"
            }
            .to_owned(),
        ]);
    }
    table
}

fn roles_table(roles: &[Role]) -> Table {
    let mut table = Table::new(vec!["ID", "Name", "Permissions"]).keep_whole(0);
    for r in roles {
        table.push(vec![r.id.clone(), r.name.clone(), r.permissions.join(",")]);
    }
    table
}

/// The new account's password: typed without echo at a terminal, else the first line of stdin.
fn read_password() -> anyhow::Result<String> {
    use std::io::IsTerminal as _;
    if std::io::stdin().is_terminal() {
        let term = console::Term::stderr();
        term.write_str("Password for the new account: ")?;
        return term
            .read_secure_line()
            .context("cannot read the password from the terminal");
    }
    let mut line = String::new();
    std::io::stdin()
        .lock()
        .read_line(&mut line)
        .context("cannot read the password from stdin")?;
    Ok(line.trim_end_matches(['\r', '\n']).to_owned())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn tables_show_status_and_permissions() {
        let member = Member {
            id: "usr_1".into(),
            organization_id: None,
            email: "a@x.io".into(),
            name: "A".into(),
            role: "admin".into(),
            actor_id: None,
            created_at: None,
            deactivated_at: Some(trail_core::Millis(1)),
        };
        let out = members_table(&[member]).render(None);
        assert!(
            out.contains("deactivated") && out.contains("usr_1"),
            "{out}"
        );
        let role = Role {
            id: "member".into(),
            name: "Member".into(),
            permissions: vec!["events:read_own".into()],
            built_in: true,
        };
        assert!(
            roles_table(&[role])
                .render(None)
                .contains("events:read_own")
        );
    }
}
