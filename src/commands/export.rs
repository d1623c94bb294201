//! `export`: the live workspace as a desired-state file that plans to no
//! changes.

use crate::client::Client;
use crate::output::{ExitStatus, Printer};
use crate::{escape, export, pipeline};
use std::path::Path;

pub async fn run(
    output: Option<&Path>,
    like: Option<&Path>,
    client: &Client,
    settings: &crate::settings::Settings,
    p: &Printer,
) -> anyhow::Result<ExitStatus> {
    // `-o -` is stdout, as for `review`; and never over what the run reads.
    let output = output.filter(|o| *o != Path::new("-"));
    if let Some(path) = output {
        let inputs: Vec<(&Path, &str)> = like.iter().map(|l| (*l, "the --like file")).collect();
        crate::output_path::check_output("-o", path, &inputs, settings, "the export")?;
    }
    // `--like`: read (and validated) before the workspace, so a bad file
    // costs no requests.
    let like = match like.map(pipeline::load).transpose() {
        Ok(like) => like,
        Err(e) => {
            p.error(&e.render(p.err_color()));
            return Ok(ExitStatus::Error);
        }
    };
    let live = pipeline::read_for_export(client).await?;
    let (mut config, warnings) = export::to_config(&live);
    allow_own_key_lints(&mut config, &live, &client.key_mask());
    let config = match &like {
        Some(f) => crate::export_like::apply(config, &f.config),
        None => config,
    };
    for w in live.warnings.iter().cloned().chain(warnings) {
        // The warnings quote names from the API.
        p.note(&format!("warning: {}", escape::terminal(&w)));
    }
    let text = export::to_yaml(&config, &live.workspace.name);
    crate::output_path::write_or_print(output, &text, p)?;
    Ok(ExitStatus::Success)
}

/// The key this tool runs with needs the scopes W001/W002 warn about (it
/// manages keys and members): the export allows them on that key, so that
/// an export passes `validate --strict` as it comes. Other keys keep them.
pub fn allow_own_key_lints(
    config: &mut crate::config::Config,
    live: &crate::live::Live,
    mask: &str,
) {
    let own: Vec<&str> = live
        .api_keys
        .iter()
        .filter(|k| k.key == mask)
        .map(|k| k.name.as_str())
        .collect();
    for k in &mut config.api_keys {
        if own.contains(&k.name.value.as_str()) {
            k.allow = crate::lints::key_codes(k);
        }
    }
}
