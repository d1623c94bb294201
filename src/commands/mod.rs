//! One file per command. A command wires the pipeline to a renderer and
//! returns an `ExitStatus`; it writes only through the `Printer`.

pub mod apply;
pub mod export;
pub mod export_all;
pub mod generate;
pub mod plan;
pub mod review;
pub mod sandbox;
pub mod snapshot;
pub mod validate;
