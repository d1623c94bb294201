use clap::Parser;
use instantly_rbac::cli::LogFormat;
use tracing_subscriber::EnvFilter;

fn main() {
    let cli = instantly_rbac::cli::Cli::parse();
    let g = &cli.global;
    instantly_rbac::settings::set_output(g.color, g.quiet);
    let level = match (g.quiet, g.verbose) {
        (true, _) => "error",
        (_, 0) => "warn",
        (_, 1) => "info",
        (_, 2) => "debug",
        _ => "trace",
    };
    let filter = EnvFilter::try_from_default_env().unwrap_or_else(|_| EnvFilter::new(level));
    let ansi = instantly_rbac::settings::color_wanted(std::io::IsTerminal::is_terminal(
        &std::io::stderr(),
    ));
    let logs = tracing_subscriber::fmt()
        .with_env_filter(filter)
        .with_writer(std::io::stderr);
    match g.log_format {
        LogFormat::Text => logs.with_ansi(ansi).init(),
        LogFormat::Json => logs.json().with_ansi(false).init(),
    }
    std::process::exit(instantly_rbac::run::run(cli));
}
