use clap::{Parser, Subcommand};
use okienko::config::{Flags, Settings};
use std::process::ExitCode;

/// mimalloc instead of the system allocator: a message's request allocates and frees buffers
/// of ~100 KB many times a second on every core, and glibc's malloc spent a tenth of the
/// server's CPU on it (`perf` on `bench-delivery`). The render worker, whose address space
/// is limited, is started with a small arena reservation (`services::sandbox`).
#[global_allocator]
static ALLOCATOR: mimalloc::MiMalloc = mimalloc::MiMalloc;

#[derive(Parser)]
#[command(
    name = "okienko",
    version,
    about = "Digital public services: e-services, e-delivery, counters"
)]
struct Cli {
    #[command(subcommand)]
    cmd: Cmd,
}

#[derive(Subcommand)]
enum Cmd {
    /// Run the server.
    Serve(Flags),
    /// Seed the demo installation (idempotent), print its accounts, then serve.
    Demo(Flags),
    /// Apply database migrations and exit.
    Migrate(Flags),
    /// Audit trail tools.
    Audit {
        #[command(subcommand)]
        cmd: AuditCmd,
    },
    /// Verify a CMS signature (detached over FILE, or enveloping); exit 0 valid, 1 invalid,
    /// 2 usage or IO error.
    Verify(VerifyArgs),
    /// Evidence log tools.
    Log {
        #[command(subcommand)]
        cmd: LogCmd,
    },
    /// Blob store tools.
    Blobs {
        #[command(subcommand)]
        cmd: BlobsCmd,
    },
    /// Measure sign-ins per hour and authenticated page latency against a child server.
    Bench(okienko::bench::BenchArgs),
    /// Measure signed-and-logged evidence per second and time stamps per second.
    BenchTrust(okienko::bench::TrustBenchArgs),
    /// Measure e-delivery: accepted messages per second, latency at 1,000 msg/s, listing.
    BenchDelivery(okienko::bench::DeliveryBenchArgs),
    /// E-services from outside: catalogue search with 10,000 services, a form step, submissions per second with their UPP.
    BenchForms(okienko::bench::FormsBenchArgs),
    /// Case management from outside: cases opened per second, a department's list by deadline with a million cases.
    BenchCases(okienko::bench::CasesBenchArgs),
    /// Appointments from outside: bookings per second over a spread of slots (never overbooked), the month's free-slot page.
    BenchAppointments(okienko::bench::AppointmentsBenchArgs),
    /// A small round-robin TCP proxy in front of several instances, for trying and measuring
    /// them on one machine (not a production load balancer).
    Proxy(okienko::bench::ProxyArgs),
    /// Feed generated hostile documents to the document entry points (pdf, image, verify).
    FuzzDocuments(okienko::fuzz::FuzzArgs),
}

#[derive(clap::Args)]
struct VerifyArgs {
    /// The signed file (for an enveloping signature: the document it should contain).
    file: std::path::PathBuf,
    /// The signature (.p7s / .p7m, DER).
    #[arg(long)]
    signature: std::path::PathBuf,
    /// Trust anchors (PEM). Default: the installation's root from --data / --database-url.
    #[arg(long)]
    ca: Option<std::path::PathBuf>,
    #[command(flatten)]
    flags: Flags,
}

#[derive(Subcommand)]
enum LogCmd {
    /// Recompute the evidence log and check every signed tree head; exit 1 if broken.
    Verify(Flags),
}

#[derive(Subcommand)]
enum BlobsCmd {
    /// Read every pack file and check every packed blob the database points at: there, whole,
    /// and matching its SHA-256; exit 1 if any is not.
    Verify(Flags),
}

#[derive(Subcommand)]
enum AuditCmd {
    /// Check the audit hash chain; exit 1 and name the first bad row if broken.
    Verify(Flags),
}

fn main() -> ExitCode {
    // The document worker starts bare (no runtime, no threads, no logging) and limits itself
    // before it reads anything: see okienko_services::sandbox.
    let args: Vec<String> = std::env::args().collect();
    if args.get(1).map(String::as_str) == Some("render-worker") {
        let code = okienko_services::sandbox::worker_main(&args[2..]);
        return ExitCode::from(code.clamp(0, 255) as u8);
    }
    tracing_subscriber::fmt()
        .with_env_filter(
            tracing_subscriber::EnvFilter::try_from_default_env()
                .unwrap_or_else(|_| tracing_subscriber::EnvFilter::new("info,sqlx=warn")),
        )
        .with_writer(std::io::stderr)
        .init();
    let cli = Cli::parse();
    let rt = match tokio::runtime::Builder::new_multi_thread()
        .enable_all()
        .build()
    {
        Ok(rt) => rt,
        Err(e) => {
            eprintln!("error: {e}");
            return ExitCode::from(2);
        }
    };
    match rt.block_on(run(cli)) {
        Ok(code) => code,
        Err(e) => {
            eprintln!("error: {e:#}");
            ExitCode::from(2)
        }
    }
}

async fn run(cli: Cli) -> anyhow::Result<ExitCode> {
    match cli.cmd {
        Cmd::Serve(flags) => {
            let s = Settings::resolve(&flags)?;
            let r = okienko::serve(&s).await?;
            tracing::info!(addr = %r.addr, "okienko serving");
            r.task.await?;
        }
        Cmd::Demo(flags) => {
            let s = Settings::resolve(&flags)?;
            let services =
                okienko::services(&s, std::sync::Arc::new(okienko_services::SystemClock)).await?;
            okienko_services::demo::seed(&services)
                .await
                .map_err(|e| anyhow::anyhow!("seeding: {e}"))?;
            let r = okienko::start(&s, services).await?;
            okienko_services::demo::showcase(&r.services)
                .await
                .map_err(|e| anyhow::anyhow!("seeding the showcase: {e}"))?;
            println!(
                "{}",
                okienko::demo_accounts_text(&format!("http://{}", r.addr))
            );
            r.task.await?;
        }
        Cmd::Migrate(flags) => {
            let s = Settings::resolve(&flags)?;
            let store = okienko_store::open(&s.database_url()).await?;
            let applied = okienko_store::Store::migrate(&store).await?;
            println!("applied migrations: {applied:?}");
        }
        Cmd::Audit {
            cmd: AuditCmd::Verify(flags),
        } => {
            let s = Settings::resolve(&flags)?;
            let store = okienko_store::open(&s.database_url()).await?;
            return Ok(
                match okienko_services::tracker::verify_audit(&store).await? {
                    Ok(n) => {
                        println!("audit trail intact: {n} entries");
                        ExitCode::SUCCESS
                    }
                    Err(b) => {
                        println!("audit trail BROKEN: {b}");
                        ExitCode::from(1)
                    }
                },
            );
        }
        Cmd::Verify(args) => {
            return okienko::cli::verify(
                &args.file,
                &args.signature,
                args.ca.as_deref(),
                &args.flags,
            )
            .await
        }
        Cmd::Log {
            cmd: LogCmd::Verify(flags),
        } => return okienko::cli::log_verify(&flags).await,
        Cmd::Blobs {
            cmd: BlobsCmd::Verify(flags),
        } => return okienko::cli::blobs_verify(&flags).await,
        Cmd::Bench(args) => okienko::bench::run(args).await?,
        Cmd::BenchTrust(args) => okienko::bench::run_trust(args).await?,
        Cmd::BenchDelivery(args) => okienko::bench::run_delivery(args).await?,
        Cmd::BenchForms(args) => okienko::bench::run_forms(args).await?,
        Cmd::BenchCases(args) => okienko::bench::run_cases(args).await?,
        Cmd::BenchAppointments(args) => okienko::bench::run_appointments(args).await?,
        Cmd::Proxy(args) => okienko::bench::run_proxy(args).await?,
        Cmd::FuzzDocuments(args) => okienko::fuzz::run(args).await?,
    }
    Ok(ExitCode::SUCCESS)
}
