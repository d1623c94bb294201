//! `review --format json`: the review as one object (`format_version`
//! "1"), or with `-f DIR` the reviews of every workspace with the agency
//! summary. JSON keeps the exact strings: serde escapes them.

use super::Review;
use super::summary::Summary;
use serde::Serialize;

pub fn render(r: &Review) -> String {
    serde_json::to_string_pretty(r).expect("a review serializes")
}

#[derive(Serialize)]
struct Agency<'a> {
    format_version: &'static str,
    summary: &'a Summary,
    workspaces: &'a [Review],
}

pub fn render_many(reviews: &[Review], summary: &Summary) -> String {
    serde_json::to_string_pretty(&Agency {
        format_version: "1",
        summary,
        workspaces: reviews,
    })
    .expect("reviews serialize")
}
