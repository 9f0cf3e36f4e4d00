//! `consign user …`: people who sign in.

use crate::common::{explain, open_app, parse_role};
use crate::config::Config;
use clap::Subcommand;
use consign_app::admin::NewUser;
use consign_core::access::Principal;
use std::process::ExitCode;

#[derive(Subcommand)]
pub enum UserCmd {
    /// Add a user; prints a generated password unless --password is given.
    #[command(
        after_help = "Example:\n  consign user add ana@example.com --name \"Ana Ruiz\" --role agent --tenant northwind --tenant acme-industrial"
    )]
    Add(UserArgs),
}

/// `consign user add`'s arguments: the user as `NewUser` takes them.
#[derive(clap::Args)]
pub struct UserArgs {
    email: String,
    #[arg(long)]
    name: String,
    /// admin, supervisor, agent, client_manager, client_viewer, carrier, warehouse
    #[arg(long)]
    role: String,
    /// Granted (provider staff) or own (client, carrier, warehouse) tenant; repeatable.
    #[arg(long = "tenant")]
    tenants: Vec<String>,
    /// Carrier users: SCAC or name of their carrier.
    #[arg(long)]
    carrier: Option<String>,
    #[arg(long, env = "CONSIGN_NEW_PASSWORD", hide_env_values = true)]
    password: Option<String>,
}

impl UserArgs {
    /// The user to create, its role parsed.
    fn into_new(self) -> anyhow::Result<NewUser> {
        Ok(NewUser {
            role: parse_role(&self.role)?,
            email: self.email,
            name: self.name,
            tenants: self.tenants,
            carrier: self.carrier,
            password: self.password,
        })
    }
}

pub async fn run(cmd: UserCmd, cfg: &Config) -> anyhow::Result<ExitCode> {
    let UserCmd::Add(args) = cmd;
    let user = args.into_new()?;
    let app = open_app(cfg).await?;
    let (u, generated) = app
        .create_user(&Principal::system(), user)
        .await
        .map_err(explain)?;
    println!("user {} ({}) created", u.email, u.role);
    if let Some(pw) = generated {
        println!("password: {pw}");
        println!("(shown once; store it in your password manager)");
    }
    Ok(ExitCode::SUCCESS)
}
