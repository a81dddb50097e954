//! `okienko proxy`: a small round-robin TCP proxy in front of several instances on one
//! machine, standing in for the load balancer of a real installation when several instances
//! are tried or measured together (`tools/two-instances.sh`). Each new connection goes to the
//! next instance in turn; one that does not accept connections is skipped, as a load
//! balancer's health check would take it out. It passes bytes through (no `X-Forwarded-For`),
//! so it is for trying and measuring, not for production, where a real load balancer (HAProxy,
//! nginx) stands.
//! Written here rather than taken as a package: the machine's registries carry no TCP proxy
//! that runs without configuration files, and this is forty lines of tokio.

use clap::Args;
use std::sync::atomic::{AtomicUsize, Ordering};
use std::sync::Arc;
use std::time::Duration;

#[derive(Args, Debug, Clone)]
pub struct ProxyArgs {
    /// Where to listen, e.g. 127.0.0.1:8080.
    #[arg(long, default_value = "127.0.0.1:8080")]
    pub listen: String,
    /// The instances, comma-separated (host:port or http://host:port).
    #[arg(long, value_delimiter = ',', required = true)]
    pub to: Vec<String>,
}

pub async fn run_proxy(args: ProxyArgs) -> anyhow::Result<()> {
    let backends: Arc<Vec<String>> = Arc::new(
        args.to
            .iter()
            .map(|t| {
                t.trim_start_matches("http://")
                    .trim_end_matches('/')
                    .to_string()
            })
            .filter(|t| !t.is_empty())
            .collect(),
    );
    anyhow::ensure!(!backends.is_empty(), "--to names no instance");
    let listener = tokio::net::TcpListener::bind(&args.listen).await?;
    println!(
        "proxy on http://{} to {}",
        listener.local_addr()?,
        backends.join(", ")
    );
    let next = Arc::new(AtomicUsize::new(0));
    loop {
        let mut client = match listener.accept().await {
            Ok((c, _)) => c,
            Err(e) => {
                // Out of file descriptors, say: wait, do not stop.
                tracing::warn!(error = %e, "accepting a connection");
                tokio::time::sleep(Duration::from_millis(50)).await;
                continue;
            }
        };
        let (backends, next) = (backends.clone(), next.clone());
        tokio::spawn(async move {
            let _ = client.set_nodelay(true);
            let first = next.fetch_add(1, Ordering::Relaxed);
            for i in 0..backends.len() {
                let to = &backends[(first + i) % backends.len()];
                if let Ok(mut up) = tokio::net::TcpStream::connect(to.as_str()).await {
                    let _ = up.set_nodelay(true);
                    let _ = tokio::io::copy_bidirectional(&mut client, &mut up).await;
                    return;
                }
            }
        });
    }
}
