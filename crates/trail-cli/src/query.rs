//! `trail query` (being written).

#[derive(Debug, clap::Args)]
pub struct Args {}

pub async fn run(args: Args) -> anyhow::Result<()> {
    let _ = args;
    anyhow::bail!("not yet implemented")
}
