//! The command line: upstream's `main.go` flow, exit codes and output formats.
//!
//! Order of checks (as upstream): flag parsing (errors: usage + pflag message, exit 2;
//! `-h`: usage, exit 0), `--help` (usage, exit 2), argument count (exit 2), default store
//! directory (exit 1), version selector (exit 1), flag coherence (exit 2), then the
//! command (unknown command: usage, exit 2; any runtime failure: one line, exit 2).

pub(crate) mod flags;

use std::io::Read;

use crate::gofmt;
use crate::io::{Io, SharedWriter};
use crate::log::Logger;
use crate::remote::{Remote, RetryPolicy};
use crate::store::Store;
use crate::workflow::{Env, Selected};
use crate::{default_store_dir_with, Platform, Spec};

pub use flags::PrintFormat;

/// How a run ends early: an exit code and the line for stderr.
struct Exit {
    code: i32,
    message: String,
}

impl Exit {
    fn new(code: i32, message: impl Into<String>) -> Self {
        Exit {
            code,
            message: message.into(),
        }
    }
}

/// Runs setup-envtest with `args` (without the program name) and returns the exit code.
///
/// Output goes to `io.stdout`/`io.stderr`; nothing calls `std::process::exit`.
///
/// ```no_run
/// # async fn demo() {
/// use klite_setup_envtest::{env_from_pairs, run, Io};
/// let env = env_from_pairs([("HOME", "/home/me")]);
/// let (io, stdout, _stderr) = Io::captured(None, env);
/// let code = run(&["use".into(), "-p".into(), "path".into(), "1.31.x".into()], io).await;
/// assert_eq!(code, 0);
/// println!("assets are in {}", stdout.text());
/// # }
/// ```
pub async fn run(args: &[String], io: Io) -> i32 {
    run_with_retry(args, io, RetryPolicy::default()).await
}

/// [`run`] with a custom retry policy for transient network failures.
pub async fn run_with_retry(args: &[String], io: Io, retry: RetryPolicy) -> i32 {
    let Io {
        stdin,
        stdout,
        stderr,
        env,
        is_tty,
        program_name,
    } = io;
    let defaults = flags::Flags::defaults(&env);
    let usage = flags::usage(&program_name, &defaults);
    let mut flags = defaults;
    let positionals = match flags::parse(args, &mut flags) {
        Ok(positionals) => positionals,
        Err(flags::ParseError::Help) => {
            stderr.emit(usage.as_bytes());
            return 0;
        }
        Err(flags::ParseError::Invalid(message)) => {
            stderr.emit(usage.as_bytes());
            stderr.emit(format!("{message}\n").as_bytes());
            return 2;
        }
    };
    let usage_exit = |message: &str| {
        stderr.emit(usage.as_bytes());
        stderr.emit(format!("{message}\n").as_bytes());
        2
    };
    if flags.help {
        return usage_exit("");
    }
    if positionals.is_empty() || positionals.len() > 2 {
        return usage_exit("please specify a command to use, and optionally a version selector");
    }

    let log = Logger::new(flags.level, stderr.clone());
    let command = positionals[0].as_str();
    let version_arg = positionals.get(1).map(String::as_str).unwrap_or("");
    let context = Context {
        command,
        version_arg,
        flags: &flags,
        log: &log,
        env: &env,
        progress: is_tty.then(|| stderr.clone()),
        retry,
    };
    let mut env_state = match context.setup() {
        Ok(env_state) => env_state,
        Err(exit) => {
            stderr.emit(format!("{}\n", exit.message).as_bytes());
            return exit.code;
        }
    };

    let outcome = match command {
        "use" => {
            let assets = env("KUBEBUILDER_ASSETS").unwrap_or_default();
            env_state
                .use_version(flags.use_env, &assets)
                .await
                .map(|s| print_info(&stdout, &s, flags.print))
        }
        "list" => match env_state.ensure_base_dirs().await {
            Err(err) => Err(err),
            Ok(()) => {
                let (rows, result) = env_state.list_versions().await;
                stdout.emit(gofmt::tabwrite(&rows).as_bytes());
                result
            }
        },
        "cleanup" => {
            env_state.no_download = true;
            env_state.force = false;
            match env_state.ensure_base_dirs().await {
                Err(err) => Err(err),
                Ok(()) => {
                    let (removed, result) = env_state.remove().await;
                    for item in removed {
                        stdout.emit(format!("removed {item}\n").as_bytes());
                    }
                    result
                }
            }
        }
        "sideload" => {
            let input: Box<dyn Read + Send> = stdin.unwrap_or_else(|| Box::new(std::io::empty()));
            let result = async {
                env_state.ensure_base_dirs().await?;
                env_state.no_download = true;
                env_state.sideload(input).await?;
                env_state.selected()
            }
            .await;
            result.map(|s| print_info(&stdout, &s, flags.print))
        }
        "version" => {
            stdout.emit(format!("setup-envtest version: {}\n", crate::version()).as_bytes());
            Ok(())
        }
        other => return usage_exit(&format!("unknown action {}", gofmt::quote(other))),
    };
    match outcome {
        Ok(()) => 0,
        Err(err) => {
            stderr.emit(format!("{}\n", err.chain()).as_bytes());
            2
        }
    }
}

/// Everything `setupEnv` needs.
struct Context<'a> {
    command: &'a str,
    version_arg: &'a str,
    flags: &'a flags::Flags,
    log: &'a Logger,
    env: &'a crate::EnvLookup,
    progress: Option<SharedWriter>,
    retry: RetryPolicy,
}

impl Context<'_> {
    /// Upstream's `setupEnv`: store directory, version selector, coherence checks.
    fn setup(&self) -> Result<Env, Exit> {
        let setup_log = self.log.named("setup");
        let bin_dir = if self.flags.bin_dir.is_empty() {
            default_store_dir_with(self.env).map_err(|err| {
                Exit::new(
                    1,
                    format!(
                        "unable to deterimine default binaries directory (use --bin-dir to manually override): {}",
                        err.chain()
                    ),
                )
            })?
        } else {
            self.flags.bin_dir.clone()
        };
        setup_log.debug("using binaries directory", &[("dir", &bin_dir)]);
        let remote = Remote::new(
            self.flags.index.clone(),
            self.env.clone(),
            self.log.named("storage-client"),
            self.progress.clone(),
            self.retry,
        );
        setup_log.debug("using HTTP client", &[("index", &self.flags.index)]);
        let version = Spec::parse(self.version_arg).map_err(|err| {
            Exit::new(
                1,
                format!(
                    "version be a valid version, or simply 'latest' or 'latest-on-disk': {}",
                    err.chain()
                ),
            )
        })?;
        let command_log = match self.command {
            "use" | "list" | "cleanup" | "sideload" => self.log.named(self.command),
            _ => self.log.clone(),
        };
        let env = Env::new(
            Platform::new(self.flags.os.clone(), self.flags.arch.clone()),
            version,
            self.flags.verify,
            self.flags.installed_only,
            self.flags.force,
            Store::open(bin_dir).with_logger(command_log),
            remote,
            self.log.clone(),
        );
        if env.no_download && env.force {
            return Err(Exit::new(
                2,
                "cannot both skip downloading *and* force re-downloading",
            ));
        }
        if env.platform.os.is_empty() || env.platform.arch.is_empty() {
            return Err(Exit::new(
                2,
                "must specify non-empty OS and arch (did you specify bad --os or --arch values?)",
            ));
        }
        Ok(env)
    }
}

/// Upstream's `PrintInfo`.
fn print_info(out: &SharedWriter, selected: &Selected, format: PrintFormat) {
    let text = match format {
        PrintFormat::Overview => {
            let mut text = format!(
                "Version: {}\nOS/Arch: {}\n",
                selected.version, selected.platform
            );
            if let Some(sha512) = &selected.sha512 {
                text.push_str(&format!("sha512: {sha512}\n"));
            }
            text.push_str(&format!("Path: {}\n", selected.path));
            text
        }
        PrintFormat::Path => selected.path.clone(),
        PrintFormat::Env => {
            format!(
                "export KUBEBUILDER_ASSETS='{}'\n",
                selected.path.replace('\'', "'\"'\"'")
            )
        }
    };
    out.emit(text.as_bytes());
}
