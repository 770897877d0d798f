//! The `bairro` command line: `serve`, `migrate`, and their settings (flags or environment).

use std::process::ExitCode;

use clap::builder::BoolishValueParser;
use clap::{ArgAction, Args, Parser, Subcommand};

use crate::config::{parse_qr_keys, DbArgs, Secret, Settings, MIN_SECRET_LEN};

#[derive(Parser, Debug)]
#[command(
    name = "bairro",
    version,
    about = "Bairro — district promotion campaigns: check-ins, e-coupons, redemption, settlement and statistics."
)]
pub struct Cli {
    #[command(subcommand)]
    pub command: Command,
}

// Parsed once at start-up: the size of the serve variant does not matter.
#[allow(clippy::large_enum_variant)]
#[derive(Subcommand, Debug)]
pub enum Command {
    /// Start the web server (API and web front end). Migrations run at start-up.
    Serve(ServeArgs),
    /// Apply database migrations and exit.
    Migrate(DbArgs),
    /// Staff logins at the command line (account rescue): create, disable, enable,
    /// reset-password, list.
    #[command(subcommand)]
    Staff(crate::staff_cli::StaffCommand),
    /// The money ledger: `bairro ledger verify` checks its hash chain.
    #[command(subcommand)]
    Ledger(LedgerCommand),
    /// Print the OpenAPI document (the same as GET /api/v1/openapi.json) and exit; needs no
    /// database and starts no server. The web app's API types are generated from it.
    Openapi,
}

#[derive(Subcommand, Debug)]
pub enum LedgerCommand {
    /// Recompute every row's hash: exit 0 when the chain holds, 1 naming the first bad row
    /// (2 when the database cannot be read).
    Verify(DbArgs),
}

#[derive(Args, Debug)]
pub struct ServeArgs {
    /// Load the demo campaigns, merchants and history into an empty database, and print the demo logins.
    #[arg(long, env = "BAIRRO_DEMO", value_parser = BoolishValueParser::new(), action = ArgAction::SetTrue)]
    pub demo: bool,
    /// How much demo history to load: `standard`, or `real` for the scale the bureau reported
    /// (1.43 million page views, about 700,000 coupons, 126 merchants; minutes to load).
    #[arg(
        long,
        env = "BAIRRO_DEMO_SCALE",
        value_enum,
        default_value = "standard"
    )]
    pub demo_scale: crate::config::DemoScale,
    /// Address to listen on.
    #[arg(long, env = "BAIRRO_BIND", default_value = "127.0.0.1:8080")]
    pub bind: String,
    #[command(flatten)]
    pub db: DbArgs,
    /// A PostgreSQL read replica of the database (postgres://…): statistics and exports read
    /// from it, so dashboards never compete with the tills; everything else uses the primary.
    #[arg(long, env = "BAIRRO_REPLICA_URL", hide_env_values = true)]
    pub replica_url: Option<String>,
    /// Secret that signs login tokens (at least 32 characters). Required unless --demo.
    #[arg(long, env = "BAIRRO_JWT_SECRET", hide_env_values = true)]
    pub jwt_secret: Option<String>,
    /// Earlier token secrets, comma-separated, still accepted during a rotation.
    #[arg(long, env = "BAIRRO_JWT_PREVIOUS_SECRETS", hide_env_values = true)]
    pub jwt_previous_secrets: Option<String>,
    /// QR signing keys as KID:SECRET,KID:SECRET (the first signs; all verify). Defaults to a key derived from the token secret.
    #[arg(long, env = "BAIRRO_QR_KEYS", hide_env_values = true)]
    pub qr_keys: Option<String>,
    /// Password of the first official account, 'admin', created in an empty database.
    #[arg(long, env = "BAIRRO_ADMIN_PASSWORD", hide_env_values = true)]
    pub admin_password: Option<String>,
    /// Database connections in the pool (default: 4 per core, at least 8).
    #[arg(long, env = "BAIRRO_POOL_SIZE")]
    pub pool_size: Option<u32>,
    /// HTTP worker threads (default: one per core).
    #[arg(long, env = "BAIRRO_WORKERS")]
    pub workers: Option<usize>,
    /// Turn the per-visitor and per-address rate limits off (benchmarks only).
    /// The environment takes 1/0, true/false, yes/no, on/off.
    #[arg(long, env = "BAIRRO_NO_RATE_LIMITS", value_parser = BoolishValueParser::new(), action = ArgAction::SetTrue)]
    pub no_rate_limits: bool,
    /// Proxies or load balancers whose X-Forwarded-For header is believed, as CIDR,CIDR,…
    /// (e.g. 10.0.0.0/8,127.0.0.1). Requests from anyone else use their own address.
    #[arg(long, env = "BAIRRO_TRUSTED_PROXIES")]
    pub trusted_proxies: Option<String>,
    /// Bearer token for GET /metrics (at least 16 characters). Without it (and without
    /// --metrics-bind) /metrics refuses every request.
    #[arg(long, env = "BAIRRO_METRICS_TOKEN", hide_env_values = true)]
    pub metrics_token: Option<String>,
    /// A separate, private address (e.g. 127.0.0.1:9090) serving only /metrics, no token needed.
    #[arg(long, env = "BAIRRO_METRICS_BIND")]
    pub metrics_bind: Option<String>,
    #[command(flatten)]
    pub verification: VerificationArgs,
}

/// Where visitors' verification codes are sent.
#[derive(Args, Debug, Clone)]
pub struct VerificationArgs {
    /// SMTP server for e-mailed codes: smtp://HOST:PORT (plain), smtp://USER:PASS@HOST:587?tls=required, or smtps://HOST.
    #[arg(long, env = "BAIRRO_SMTP_URL", hide_env_values = true)]
    pub smtp_url: Option<String>,
    /// Sender of the code e-mails.
    #[arg(
        long,
        env = "BAIRRO_SMTP_FROM",
        default_value = "Bairro <no-reply@bairro.invalid>"
    )]
    pub smtp_from: String,
    /// SMS gateway webhook for texted codes; receives a JSON POST {to, text}.
    #[arg(long, env = "BAIRRO_SMS_WEBHOOK", hide_env_values = true)]
    pub sms_webhook: Option<String>,
    /// Key of the keyed hash under which phone numbers and e-mails are stored (at least 32 characters). Defaults to one derived from the token secret; set it so a token-secret rotation keeps wallets found.
    #[arg(long, env = "BAIRRO_ADDRESS_KEY", hide_env_values = true)]
    pub address_key: Option<String>,
}

fn derive_qr_key(jwt: &str) -> Secret {
    derive_key(jwt, b"bairro qr payload key v1")
}

fn derive_key(jwt: &str, purpose: &[u8]) -> Secret {
    use hmac::{Hmac, Mac};
    let mut m = Hmac::<sha2::Sha256>::new_from_slice(jwt.as_bytes()).expect("any key");
    m.update(purpose);
    Secret::new(data_encoding::HEXLOWER.encode(&m.finalize().into_bytes()))
}

fn verification_settings(
    v: &VerificationArgs,
    jwt: &str,
) -> anyhow::Result<crate::config::Verification> {
    let address_key = match &v.address_key {
        Some(k) if k.len() >= MIN_SECRET_LEN => Secret::new(k.clone()),
        Some(_) => {
            anyhow::bail!("BAIRRO_ADDRESS_KEY must have at least {MIN_SECRET_LEN} characters")
        }
        None => derive_key(jwt, b"bairro address key v1"),
    };
    let nonempty = |o: &Option<String>| {
        o.as_ref()
            .map(|s| s.trim().to_string())
            .filter(|s| !s.is_empty())
    };
    let smtp_url = nonempty(&v.smtp_url);
    if let Some(u) = &smtp_url {
        crate::notify::check_smtp_url(u).map_err(anyhow::Error::msg)?;
    }
    let sms_webhook = nonempty(&v.sms_webhook);
    if let Some(u) = &sms_webhook {
        if !(u.starts_with("http://") || u.starts_with("https://")) {
            anyhow::bail!("BAIRRO_SMS_WEBHOOK must be an http:// or https:// URL");
        }
    }
    Ok(crate::config::Verification {
        smtp_url: smtp_url.map(Secret::new),
        smtp_from: v.smtp_from.clone(),
        sms_webhook: sms_webhook.map(Secret::new),
        address_key,
    })
}

pub fn settings(a: &ServeArgs) -> anyhow::Result<Settings> {
    let jwt = match (&a.jwt_secret, a.demo) {
        (Some(s), _) if s.len() >= MIN_SECRET_LEN => s.clone(),
        (Some(_), _) => anyhow::bail!("BAIRRO_JWT_SECRET must have at least {MIN_SECRET_LEN} characters"),
        (None, true) => {
            tracing::warn!("BAIRRO_JWT_SECRET is not set: using a random one for this demo run (tokens end with the process)");
            use rand::Rng;
            let bytes: [u8; 32] = rand::thread_rng().gen();
            data_encoding::HEXLOWER.encode(&bytes)
        }
        (None, false) => anyhow::bail!("BAIRRO_JWT_SECRET is required (at least {MIN_SECRET_LEN} characters); only `serve --demo` may run without it"),
    };
    let mut jwt_secrets = vec![Secret::new(jwt.clone())];
    for s in a
        .jwt_previous_secrets
        .iter()
        .flat_map(|s| s.split(','))
        .map(str::trim)
        .filter(|s| !s.is_empty())
    {
        jwt_secrets.push(Secret::new(s));
    }
    let qr_keys = match &a.qr_keys {
        Some(k) => parse_qr_keys(k).map_err(anyhow::Error::msg)?,
        None => vec![("A".to_string(), derive_qr_key(&jwt))],
    };
    let admin_password = a.admin_password.clone().map(Secret::new);
    Ok(Settings {
        bind: a.bind.clone(),
        database_url: a.db.database_url.clone(),
        replica_url: replica_url(&a.db.database_url, a.replica_url.as_deref())?,
        jwt_secrets,
        qr_keys,
        admin_password,
        demo: a.demo,
        demo_scale: a.demo_scale,
        staff_token_hours: 12,
        visitor_token_days: 180,
        pool_size: a.pool_size,
        rate_limits: !a.no_rate_limits,
        workers: a.workers,
        trusted_proxies: crate::http::client_addr::parse_trusted(
            a.trusted_proxies.as_deref().unwrap_or(""),
        )
        .map_err(|e| anyhow::anyhow!("BAIRRO_TRUSTED_PROXIES: {e}"))?,
        metrics_token: match &a.metrics_token {
            Some(t) if t.trim().len() < 16 => {
                anyhow::bail!("BAIRRO_METRICS_TOKEN must have at least 16 characters")
            }
            Some(t) => Some(Secret::new(t.trim())),
            None => None,
        },
        metrics_bind: a.metrics_bind.clone().filter(|b| !b.trim().is_empty()),
        verification: verification_settings(&a.verification, &jwt)?,
    })
}

/// The read replica: PostgreSQL only, and only beside a PostgreSQL primary.
fn replica_url(primary: &str, replica: Option<&str>) -> anyhow::Result<Option<String>> {
    use crate::db::{backend_of, Backend};
    let Some(r) = replica.map(str::trim).filter(|r| !r.is_empty()) else {
        return Ok(None);
    };
    if backend_of(primary).ok() != Some(Backend::Postgres)
        || backend_of(r).ok() != Some(Backend::Postgres)
    {
        anyhow::bail!(
            "--replica-url (BAIRRO_REPLICA_URL) needs PostgreSQL: a postgres://… replica of a postgres://… database"
        );
    }
    Ok(Some(r.to_string()))
}

pub fn init_tracing() {
    use tracing_subscriber::fmt::format::FmtSpan;
    use tracing_subscriber::{fmt, EnvFilter};
    let filter = EnvFilter::try_from_env("BAIRRO_LOG")
        .unwrap_or_else(|_| EnvFilter::new("info,actix_server=warn"));
    let json = std::env::var("BAIRRO_LOG_FORMAT")
        .map(|v| v == "json")
        .unwrap_or(false);
    // One line per request when its span closes: method, route, status and time taken
    // (`http::request_log`). Colours only on a terminal: a log file or journal gets none.
    let builder = fmt()
        .with_env_filter(filter)
        .with_ansi(std::io::IsTerminal::is_terminal(&std::io::stdout()))
        .with_span_events(FmtSpan::CLOSE);
    if json {
        let _ = builder.json().try_init();
    } else {
        let _ = builder.try_init();
    }
}

pub fn main() -> ExitCode {
    let cli = Cli::parse();
    init_tracing();
    let result = match cli.command {
        Command::Serve(a) => serve(a),
        Command::Migrate(a) => migrate(a),
        Command::Staff(c) => crate::staff_cli::run(c),
        Command::Ledger(LedgerCommand::Verify(a)) => return ledger_verify(a),
        Command::Openapi => print_openapi(),
    };
    match result {
        Ok(()) => ExitCode::SUCCESS,
        Err(e) => {
            eprintln!("bairro: {e:#}");
            ExitCode::FAILURE
        }
    }
}

fn print_openapi() -> anyhow::Result<()> {
    println!("{}", crate::http::openapi::document_json()?);
    Ok(())
}

fn migrate(a: DbArgs) -> anyhow::Result<()> {
    let (pool, _) = crate::db::connect(&a.database_url, Some(1))?;
    let mut conn = pool.get()?;
    let applied = crate::db::migrate(&mut conn)?;
    crate::db::pledges::ensure_reference_data(&mut conn).map_err(|e| anyhow::anyhow!("{e}"))?;
    println!(
        "{} migration(s) applied to {}",
        applied.len(),
        crate::db::redact_url(&a.database_url)
    );
    Ok(())
}

fn ledger_verify(a: DbArgs) -> ExitCode {
    let run = || -> anyhow::Result<crate::db::ledger::Verification> {
        let (pool, _) = crate::db::connect(&a.database_url, Some(1))?;
        let mut conn = pool.get()?;
        crate::db::ledger::verify(&mut conn).map_err(|e| anyhow::anyhow!("{e}"))
    };
    match run() {
        Ok(v) if v.ok => {
            println!("ledger OK: {} rows, chain holds", v.rows);
            ExitCode::SUCCESS
        }
        Ok(v) => {
            println!(
                "ledger BROKEN at row {}: {} ({} rows read)",
                v.first_bad_row.unwrap_or_default(),
                v.detail.unwrap_or_default(),
                v.rows
            );
            ExitCode::from(1)
        }
        Err(e) => {
            eprintln!("bairro: {e:#}");
            ExitCode::from(2)
        }
    }
}

fn serve(a: ServeArgs) -> anyhow::Result<()> {
    let s = settings(&a)?;
    let demo = s.demo;
    actix_web::rt::System::new().block_on(async move {
        let app = crate::app::Application::build(s.clone())?;
        tracing::info!(bind = %s.bind, port = app.port, database = %crate::db::redact_url(&s.database_url), "Bairro is listening");
        println!("Bairro is serving on http://{}", s.bind);
        if demo {
            println!("Demo logins: official 'official' / 'official-demo'; merchants 'merchant-1' … 'merchant-{}' / 'merchant-demo'", crate::demo::MERCHANTS);
        }
        app.run_until_stopped().await
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    fn no_limits(env_value: Option<&str>, flag: bool) -> Result<bool, clap::Error> {
        // The environment is read through clap's `env` lookup, so the test sets a variable of
        // its own name and maps it in with the same parser the real flag uses.
        match env_value {
            Some(v) => std::env::set_var("BAIRRO_TEST_BOOLISH", v),
            None => std::env::remove_var("BAIRRO_TEST_BOOLISH"),
        }
        let cmd = clap::Command::new("t").arg(
            clap::Arg::new("no_rate_limits")
                .long("no-rate-limits")
                .env("BAIRRO_TEST_BOOLISH")
                .value_parser(BoolishValueParser::new())
                .action(ArgAction::SetTrue),
        );
        let args: Vec<&str> = if flag {
            vec!["t", "--no-rate-limits"]
        } else {
            vec!["t"]
        };
        let m = cmd.try_get_matches_from(args)?;
        Ok(m.get_flag("no_rate_limits"))
    }

    #[test]
    fn environment_booleans() {
        for v in ["1", "true", "yes", "on", "TRUE", "Yes"] {
            assert!(no_limits(Some(v), false).unwrap(), "{v}");
        }
        for v in ["0", "false", "no", "off"] {
            assert!(!no_limits(Some(v), false).unwrap(), "{v}");
        }
        assert!(no_limits(Some("maybe"), false).is_err());
        assert!(!no_limits(None, false).unwrap());
        assert!(no_limits(None, true).unwrap());
        std::env::remove_var("BAIRRO_TEST_BOOLISH");
    }

    #[test]
    fn replica_only_on_postgres() {
        let pg = "postgres://bairro@primary/bairro";
        let rep = "postgres://bairro@replica/bairro";
        assert_eq!(replica_url(pg, None).unwrap(), None);
        assert_eq!(replica_url(pg, Some(" ")).unwrap(), None);
        assert_eq!(replica_url(pg, Some(rep)).unwrap().as_deref(), Some(rep));
        assert!(replica_url("sqlite://bairro.db", Some(rep)).is_err());
        assert!(replica_url(pg, Some("sqlite://copy.db")).is_err());
        assert!(replica_url(pg, Some("mysql://replica/bairro")).is_err());
    }
}
