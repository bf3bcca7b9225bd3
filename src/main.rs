//! The `posd` binary: parse arguments, set up logging, hand over to the library.

use std::path::PathBuf;
use std::process::ExitCode;

use clap::{Parser, Subcommand};

use posd::config::{Config, Overrides};

/// posd — the restaurant point-of-sale appliance daemon.
#[derive(Parser)]
#[command(version, about, long_about = None)]
struct Cli {
    /// Config file (TOML). Default /etc/posd/posd.toml; a missing default file is fine.
    #[arg(long, global = true, env = "POSD_CONFIG")]
    config: Option<PathBuf>,
    /// Data folder: a plain folder, no USB mount check (development, demo, admin commands).
    #[arg(long, global = true, env = "POSD_DATA_DIR")]
    data_dir: Option<PathBuf>,
    #[command(subcommand)]
    command: Command,
}

#[derive(Subcommand)]
enum Command {
    /// Run the daemon.
    Serve {
        /// Address to listen on, e.g. 0.0.0.0:80 (overrides `listen` in the config).
        #[arg(long)]
        listen: Option<String>,
        /// Seed the demo restaurant into an empty data folder and run it.
        #[arg(long)]
        demo: bool,
    },
    /// Seed the demo restaurant into an empty data folder (posd must be stopped).
    Demo,
    /// Manage staff accounts on a stopped data folder.
    #[command(subcommand)]
    User(UserCmd),
    /// Check the config file and print the values in force.
    CheckConfig,
    /// Signed license files: the sysadmin's keygen/sign/verify, and show/install on this
    /// appliance's stopped data folder.
    License {
        #[command(subcommand)]
        cmd: posd::license::cli::LicenseCmd,
    },
}

#[derive(Subcommand)]
enum UserCmd {
    /// Add a user: `posd user add NAME --role manager --pin 1234`.
    Add {
        name: String,
        #[arg(long, default_value = "waiter")]
        role: String,
        #[arg(long)]
        pin: String,
        #[arg(long)]
        display_name: Option<String>,
    },
    /// List users.
    List,
    /// Set a new PIN and unlock the account.
    ResetPin {
        name: String,
        #[arg(long)]
        pin: String,
    },
}

fn main() -> ExitCode {
    let cli = Cli::parse();
    posd::logging::init();
    // keygen, sign and verify run on the sysadmin's laptop: no appliance config needed.
    if let Command::License { cmd } = &cli.command
        && !matches!(
            cmd,
            posd::license::cli::LicenseCmd::Show | posd::license::cli::LicenseCmd::Install { .. }
        )
    {
        return finish(posd::cli::license(None, cmd.clone()));
    }
    let listen = match &cli.command {
        Command::Serve { listen, .. } => listen.clone(),
        _ => None,
    };
    let demo = matches!(
        cli.command,
        Command::Serve { demo: true, .. } | Command::Demo
    );
    let o = Overrides {
        data_dir: cli.data_dir.clone(),
        listen,
        demo,
    };
    let config = match Config::load(cli.config.as_deref(), &o) {
        Ok(c) => c,
        Err(e) => {
            eprintln!("posd: {e}");
            return ExitCode::from(2);
        }
    };
    let result = match cli.command {
        Command::Serve { .. } => posd::cli::serve(config),
        Command::Demo => posd::cli::demo(config),
        Command::User(UserCmd::Add {
            name,
            role,
            pin,
            display_name,
        }) => posd::cli::user_add(config, &name, &role, &pin, display_name),
        Command::User(UserCmd::List) => posd::cli::user_list(config),
        Command::User(UserCmd::ResetPin { name, pin }) => {
            posd::cli::user_reset_pin(config, &name, &pin)
        }
        Command::CheckConfig => {
            println!("{config:#?}");
            Ok(())
        }
        Command::License { cmd } => posd::cli::license(Some(config), cmd),
    };
    finish(result)
}

fn finish(result: posd::cli::CliResult) -> ExitCode {
    match result {
        Ok(()) => ExitCode::SUCCESS,
        Err(e) => {
            eprintln!("posd: {e}");
            ExitCode::FAILURE
        }
    }
}
