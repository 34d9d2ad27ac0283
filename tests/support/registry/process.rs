//! The registry process: config, spawn, readiness, stop/restart, cleanup.

use std::fs::{File, OpenOptions};
use std::io::Write as _;
use std::net::TcpListener;
use std::path::{Path, PathBuf};
use std::process::{Child, Command, Stdio};
use std::time::{Duration, Instant};

use super::client::Client;
use super::config::{htpasswd_line, render, AuthSection, ID_HEADER};
use super::digest::sha256_hex;
use super::response::{HarnessError, HarnessResult};
use super::token::{TokenServer, TokenServerConfig};

/// Where the Debian package puts the binary; `LAYERLENS_TEST_REGISTRY_BIN` overrides it.
const DEFAULT_BINARY: &str = "/usr/bin/docker-registry";
/// How long a registry may take to answer its first `GET /v2/`.
const READY_TIMEOUT: Duration = Duration::from_secs(30);
/// Fresh ports tried when the chosen one turns out to be taken.
const PORT_ATTEMPTS: usize = 5;

/// Which authentication the registry demands.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Flavor {
    /// No authentication.
    Open,
    /// htpasswd (bcrypt) basic authentication, realm `layerlens-test`.
    Basic {
        /// The only user.
        user: String,
        /// Its password.
        password: String,
    },
    /// Token authentication through the harness's [`TokenServer`], where this user has every
    /// right and anonymous callers may pull `public/*`.
    Token {
        /// The only user.
        user: String,
        /// Its password.
        password: String,
    },
}

impl Flavor {
    /// `Flavor::Basic` from string slices.
    pub fn basic(user: &str, password: &str) -> Flavor {
        Flavor::Basic {
            user: user.to_string(),
            password: password.to_string(),
        }
    }

    /// `Flavor::Token` from string slices.
    pub fn token(user: &str, password: &str) -> Flavor {
        Flavor::Token {
            user: user.to_string(),
            password: password.to_string(),
        }
    }

    /// The flavour's user and password, if it has any.
    pub fn credentials(&self) -> Option<(&str, &str)> {
        match self {
            Flavor::Open => None,
            Flavor::Basic { user, password } | Flavor::Token { user, password } => {
                Some((user, password))
            }
        }
    }
}

/// A running process and the watchdog that kills it if this test process dies first.
struct Running {
    child: Child,
    watchdog: Option<Child>,
}

/// One CNCF distribution registry on `127.0.0.1`, with its own temp dir; killed (and the dir
/// removed) on drop. Do not keep one in a `static`: statics are never dropped (the watchdog
/// still kills the process when the test binary exits, but the temp dir stays).
pub struct Registry {
    flavor: Flavor,
    dir: tempfile::TempDir,
    port: u16,
    id: String,
    token_server: Option<TokenServer>,
    running: Option<Running>,
}

impl Registry {
    /// Starts a registry of `flavor`; panics with the registry's log if it cannot.
    pub fn start(flavor: Flavor) -> Registry {
        Registry::try_start(flavor).unwrap_or_else(|e| panic!("{e}"))
    }

    /// Starts a registry of `flavor`: writes the config (and htpasswd file or token
    /// certificate), spawns the binary on a free port, and waits until `GET /v2/` answers.
    pub fn try_start(flavor: Flavor) -> HarnessResult<Registry> {
        let dir = tempfile::Builder::new()
            .prefix("layerlens-registry-")
            .tempdir()
            .map_err(|e| HarnessError(format!("temp dir: {e}")))?;
        let id = dir
            .path()
            .file_name()
            .and_then(|n| n.to_str())
            .unwrap_or("registry")
            .to_string();
        std::fs::create_dir(dir.path().join("storage"))
            .map_err(|e| HarnessError(format!("storage dir: {e}")))?;
        let token_server = match &flavor {
            Flavor::Open => None,
            Flavor::Basic { user, password } => {
                write(&dir.path().join("htpasswd"), &htpasswd_line(user, password))?;
                None
            }
            Flavor::Token { user, password } => {
                let server = TokenServer::start(TokenServerConfig::new(user, password));
                write(&dir.path().join("token-root.pem"), server.root_cert_pem())?;
                Some(server)
            }
        };
        let mut registry = Registry {
            flavor,
            dir,
            port: 0,
            id,
            token_server,
            running: None,
        };
        let mut last_error = None;
        for _ in 0..PORT_ATTEMPTS {
            registry.port = free_port()?;
            match registry.launch() {
                Ok(()) => return Ok(registry),
                Err(Launch::PortTaken(e)) => last_error = Some(e),
                Err(Launch::Failed(e)) => return Err(e),
            }
        }
        Err(last_error.unwrap_or_else(|| HarnessError("no port attempt made".into())))
    }

    /// `http://127.0.0.1:PORT`.
    pub fn base_url(&self) -> String {
        format!("http://127.0.0.1:{}", self.port)
    }

    /// `127.0.0.1:PORT`, the registry part of an image reference.
    pub fn host_port(&self) -> String {
        format!("127.0.0.1:{}", self.port)
    }

    /// The port.
    pub fn port(&self) -> u16 {
        self.port
    }

    /// The flavour it was started with.
    pub fn flavor(&self) -> &Flavor {
        &self.flavor
    }

    /// The token server of the token flavour.
    pub fn token_server(&self) -> Option<&TokenServer> {
        self.token_server.as_ref()
    }

    /// The filesystem driver's root directory.
    pub fn storage_dir(&self) -> PathBuf {
        self.dir.path().join("storage")
    }

    /// The file that holds a blob's bytes (filesystem driver layout:
    /// `docker/registry/v2/blobs/sha256/<2 hex>/<64 hex>/data`), for tests that alter or
    /// truncate a stored blob. `digest` is `sha256:<hex>`.
    pub fn blob_data_path(&self, digest: &str) -> PathBuf {
        let hex = sha256_hex(digest);
        self.storage_dir()
            .join("docker/registry/v2/blobs/sha256")
            .join(&hex[..2])
            .join(hex)
            .join("data")
    }

    /// The registry's stdout and stderr so far (all starts), for failure messages.
    pub fn log(&self) -> String {
        std::fs::read_to_string(self.log_path()).unwrap_or_default()
    }

    /// A client with the flavour's credentials (every right); anonymous for `Open`.
    pub fn client(&self) -> Client {
        match self.flavor.credentials() {
            Some((user, password)) => self.client_with_credentials(user, password),
            None => Client::anonymous(&self.base_url()),
        }
    }

    /// A client with no credentials: plain requests, or anonymous tokens for `Token`.
    pub fn anonymous_client(&self) -> Client {
        match &self.token_server {
            Some(server) => {
                Client::token(&self.base_url(), &server.realm(), server.service(), None)
            }
            None => Client::anonymous(&self.base_url()),
        }
    }

    /// A client with these credentials (right or wrong): Basic to the registry for `Basic`
    /// (and `Open`, which ignores them), Basic to the token server for `Token`.
    pub fn client_with_credentials(&self, user: &str, password: &str) -> Client {
        match &self.token_server {
            Some(server) => Client::token(
                &self.base_url(),
                &server.realm(),
                server.service(),
                Some((user, password)),
            ),
            None => Client::basic(&self.base_url(), user, password),
        }
    }

    /// The registry process's id while it runs (a browser test stops it from outside to
    /// show the page needs no network).
    pub fn pid(&self) -> Option<u32> {
        self.running.as_ref().map(|r| r.child.id())
    }

    /// Whether the process is running (it may have been stopped, or died).
    pub fn is_running(&mut self) -> bool {
        match &mut self.running {
            Some(running) => matches!(running.child.try_wait(), Ok(None)),
            None => false,
        }
    }

    /// Kills the registry process; storage and port are kept for [`Registry::restart`].
    pub fn stop(&mut self) {
        if let Some(mut running) = self.running.take() {
            // The watchdog goes first so it can never fire at a pid that was recycled.
            if let Some(mut watchdog) = running.watchdog.take() {
                let _ = watchdog.kill();
                let _ = watchdog.wait();
            }
            let _ = running.child.kill();
            let _ = running.child.wait();
        }
    }

    /// Starts the process again on the same port with the same storage (the token server
    /// kept running). Retries briefly if the port is momentarily busy; panics on failure.
    pub fn restart(&mut self) {
        self.stop();
        let mut last = None;
        for _ in 0..PORT_ATTEMPTS {
            match self.launch() {
                Ok(()) => return,
                Err(Launch::PortTaken(e)) => {
                    last = Some(e);
                    std::thread::sleep(Duration::from_millis(200));
                }
                Err(Launch::Failed(e)) => panic!("{e}"),
            }
        }
        panic!("restart on port {}: {last:?}", self.port);
    }

    fn log_path(&self) -> PathBuf {
        self.dir.path().join("registry.log")
    }

    fn config_path(&self) -> PathBuf {
        self.dir.path().join("config.yml")
    }

    fn binary() -> String {
        std::env::var("LAYERLENS_TEST_REGISTRY_BIN").unwrap_or_else(|_| DEFAULT_BINARY.into())
    }

    /// Writes the config for the current port, spawns, and waits for readiness.
    fn launch(&mut self) -> Result<(), Launch> {
        let storage = self.storage_dir();
        let htpasswd = self.dir.path().join("htpasswd");
        let bundle = self.dir.path().join("token-root.pem");
        let realm = self.token_server.as_ref().map(TokenServer::realm);
        let auth = match (&self.flavor, &self.token_server, &realm) {
            (Flavor::Open, _, _) => AuthSection::Open,
            (Flavor::Basic { .. }, _, _) => AuthSection::Htpasswd { path: &htpasswd },
            (Flavor::Token { .. }, Some(server), Some(realm)) => AuthSection::Token {
                realm,
                service: server.service(),
                issuer: server.issuer(),
                root_cert_bundle: &bundle,
            },
            (Flavor::Token { .. }, _, _) => unreachable!("the token flavour has a token server"),
        };
        let yaml = render(&storage, self.port, &self.id, &auth);
        write(&self.config_path(), &yaml).map_err(Launch::Failed)?;

        let binary = Registry::binary();
        if !Path::new(&binary).exists() {
            return Err(Launch::Failed(HarnessError(format!(
                "{binary} is missing: install the Debian package `docker-registry` \
                 (scripts/test.sh does), or set LAYERLENS_TEST_REGISTRY_BIN"
            ))));
        }
        let log = OpenOptions::new()
            .create(true)
            .append(true)
            .open(self.log_path())
            .map_err(|e| Launch::Failed(HarnessError(format!("log file: {e}"))))?;
        let log_err = log
            .try_clone()
            .map_err(|e| Launch::Failed(HarnessError(format!("log file: {e}"))))?;
        let child = Command::new(&binary)
            .arg("serve")
            .arg(self.config_path())
            .stdin(Stdio::null())
            .stdout(log)
            .stderr(log_err)
            .spawn()
            .map_err(|e| Launch::Failed(HarnessError(format!("spawn {binary}: {e}"))))?;
        let watchdog = spawn_watchdog(child.id());
        self.running = Some(Running { child, watchdog });
        let ready = self.wait_ready();
        if ready.is_err() {
            self.stop();
        }
        ready
    }

    fn wait_ready(&mut self) -> Result<(), Launch> {
        let probe = Client::anonymous(&self.base_url());
        let deadline = Instant::now() + READY_TIMEOUT;
        loop {
            let exited = match &mut self.running {
                Some(running) => running.child.try_wait().ok().flatten(),
                None => return Err(Launch::Failed(HarnessError("not running".into()))),
            };
            if let Some(status) = exited {
                let log = self.log();
                let error = HarnessError(format!(
                    "registry on port {} exited ({status}) before answering; its log:\n{log}",
                    self.port
                ));
                return Err(if log.contains("address already in use") {
                    Launch::PortTaken(error)
                } else {
                    Launch::Failed(error)
                });
            }
            if let Ok(response) = probe.send_unauthenticated("GET", "/v2/", &[], None) {
                if response.header(ID_HEADER) == Some(self.id.as_str()) {
                    return Ok(());
                }
                // Someone else answers on this port; ours will fail to bind and exit.
            }
            if Instant::now() > deadline {
                return Err(Launch::Failed(HarnessError(format!(
                    "registry on port {} did not answer GET /v2/ within {:?}; its log:\n{}",
                    self.port,
                    READY_TIMEOUT,
                    self.log()
                ))));
            }
            std::thread::sleep(Duration::from_millis(20));
        }
    }
}

impl Drop for Registry {
    fn drop(&mut self) {
        self.stop();
    }
}

enum Launch {
    /// The port was taken between choosing and binding it: try another.
    PortTaken(HarnessError),
    Failed(HarnessError),
}

fn write(path: &Path, contents: &str) -> HarnessResult<()> {
    File::create(path)
        .and_then(|mut f| f.write_all(contents.as_bytes()))
        .map_err(|e| HarnessError(format!("write {}: {e}", path.display())))
}

/// A port that was free a moment ago (bound to port 0, then released).
fn free_port() -> HarnessResult<u16> {
    TcpListener::bind("127.0.0.1:0")
        .and_then(|l| l.local_addr())
        .map(|a| a.port())
        .map_err(|e| HarnessError(format!("find a free port: {e}")))
}

/// A `sh` that waits for its stdin to close, then kills `pid`. We hold the pipe's write end
/// (close-on-exec, so no other child inherits it); if this test process dies without running
/// destructors, the pipe closes and the registry does not outlive it.
fn spawn_watchdog(pid: u32) -> Option<Child> {
    Command::new("sh")
        .arg("-c")
        .arg(format!("read -r _; kill -9 {pid} 2>/dev/null"))
        .stdin(Stdio::piped())
        .stdout(Stdio::null())
        .stderr(Stdio::null())
        .spawn()
        .ok()
}
