//! `consign export-openapi`: the API's OpenAPI document, as the server serves it.

use anyhow::Context;
use std::path::PathBuf;
use std::process::ExitCode;

#[derive(clap::Args)]
pub struct ExportArgs {
    #[arg(long)]
    out: Option<PathBuf>,
}

pub fn run(args: ExportArgs) -> anyhow::Result<ExitCode> {
    let doc = serde_json::to_string_pretty(&consign_web::openapi::spec())? + "\n";
    match args.out {
        Some(p) => std::fs::write(&p, doc).with_context(|| format!("writing {}", p.display()))?,
        None => print!("{doc}"),
    }
    Ok(ExitCode::SUCCESS)
}
