//! Configuration: defaults < TOML file (`--config`) < `OKIENKO_*` environment < flags.
//! Secrets can come from files: `OKIENKO_DATABASE_URL_FILE`, `OKIENKO_SMTP_URL_FILE`.

use clap::Args;
use serde::Deserialize;
use std::path::PathBuf;

/// Flags shared by `serve`, `demo` and the maintenance commands. clap reads each from its
/// flag or else from its `OKIENKO_*` variable.
#[derive(Args, Debug, Clone, Default)]
pub struct Flags {
    /// Data folder (SQLite database, blobs, outbox).
    #[arg(long, env = "OKIENKO_DATA")]
    pub data: Option<PathBuf>,
    /// Address to listen on.
    #[arg(long, env = "OKIENKO_LISTEN")]
    pub listen: Option<String>,
    /// sqlite://PATH or postgres://… (default: SQLite in the data folder).
    #[arg(long, env = "OKIENKO_DATABASE_URL")]
    pub database_url: Option<String>,
    /// A folder, file://DIR or s3://BUCKET (default: blobs/ in the data folder).
    #[arg(long, env = "OKIENKO_BLOB_URL")]
    pub blob_url: Option<String>,
    /// A TOML file with any of these settings.
    #[arg(long, env = "OKIENKO_CONFIG")]
    pub config: Option<PathBuf>,
    /// smtp://host:port; without it emails are written to the outbox folder.
    #[arg(long, env = "OKIENKO_SMTP_URL")]
    pub smtp_url: Option<String>,
    /// Sender address of emails.
    #[arg(long, env = "OKIENKO_MAIL_FROM")]
    pub mail_from: Option<String>,
    /// Public base URL for links in emails (default: http://LISTEN).
    #[arg(long, env = "OKIENKO_BASE_URL")]
    pub base_url: Option<String>,
    /// A file holding the master key (64 hex characters) that seals private keys at rest.
    /// Default: `master.key` in the data folder, created on first start.
    #[arg(long, env = "OKIENKO_MASTER_KEY_FILE")]
    pub master_key_file: Option<PathBuf>,
    /// The installation's name, used in its certificates.
    #[arg(long, env = "OKIENKO_NAME")]
    pub name: Option<String>,
    /// A folder of the installation's own accessibility statement, privacy notice and
    /// contact page: `accessibility.pl.txt`, `privacy.en.txt`, `contact.sr-Cyrl.txt`, …
    /// (default: pages/ in the data folder; without a file, okienko's own text).
    #[arg(long, env = "OKIENKO_PAGES_DIR")]
    pub pages_dir: Option<PathBuf>,
    /// An external RFC 3161 TSA for signature time stamps (default: the built-in one).
    #[arg(long, env = "OKIENKO_TSA_URL")]
    pub tsa_url: Option<String>,
    /// The time-stamping policy OID the built-in TSA certifies under (default: a test arc).
    #[arg(long, env = "OKIENKO_TSA_POLICY")]
    pub tsa_policy: Option<String>,
    /// The country served, `pl` or `rs` (default pl): dates and times are shown in its
    /// civil time (Europe/Warsaw or Europe/Belgrade).
    #[arg(long, env = "OKIENKO_COUNTRY")]
    pub country: Option<String>,
    /// Whether every official of an office reads and sends from the office's mailbox by
    /// their role (default true); false: only the members the office admin adds.
    #[arg(long, env = "OKIENKO_OFFICIALS_SHARE_OFFICE_MAILBOX")]
    pub officials_share_office_mailbox: Option<bool>,
    /// Recipients of one e-delivery message (default 15).
    #[arg(long, env = "OKIENKO_MAX_RECIPIENTS")]
    pub max_recipients: Option<usize>,
    /// Recipients of one message in a public body's bulk mode (default 1000).
    #[arg(long, env = "OKIENKO_BULK_RECIPIENTS")]
    pub bulk_recipients: Option<usize>,
    /// Attachments of one message, in MB (default 50, at most 200).
    #[arg(long, env = "OKIENKO_MAX_MESSAGE_MB")]
    pub max_message_mb: Option<usize>,
    /// Allowed attachment kinds, comma-separated (default: pdf,xml,xades,p7s,docx,odt,txt,rtf,jpg,png,tiff,zip).
    #[arg(long, env = "OKIENKO_ATTACHMENT_TYPES")]
    pub attachment_types: Option<String>,
    /// Reverse proxies (addresses or CIDRs, comma-separated) whose X-Forwarded-For is believed.
    #[arg(long, env = "OKIENKO_TRUSTED_PROXIES")]
    pub trusted_proxies: Option<String>,
    /// Who may read /metrics without a token (addresses or CIDRs; default 127.0.0.1,::1).
    #[arg(long, env = "OKIENKO_METRICS_ALLOW")]
    pub metrics_allow: Option<String>,
    /// The case map's tile server, a URL with {z}, {x} and {y} (e.g.
    /// https://tile.openstreetmap.org/{z}/{x}/{y}.png); without it the map page lists places only.
    #[arg(long, env = "OKIENKO_MAP_TILES")]
    pub map_tiles: Option<String>,
    /// The attribution the tile server asks for (e.g. "© OpenStreetMap contributors").
    #[arg(long, env = "OKIENKO_MAP_ATTRIBUTION")]
    pub map_attribution: Option<String>,
}

/// The TOML file's shape: the same names as the flags, with underscores.
#[derive(Deserialize, Debug, Default)]
#[serde(deny_unknown_fields)]
struct FileConfig {
    data: Option<PathBuf>,
    listen: Option<String>,
    database_url: Option<String>,
    blob_url: Option<String>,
    smtp_url: Option<String>,
    mail_from: Option<String>,
    base_url: Option<String>,
    master_key_file: Option<PathBuf>,
    name: Option<String>,
    pages_dir: Option<PathBuf>,
    tsa_url: Option<String>,
    tsa_policy: Option<String>,
    country: Option<String>,
    officials_share_office_mailbox: Option<bool>,
    max_recipients: Option<usize>,
    bulk_recipients: Option<usize>,
    max_message_mb: Option<usize>,
    attachment_types: Option<String>,
    trusted_proxies: Option<String>,
    metrics_allow: Option<String>,
    map_tiles: Option<String>,
    map_attribution: Option<String>,
}

/// Resolved settings.
#[derive(Debug, Clone)]
pub struct Settings {
    pub data: PathBuf,
    pub listen: String,
    pub database_url: Option<String>,
    pub blob_url: Option<String>,
    pub smtp_url: Option<String>,
    pub mail_from: Option<String>,
    pub base_url: Option<String>,
    /// The master key itself (`OKIENKO_MASTER_KEY`), or where to read it.
    pub master_key: Option<String>,
    pub master_key_file: Option<PathBuf>,
    pub name: String,
    /// The installation's own about pages (see [`okienko_web::ui::about`]).
    pub pages_dir: PathBuf,
    /// An external RFC 3161 TSA for signature time stamps (default: the built-in one).
    pub tsa_url: Option<String>,
    /// The built-in TSA's policy OID.
    pub tsa_policy: Option<String>,
    /// What one e-delivery message may carry.
    pub limits: okienko_services::delivery::Limits,
    /// The country served.
    pub country: okienko_domain::country::Country,
    /// Officials use their office's mailbox by their role, not only by membership.
    pub officials_share_office_mailbox: bool,
    /// The program whose `render-worker` command renders documents from outside (default:
    /// this one).
    pub worker_exe: PathBuf,
    /// Trusted proxies, who may read /metrics, and its token (`OKIENKO_METRICS_TOKEN`).
    pub net: okienko_web::net::NetConfig,
    /// The case map's tile server.
    pub map: okienko_web::ui::places::MapConfig,
}

/// A list of networks from the flag, else the file, else the default.
fn nets(
    what: &str,
    flag: Option<&str>,
    file: Option<&str>,
    default: &str,
) -> anyhow::Result<Vec<okienko_web::net::Net>> {
    okienko_web::net::Net::parse_list(flag.or(file).unwrap_or(default))
        .map_err(|e| anyhow::anyhow!("{what}: {e}"))
}

fn secret_file(var: &str) -> anyhow::Result<Option<String>> {
    match std::env::var_os(var) {
        Some(path) => {
            let text = std::fs::read_to_string(&path)
                .map_err(|e| anyhow::anyhow!("reading {var} ({path:?}): {e}"))?;
            Ok(Some(text.trim().to_string()))
        }
        None => Ok(None),
    }
}

impl Settings {
    pub fn resolve(flags: &Flags) -> anyhow::Result<Settings> {
        let file: FileConfig = match &flags.config {
            Some(p) => {
                let text = std::fs::read_to_string(p)
                    .map_err(|e| anyhow::anyhow!("reading config {}: {e}", p.display()))?;
                toml::from_str(&text).map_err(|e| anyhow::anyhow!("config {}: {e}", p.display()))?
            }
            None => FileConfig::default(),
        };
        let database_url = match flags.database_url.clone() {
            Some(u) => Some(u),
            None => secret_file("OKIENKO_DATABASE_URL_FILE")?.or(file.database_url),
        };
        let smtp_url = match flags.smtp_url.clone() {
            Some(u) => Some(u),
            None => secret_file("OKIENKO_SMTP_URL_FILE")?.or(file.smtp_url),
        };
        let data = flags
            .data
            .clone()
            .or(file.data)
            .unwrap_or_else(|| PathBuf::from("./okienko-data"));
        Ok(Settings {
            pages_dir: flags
                .pages_dir
                .clone()
                .or(file.pages_dir)
                .unwrap_or_else(|| data.join("pages")),
            data,
            listen: flags
                .listen
                .clone()
                .or(file.listen)
                .unwrap_or_else(|| "127.0.0.1:8080".into()),
            database_url,
            blob_url: flags.blob_url.clone().or(file.blob_url),
            smtp_url,
            mail_from: flags.mail_from.clone().or(file.mail_from),
            base_url: flags.base_url.clone().or(file.base_url),
            master_key: std::env::var("OKIENKO_MASTER_KEY").ok(),
            master_key_file: flags.master_key_file.clone().or(file.master_key_file),
            tsa_url: flags.tsa_url.clone().or(file.tsa_url),
            tsa_policy: flags.tsa_policy.clone().or(file.tsa_policy),
            country: match flags.country.clone().or(file.country) {
                None => okienko_domain::country::Country::default(),
                Some(c) => okienko_domain::country::Country::parse(&c)
                    .ok_or_else(|| anyhow::anyhow!("country: {c:?} is neither pl nor rs"))?,
            },
            officials_share_office_mailbox: flags
                .officials_share_office_mailbox
                .or(file.officials_share_office_mailbox)
                .unwrap_or(true),
            limits: okienko_services::delivery::Limits::configured(
                flags.max_recipients.or(file.max_recipients),
                flags.bulk_recipients.or(file.bulk_recipients),
                flags.max_message_mb.or(file.max_message_mb),
                flags
                    .attachment_types
                    .as_deref()
                    .or(file.attachment_types.as_deref()),
            )
            .map_err(|e| anyhow::anyhow!("{e}"))?,
            name: flags
                .name
                .clone()
                .or(file.name)
                .unwrap_or_else(|| "okienko".into()),
            map: okienko_web::ui::places::MapConfig::new(
                flags.map_tiles.as_deref().or(file.map_tiles.as_deref()),
                flags
                    .map_attribution
                    .as_deref()
                    .or(file.map_attribution.as_deref()),
            )
            .map_err(|e| anyhow::anyhow!("{e}"))?,
            worker_exe: std::env::current_exe().unwrap_or_else(|_| PathBuf::from("okienko")),
            net: okienko_web::net::NetConfig {
                trusted_proxies: nets(
                    "trusted proxies",
                    flags.trusted_proxies.as_deref(),
                    file.trusted_proxies.as_deref(),
                    "",
                )?,
                metrics_allow: nets(
                    "metrics networks",
                    flags.metrics_allow.as_deref(),
                    file.metrics_allow.as_deref(),
                    "127.0.0.1,::1",
                )?,
                metrics_token: std::env::var("OKIENKO_METRICS_TOKEN")
                    .ok()
                    .or(secret_file("OKIENKO_METRICS_TOKEN_FILE")?)
                    .filter(|t| !t.trim().is_empty()),
            },
        })
    }

    pub fn database_url(&self) -> String {
        self.database_url.clone().unwrap_or_else(|| {
            format!(
                "sqlite://{}?mode=rwc",
                self.data.join("okienko.db").display()
            )
        })
    }

    pub fn blob_url(&self) -> String {
        self.blob_url
            .clone()
            .unwrap_or_else(|| self.data.join("blobs").display().to_string())
    }

    /// The master key: from `OKIENKO_MASTER_KEY`, from the key file, or created in the data
    /// folder on first start (readable by the owner only).
    pub fn master_key(&self) -> anyhow::Result<String> {
        if let Some(k) = &self.master_key {
            return Ok(k.trim().to_string());
        }
        let path = self
            .master_key_file
            .clone()
            .unwrap_or_else(|| self.data.join("master.key"));
        if let Ok(k) = std::fs::read_to_string(&path) {
            return Ok(k.trim().to_string());
        }
        if self.master_key_file.is_some() {
            anyhow::bail!("cannot read the master key file {}", path.display());
        }
        std::fs::create_dir_all(&self.data)?;
        let k = okienko_trust::keystore::MasterKey::generate_hex();
        write_private(&path, &k)?;
        tracing::warn!(file = %path.display(), "created a new master key; back it up: without it the keys cannot be opened");
        Ok(k)
    }

    pub fn base_url(&self) -> String {
        self.base_url
            .clone()
            .unwrap_or_else(|| format!("http://{}", self.listen))
            .trim_end_matches('/')
            .to_string()
    }
}

fn write_private(path: &std::path::Path, text: &str) -> anyhow::Result<()> {
    use std::io::Write;
    let mut o = std::fs::OpenOptions::new();
    o.write(true).create_new(true);
    #[cfg(unix)]
    {
        use std::os::unix::fs::OpenOptionsExt;
        o.mode(0o600);
    }
    let mut f = o.open(path)?;
    f.write_all(text.as_bytes())?;
    f.sync_all()?;
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn precedence_file_then_flags() {
        let dir = std::env::temp_dir().join(format!("okienko-cfg-{}", std::process::id()));
        std::fs::create_dir_all(&dir).expect("dir");
        let f = dir.join("c.toml");
        std::fs::write(&f, "listen = \"0.0.0.0:9000\"\ndata = \"/srv/ok\"\n").expect("write");
        let flags = Flags {
            config: Some(f.clone()),
            listen: Some("127.0.0.1:1".into()),
            ..Flags::default()
        };
        let s = Settings::resolve(&flags).expect("resolve");
        assert_eq!(s.listen, "127.0.0.1:1");
        assert_eq!(s.data, PathBuf::from("/srv/ok"));
        assert!(s.database_url().starts_with("sqlite:///srv/ok/okienko.db"));
        std::fs::write(&f, "lisen = 1\n").expect("write");
        assert!(Settings::resolve(&Flags {
            config: Some(f),
            ..Flags::default()
        })
        .is_err());
    }
}
