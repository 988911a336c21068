//! Command-line flags with spf13/pflag's semantics: flags anywhere among the positionals,
//! `--flag value`, `--flag=value`, `-p value`, `-pvalue`, `-p=value`, combined boolean
//! shorthands (`-i`), `--verify=false`, `--` ending the flags, and pflag's error texts.

use crate::gofmt::{quote, quote_rune};
use crate::index::DEFAULT_INDEX_URL;
use crate::io::EnvLookup;
use crate::log::Level;
use crate::Platform;

/// Env var that makes `-i/--installed-only` default to true when non-empty.
pub(crate) const ENV_INSTALLED_ONLY: &str = "ENVTEST_INSTALLED_ONLY";
/// Env var that makes `--use-env` default to true when non-empty.
pub(crate) const ENV_USE_ENV: &str = "ENVTEST_USE_ENV";

/// What `use` and `sideload` print.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum PrintFormat {
    /// Human-readable `Version:`/`OS/Arch:`/`sha512:`/`Path:` lines.
    Overview,
    /// The path alone, without a newline.
    Path,
    /// `export KUBEBUILDER_ASSETS='<path>'`.
    Env,
}

impl PrintFormat {
    fn parse(value: &str) -> Result<PrintFormat, String> {
        match value {
            "overview" => Ok(PrintFormat::Overview),
            "path" => Ok(PrintFormat::Path),
            "env" => Ok(PrintFormat::Env),
            _ => Err(format!(
                "unknown print format {}, use one of overview|path|env",
                quote(value)
            )),
        }
    }
}

/// Parsed flag values.
#[derive(Debug, Clone)]
pub(crate) struct Flags {
    pub force: bool,
    pub installed_only: bool,
    pub verify: bool,
    pub use_env: bool,
    pub os: String,
    pub arch: String,
    pub print: PrintFormat,
    pub level: Level,
    pub bin_dir: String,
    pub index: String,
    pub help: bool,
}

impl Flags {
    /// Defaults, some of which come from the environment.
    pub(crate) fn defaults(env: &EnvLookup) -> Flags {
        let set = |name: &str| env(name).is_some_and(|v| !v.is_empty());
        let host = Platform::host();
        Flags {
            force: false,
            installed_only: set(ENV_INSTALLED_ONLY),
            verify: true,
            use_env: set(ENV_USE_ENV),
            os: host.os,
            arch: host.arch,
            print: PrintFormat::Overview,
            level: Level::Warn,
            bin_dir: String::new(),
            index: DEFAULT_INDEX_URL.to_string(),
            help: false,
        }
    }
}

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Kind {
    Bool,
    Str,
    Print,
    Level,
}

struct FlagSpec {
    name: &'static str,
    short: Option<char>,
    kind: Kind,
    usage: &'static str,
}

/// Every flag, in pflag's (lexicographic) usage order.
const FLAGS: &[FlagSpec] = &[
    FlagSpec {
        name: "arch",
        short: None,
        kind: Kind::Str,
        usage: "architecture to download for (e.g. amd64, for listing operations, use '*' to list all platforms)",
    },
    FlagSpec {
        name: "bin-dir",
        short: None,
        kind: Kind::Str,
        usage: "directory to store binary assets (default: $OS_SPECIFIC_DATA_DIR/envtest-binaries)",
    },
    FlagSpec {
        name: "force",
        short: None,
        kind: Kind::Bool,
        usage: "force re-downloading dependencies, even if they're already present and correct",
    },
    FlagSpec { name: "help", short: None, kind: Kind::Bool, usage: "print out this help text" },
    FlagSpec { name: "index", short: None, kind: Kind::Str, usage: "index to discover envtest binaries" },
    FlagSpec {
        name: "installed-only",
        short: Some('i'),
        kind: Kind::Bool,
        usage: "only look at installed versions -- do not query the remote API server, and error out if it would be necessary to",
    },
    FlagSpec {
        name: "os",
        short: None,
        kind: Kind::Str,
        usage: "os to download for (e.g. linux, darwin, for listing operations, use '*' to list all platforms)",
    },
    FlagSpec {
        name: "print",
        short: Some('p'),
        kind: Kind::Print,
        usage: "what info to print after fetch-style commands (overview, path, env)",
    },
    FlagSpec {
        name: "use-env",
        short: None,
        kind: Kind::Bool,
        usage: "whether to return the value of KUBEBUILDER_ASSETS if it's already set",
    },
    FlagSpec { name: "v", short: Some('v'), kind: Kind::Level, usage: "logging level" },
    FlagSpec { name: "verify", short: None, kind: Kind::Bool, usage: "verify dependencies while downloading" },
];

/// Why parsing stopped.
#[derive(Debug, PartialEq, Eq)]
pub(crate) enum ParseError {
    /// `-h`: pflag prints the usage and exits 0.
    Help,
    /// pflag's error text (printed after the usage, exit 2).
    Invalid(String),
}

/// Go's `strconv.ParseBool`.
fn parse_bool(value: &str) -> Result<bool, String> {
    match value {
        "1" | "t" | "T" | "true" | "TRUE" | "True" => Ok(true),
        "0" | "f" | "F" | "false" | "FALSE" | "False" => Ok(false),
        _ => Err(format!(
            "strconv.ParseBool: parsing {}: invalid syntax",
            quote(value)
        )),
    }
}

fn flag_label(spec: &FlagSpec) -> String {
    match spec.short {
        Some(c) => format!("-{c}, --{}", spec.name),
        None => format!("--{}", spec.name),
    }
}

fn set(flags: &mut Flags, spec: &FlagSpec, value: &str) -> Result<(), ParseError> {
    let invalid = |cause: String| {
        ParseError::Invalid(format!(
            "invalid argument {} for {} flag: {cause}",
            quote(value),
            quote(&flag_label(spec))
        ))
    };
    match spec.name {
        "arch" => flags.arch = value.to_string(),
        "bin-dir" => flags.bin_dir = value.to_string(),
        "index" => flags.index = value.to_string(),
        "os" => flags.os = value.to_string(),
        "print" => flags.print = PrintFormat::parse(value).map_err(invalid)?,
        "v" => flags.level = Level::parse(value).map_err(invalid)?,
        name => {
            let b = parse_bool(value).map_err(invalid)?;
            match name {
                "force" => flags.force = b,
                "help" => flags.help = b,
                "installed-only" => flags.installed_only = b,
                "use-env" => flags.use_env = b,
                _ => flags.verify = b,
            }
        }
    }
    Ok(())
}

/// Parses `args` (without the program name) into `flags`; returns the positionals.
pub(crate) fn parse(args: &[String], flags: &mut Flags) -> Result<Vec<String>, ParseError> {
    let mut positionals = Vec::new();
    let mut rest = args.iter();
    while let Some(arg) = rest.next() {
        if arg.len() < 2 || !arg.starts_with('-') {
            positionals.push(arg.clone());
            continue;
        }
        if arg == "--" {
            positionals.extend(rest.cloned());
            break;
        }
        if let Some(long) = arg.strip_prefix("--") {
            if long.is_empty() || long.starts_with('-') || long.starts_with('=') {
                return Err(ParseError::Invalid(format!("bad flag syntax: {arg}")));
            }
            let (name, inline) = match long.split_once('=') {
                Some((name, value)) => (name, Some(value)),
                None => (long, None),
            };
            let Some(spec) = FLAGS.iter().find(|f| f.name == name) else {
                return Err(ParseError::Invalid(format!("unknown flag: --{name}")));
            };
            let value = match inline {
                Some(value) => value.to_string(),
                None if spec.kind == Kind::Bool => "true".to_string(),
                None => match rest.next() {
                    Some(next) => next.clone(),
                    None => {
                        return Err(ParseError::Invalid(format!(
                            "flag needs an argument: --{name}"
                        )))
                    }
                },
            };
            set(flags, spec, &value)?;
            continue;
        }
        // One or more shorthands: "-i", "-ip", "-pvalue", "-p=value", "-p value".
        let mut shorthands = &arg[1..];
        while !shorthands.is_empty() {
            if shorthands.starts_with("test.") {
                break;
            }
            let Some(c) = shorthands.chars().next() else {
                break;
            };
            let after = &shorthands[c.len_utf8()..];
            let Some(spec) = FLAGS.iter().find(|f| f.short == Some(c)) else {
                if c == 'h' {
                    return Err(ParseError::Help);
                }
                return Err(ParseError::Invalid(format!(
                    "unknown shorthand flag: {} in -{shorthands}",
                    quote_rune(c)
                )));
            };
            let value = if let Some(inline) = after.strip_prefix('=').filter(|_| after.len() > 1) {
                shorthands = "";
                inline.to_string()
            } else if spec.kind == Kind::Bool {
                shorthands = after;
                "true".to_string()
            } else if !after.is_empty() {
                shorthands = "";
                after.to_string()
            } else {
                match rest.next() {
                    Some(next) => {
                        shorthands = "";
                        next.clone()
                    }
                    None => {
                        return Err(ParseError::Invalid(format!(
                            "flag needs an argument: {} in -{shorthands}",
                            quote_rune(c)
                        )))
                    }
                }
            };
            set(flags, spec, &value)?;
        }
    }
    Ok(positionals)
}

/// pflag's `PrintDefaults` for our flags, with defaults as registered.
fn flag_usages(defaults: &Flags) -> String {
    let lines: Vec<(String, String)> = FLAGS
        .iter()
        .map(|spec| {
            let mut head = match spec.short {
                Some(c) => format!("  -{c}, --{}", spec.name),
                None => format!("      --{}", spec.name),
            };
            let varname = match spec.kind {
                Kind::Bool => "",
                Kind::Str => "string",
                Kind::Print => "{overview|path|env}",
                Kind::Level => "Level",
            };
            if !varname.is_empty() {
                head.push(' ');
                head.push_str(varname);
            }
            let default = match spec.name {
                "arch" => Some(quote(&defaults.arch)),
                "os" => Some(quote(&defaults.os)),
                "index" => Some(quote(&defaults.index)),
                "bin-dir" if !defaults.bin_dir.is_empty() => Some(quote(&defaults.bin_dir)),
                "installed-only" if defaults.installed_only => Some("true".into()),
                "use-env" if defaults.use_env => Some("true".into()),
                "verify" if defaults.verify => Some("true".into()),
                "print" => Some("overview".into()),
                "v" => Some(defaults.level.to_string()),
                _ => None,
            };
            let mut usage = spec.usage.to_string();
            if let Some(default) = default {
                usage.push_str(&format!(" (default {default})"));
            }
            (head, usage)
        })
        .collect();
    let width = lines.iter().map(|(head, _)| head.len()).max().unwrap_or(0) + 1;
    lines
        .iter()
        .map(|(head, usage)| format!("{head} {} {usage}\n", " ".repeat(width - head.len())))
        .collect()
}

/// The full usage text (upstream's `flag.Usage`).
pub(crate) fn usage(program: &str, defaults: &Flags) -> String {
    let mut out = format!("Usage: {program} [FLAGS] use|list|cleanup|sideload [VERSION]\n");
    out.push_str(&flag_usages(defaults));
    out.push_str(
        &USAGE_TAIL
            .replace("{name}", program)
            .replace("{installed_only}", ENV_INSTALLED_ONLY)
            .replace("{use_env}", ENV_USE_ENV),
    );
    out
}

const USAGE_TAIL: &str = "
Note: this command is currently alpha, and the usage/behavior may change from release to release.

Examples:

\t# download the latest envtest, and print out info about it
\t{name} use

\t# download the latest 1.19 envtest, and print out the path
\t{name} use -p path 1.19.x!

\t# switch to the most recent 1.21 envtest on disk
\tsource <({name} use -i -p env 1.21.x)

\t# list all available local versions for darwin/amd64
\t{name} list -i --os darwin --arch amd64

\t# remove all versions older than 1.16 from disk
\t{name} cleanup <1.16

\t# use the value from $KUBEBUILDER_ASSETS if set, otherwise follow the normal
\t# logic for 'use'
\t{name} --use-env

\t# use the value from $KUBEBUILDER_ASSETS if set, otherwise use the latest
\t# installed version
\t{name} use -i --use-env

\t# sideload a pre-downloaded tarball as Kubernetes 1.16.2 into our store
\t{name} sideload 1.16.2 < downloaded-envtest.tar.gz

Commands:

\tuse:
\t\tget information for the requested version, downloading it if necessary and allowed.
\t\tNeeds a concrete platform (no wildcards), but wildcard versions are supported.

\tlist:
\t\tlist installed *and* available versions matching the given version & platform.
\t\tMay have wildcard versions *and* platforms.
\t\tIf the -i flag is passed, only installed versions are listed.

\tcleanup:
\t\tremove all versions matching the given version & platform selector.
\t\tMay have wildcard versions *and* platforms.

\tsideload:
\t\treads a .tar.gz file from stdin and expand it into the store.
\t\tmust have a concrete version and platform.

\tversion:
\t\tlist the installed version of setup-envtest.

Versions:

\tVersions take the form of a small subset of semver selectors.

\tBasic semver whole versions are accepted: X.Y.Z.
\tZ may also be '*' or 'x' to match a wildcard.
\tYou may also just write X.Y, which means X.Y.*.

\tA version may be prefixed with '~' to match the most recent Z release
\tin the given Y release ( [X.Y.Z, X.Y+1.0) ).

\tFinally, you may suffix the version with '!' to force checking the
\tremote API server for the latest version.

\tFor example:

\t\t1.16.x / 1.16.* / 1.16 # any 1.16 version
\t\t~1.19.3                # any 1.19 version that's at least 1.19.3
\t\t<1.17                  # any release 1.17.x or below
\t\t1.22.x!                # the latest one 1.22 release available remotely

Output:

\tThe fetch & switch commands respect the --print, -p flag.

\toverview: human readable information
\tpath: print out the path, by itself
\tenv: print out the path in a form that can be sourced to use that version with envtest

\tOther command have human-readable output formats only.

Environment Variables:

\tKUBEBUILDER_ASSETS:
\t\t--use-env will check this, and '-p/--print env' will return this.
\t\tIf --use-env is true and this is set, we won't check our store
\t\tfor versions -- we'll just immediately return whatever's in
\t\tthis env var.

\t{installed_only}:
\t\twill switch the default of -i/--installed to true if set to any value

\t{use_env}:
\t\twill switch the default of --use-env to true if set to any value

";

#[cfg(test)]
mod tests {
    use super::*;
    use crate::io::env_from_pairs;

    fn parse_args(args: &[&str]) -> Result<(Flags, Vec<String>), ParseError> {
        let mut flags = Flags::defaults(&env_from_pairs::<&str, &str>([]));
        let args: Vec<String> = args.iter().map(|s| s.to_string()).collect();
        let positionals = parse(&args, &mut flags)?;
        Ok((flags, positionals))
    }

    fn error(args: &[&str]) -> String {
        match parse_args(args) {
            Err(ParseError::Invalid(msg)) => msg,
            other => panic!("expected an error for {args:?}, got {other:?}"),
        }
    }

    #[test]
    fn flags_may_appear_anywhere_in_every_spelling() {
        let (f, pos) = parse_args(&[
            "use",
            "-p",
            "path",
            "1.19.x!",
            "--os=darwin",
            "--arch",
            "arm64",
        ])
        .unwrap();
        assert_eq!(pos, ["use", "1.19.x!"]);
        assert_eq!(
            (f.print, f.os.as_str(), f.arch.as_str()),
            (PrintFormat::Path, "darwin", "arm64")
        );
        let (f, pos) = parse_args(&["-ipenv", "list", "--", "--force", "-x"]).unwrap();
        assert!(f.installed_only && !f.force);
        assert_eq!(f.print, PrintFormat::Env);
        assert_eq!(pos, ["list", "--force", "-x"]);
        let (f, _) =
            parse_args(&["--verify=false", "-p=overview", "-vdebug", "--bin-dir", "-"]).unwrap();
        assert!(!f.verify);
        assert_eq!(f.level, Level::Debug);
        assert_eq!(f.bin_dir, "-");
        let (f, _) = parse_args(&[
            "--v",
            "info",
            "--use-env",
            "--force=1",
            "--installed-only=F",
        ])
        .unwrap();
        assert_eq!(f.level, Level::Info);
        assert!(f.use_env && f.force && !f.installed_only);
        let (_, pos) = parse_args(&["-", "use"]).unwrap();
        assert_eq!(pos, ["-", "use"]);
        let (f, _) = parse_args(&["--index", "--verify"]).unwrap();
        assert_eq!(f.index, "--verify");
    }

    #[test]
    fn errors_read_like_pflags() {
        assert_eq!(error(&["--foo"]), "unknown flag: --foo");
        assert_eq!(error(&["--foo=bar"]), "unknown flag: --foo");
        assert_eq!(error(&["-x"]), "unknown shorthand flag: 'x' in -x");
        assert_eq!(error(&["-ix"]), "unknown shorthand flag: 'x' in -x");
        assert_eq!(error(&["--os"]), "flag needs an argument: --os");
        assert_eq!(error(&["use", "-p"]), "flag needs an argument: 'p' in -p");
        assert_eq!(
            error(&["-p", "json"]),
            "invalid argument \"json\" for \"-p, --print\" flag: unknown print format \"json\", use one of overview|path|env"
        );
        assert_eq!(
            error(&["--verify=maybe"]),
            "invalid argument \"maybe\" for \"--verify\" flag: strconv.ParseBool: parsing \"maybe\": invalid syntax"
        );
        assert_eq!(
            error(&["-v", "loud"]),
            "invalid argument \"loud\" for \"-v, --v\" flag: unrecognized level: \"loud\""
        );
        assert_eq!(error(&["---x"]), "bad flag syntax: ---x");
        assert_eq!(error(&["--=x"]), "bad flag syntax: --=x");
        assert_eq!(
            error(&["--use-deprecated-gcs"]),
            "unknown flag: --use-deprecated-gcs"
        );
        assert_eq!(parse_args(&["-h"]).unwrap_err(), ParseError::Help);
        assert_eq!(parse_args(&["-ih"]).unwrap_err(), ParseError::Help);
        assert!(parse_args(&["--help"]).unwrap().0.help);
    }

    #[test]
    fn usage_lists_flags_like_pflag_print_defaults() {
        let env = env_from_pairs([("ENVTEST_INSTALLED_ONLY", "false")]);
        let mut defaults = Flags::defaults(&env);
        defaults.os = "linux".into();
        defaults.arch = "amd64".into();
        let text = usage("setup-envtest", &defaults);
        let expected = "Usage: setup-envtest [FLAGS] use|list|cleanup|sideload [VERSION]
      --arch string                 architecture to download for (e.g. amd64, for listing operations, use '*' to list all platforms) (default \"amd64\")
      --bin-dir string              directory to store binary assets (default: $OS_SPECIFIC_DATA_DIR/envtest-binaries)
      --force                       force re-downloading dependencies, even if they're already present and correct
      --help                        print out this help text
      --index string                index to discover envtest binaries (default \"https://raw.githubusercontent.com/kubernetes-sigs/controller-tools/HEAD/envtest-releases.yaml\")
  -i, --installed-only              only look at installed versions -- do not query the remote API server, and error out if it would be necessary to (default true)
      --os string                   os to download for (e.g. linux, darwin, for listing operations, use '*' to list all platforms) (default \"linux\")
  -p, --print {overview|path|env}   what info to print after fetch-style commands (overview, path, env) (default overview)
      --use-env                     whether to return the value of KUBEBUILDER_ASSETS if it's already set
  -v, --v Level                     logging level (default warn)
      --verify                      verify dependencies while downloading (default true)

Note: this command is currently alpha";
        assert!(text.starts_with(expected), "{text}");
        assert!(text.contains("\tsource <(setup-envtest use -i -p env 1.21.x)\n"));
        assert!(text.contains("\tENVTEST_USE_ENV:\n\t\twill switch the default of --use-env to true if set to any value\n\n"));
        assert!(text.ends_with("any value\n\n"));
    }
}
