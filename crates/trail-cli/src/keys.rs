//! `trail keys` (being written).

#[derive(Debug, clap::Subcommand)]
pub enum Command {
    /// (being written)
    List,
}

pub async fn run(cmd: Command) -> anyhow::Result<()> {
    let _ = cmd;
    anyhow::bail!("not yet implemented")
}
