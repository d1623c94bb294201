//! The live workspace, read through list endpoints (never one GET per object).

use crate::api_error::ApiError;
use crate::api_types::{
    Account, ApiKey, Campaign, Member, ResourceType, Tag, TagMapping, Workspace,
};
use crate::client::Client;
use crate::config::Config;
use crate::email::Email;
use crate::read_strategy::{self, AssignmentRead};
use std::collections::{BTreeSet, HashSet};

mod index;
pub use index::Index;

/// What the planner needs to know of the live workspace.
#[derive(Clone, Debug, Default, PartialEq)]
pub struct Live {
    pub workspace: Workspace,
    pub members: Vec<Member>,
    pub api_keys: Vec<ApiKey>,
    pub tags: Vec<Tag>,
    /// Assignments of every tag, when `assignments_read`.
    pub mappings: Vec<TagMapping>,
    pub campaigns: Vec<Campaign>,
    pub accounts: Vec<Account>,
    /// False when the file declares no tags, so campaigns, accounts and
    /// mappings were not read at all.
    pub assignments_read: bool,
    /// What was odd in the answers (an id listed twice), for the plan's
    /// warnings.
    pub warnings: Vec<String>,
}

/// Which lists a command needs.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct Needs {
    pub members: bool,
    pub api_keys: bool,
    pub tags: bool,
    pub mappings: bool,
    /// Campaigns, to name campaign assignments.
    pub campaigns: bool,
    /// Sending accounts, to check that declared ones exist.
    pub accounts: bool,
}

impl Needs {
    /// Everything; assignments only when `with_assignments`.
    pub fn all(with_assignments: bool) -> Needs {
        Needs {
            members: true,
            api_keys: true,
            tags: true,
            mappings: with_assignments,
            campaigns: with_assignments,
            accounts: with_assignments,
        }
    }
}

async fn list_if<T: serde::de::DeserializeOwned>(
    client: &Client,
    wanted: bool,
    path: &str,
) -> Result<Vec<T>, ApiError> {
    if wanted {
        client.list(path, &[]).await
    } else {
        Ok(Vec::new())
    }
}

/// The rest of `read`, for callers that fetched the workspace already (to
/// check a guard first). The lists asked for are read concurrently.
pub async fn read_lists(
    client: &Client,
    workspace: Workspace,
    needs: Needs,
) -> Result<Live, ApiError> {
    let (members, api_keys, tags, mappings, campaigns, accounts) = tokio::try_join!(
        list_if::<Member>(client, needs.members, "/workspace-members"),
        list_if::<ApiKey>(client, needs.api_keys, "/api-keys"),
        list_if::<Tag>(client, needs.tags, "/custom-tags"),
        list_if::<TagMapping>(client, needs.mappings, "/custom-tag-mappings"),
        list_if::<Campaign>(client, needs.campaigns, "/campaigns"),
        list_if::<Account>(client, needs.accounts, "/accounts"),
    )?;
    let mut warnings = Vec::new();
    let w = &mut warnings;
    let members = unique(members, "/workspace-members", member_id, w);
    let api_keys = unique(api_keys, "/api-keys", key_id, w);
    let tags = unique(tags, "/custom-tags", tag_id, w);
    let mappings = unique(mappings, "/custom-tag-mappings", mapping_id, w);
    let campaigns = unique(campaigns, "/campaigns", campaign_id, w);
    let accounts = unique(accounts, "/accounts", account_id, w);
    tracing::info!(
        members = members.len(),
        api_keys = api_keys.len(),
        tags = tags.len(),
        mappings = mappings.len(),
        "read the live workspace"
    );
    Ok(Live {
        workspace,
        members,
        api_keys,
        tags,
        mappings,
        campaigns,
        accounts,
        assignments_read: needs.mappings,
        warnings,
    })
}

/// Reads what a plan of `config` needs: members, keys and tags, and the
/// assignments of the tags it declares or would delete, by the quicker of
/// per-tag lists and the mapping walk; then resolves the declared campaigns
/// (by name) and accounts (by email) that reading did not meet, whatever the
/// live tags are (a workspace's first tag names campaigns no tag carries
/// yet). Campaigns and accounts are never listed when the file declares no
/// assignments.
///
/// The reads form a graph, each starting when its inputs are known:
/// members, keys and tags at once; the assignments as soon as the tag list
/// arrives (they need nothing else), while members and keys may still be
/// reading.
pub async fn read_for_plan(
    client: &Client,
    workspace: Workspace,
    config: &Config,
) -> Result<Live, ApiError> {
    let none: &[(&str, String)] = &[];
    let members = async {
        let members = client.list::<Member>("/workspace-members", none).await?;
        let mut w = Vec::new();
        let members = unique(members, "/workspace-members", member_id, &mut w);
        Ok::<_, ApiError>((members, w))
    };
    let api_keys = async {
        let keys = client.list::<ApiKey>("/api-keys", none).await?;
        let mut w = Vec::new();
        let keys = unique(keys, "/api-keys", key_id, &mut w);
        Ok::<_, ApiError>((keys, w))
    };
    // The tags first: theirs is usually the longest chain, and its first
    // page's round trip, taken before members and keys are paced, is the
    // latency the assignment estimate uses.
    let (tagged, (members, member_warnings), (api_keys, key_warnings)) =
        tokio::try_join!(read_tagged(client, config), members, api_keys)?;
    let mut warnings = member_warnings;
    warnings.extend(key_warnings);
    warnings.extend(tagged.warnings);
    Ok(Live {
        workspace,
        members,
        api_keys,
        warnings,
        ..tagged
    })
}

/// The tag list, then the assignments the plan needs and the declared
/// campaigns and accounts: the branch of `read_for_plan` that waits for
/// nothing but the tags. Members and keys are left empty.
async fn read_tagged(client: &Client, config: &Config) -> Result<Live, ApiError> {
    let none: &[(&str, String)] = &[];
    let started = std::time::Instant::now();
    let tags = client.list::<Tag>("/custom-tags", none).await?;
    // One round trip, as observed: the tag list's time over its pages.
    let latency = started.elapsed() / read_strategy::pages_at_least(tags.len()) as u32;
    let mut warnings = Vec::new();
    let tags = unique(tags, "/custom-tags", tag_id, &mut warnings);
    let opts = client.options();
    let timing = read_strategy::Timing {
        rate: opts.rate_limit,
        parallelism: opts.parallelism,
        latency,
    };
    let choice = read_strategy::choose(config, &tags, &timing);
    tracing::info!(how = ?choice.how, tags = choice.tags.len(), per_tag = choice.per_tag_estimate, walk = choice.walk_estimate, per_tag_wall = ?choice.per_tag_wall, walk_wall = ?choice.walk_wall, ?latency, "reading assignments");
    let mut live = Live {
        tags,
        assignments_read: choice.how != AssignmentRead::Nothing,
        warnings,
        ..Live::default()
    };
    let declared_names: BTreeSet<&str> = config
        .tags
        .iter()
        .flat_map(|t| t.campaigns.iter().map(|c| c.value.as_str()))
        .collect();
    // Whether `live.campaigns` is the workspace's whole campaign list.
    let mut all_campaigns = false;
    match choice.how {
        AssignmentRead::Nothing => {}
        AssignmentRead::PerTag => {
            let reads = choice.tags.iter().map(|id| async move {
                let q = [("tag_ids", id.clone())];
                let (c, a) = tokio::try_join!(
                    client.list::<Campaign>("/campaigns", &q),
                    client.list::<Account>("/accounts", &q)
                )?;
                Ok::<_, ApiError>((id.clone(), c, a))
            });
            let mut campaigns_known = Known::of_campaigns(&live);
            let mut accounts_known = Known::of_accounts(&live);
            for (tag_id, campaigns, accounts) in futures_util::future::try_join_all(reads).await? {
                let w = &mut live.warnings;
                let campaigns = unique(campaigns, "/campaigns", campaign_id, w);
                let accounts = unique(accounts, "/accounts", account_id, w);
                for c in campaigns {
                    live.mappings
                        .push(mapping(&tag_id, ResourceType::Campaign, &c.id));
                    campaigns_known.add(&mut live.campaigns, c);
                }
                for a in accounts {
                    live.mappings
                        .push(mapping(&tag_id, ResourceType::Account, a.email.as_str()));
                    accounts_known.add(&mut live.accounts, a);
                }
            }
        }
        AssignmentRead::Walk => {
            let wanted: BTreeSet<&String> = choice.tags.iter().collect();
            let names = !declared_names.is_empty();
            let (mappings, campaigns) = tokio::try_join!(
                client.list::<TagMapping>("/custom-tag-mappings", none),
                async {
                    if names {
                        client.list::<Campaign>("/campaigns", none).await
                    } else {
                        Ok(Vec::new())
                    }
                },
            )?;
            live.mappings = unique(
                mappings,
                "/custom-tag-mappings",
                mapping_id,
                &mut live.warnings,
            )
            .into_iter()
            .filter(|m| wanted.contains(&m.tag_id))
            .collect();
            live.campaigns = unique(campaigns, "/campaigns", campaign_id, &mut live.warnings);
            all_campaigns = names;
            if !names
                && live
                    .mappings
                    .iter()
                    .any(|m| m.resource_type == ResourceType::Campaign)
            {
                let campaigns = client.list::<Campaign>("/campaigns", none).await?;
                live.campaigns = unique(campaigns, "/campaigns", campaign_id, &mut live.warnings);
                all_campaigns = true;
            }
            let accounts: Vec<Account> = live
                .mappings
                .iter()
                .filter(|m| m.resource_type == ResourceType::Account)
                .map(|m| Account {
                    email: Email::new(m.resource_id.as_str()),
                    timestamp_created: String::new(),
                    tags: None,
                })
                .collect();
            add_accounts(&mut live, accounts);
        }
    }
    let unmet_names: Vec<String> = if all_campaigns {
        Vec::new()
    } else {
        let met: HashSet<&str> = live.campaigns.iter().map(|c| c.name.as_str()).collect();
        declared_names
            .iter()
            .filter(|n| !met.contains(**n))
            .map(|n| n.to_string())
            .collect()
    };
    let met: HashSet<&Email> = live.accounts.iter().map(|a| &a.email).collect();
    let unmet_emails: Vec<Email> = config
        .tags
        .iter()
        .flat_map(|t| t.accounts.iter().map(|a| &a.value))
        .collect::<BTreeSet<&Email>>()
        .into_iter()
        .filter(|e| !met.contains(e))
        .cloned()
        .collect();
    // Both at once: neither needs the other.
    let ((campaigns, campaign_warnings), (accounts, account_warnings)) = tokio::try_join!(
        resolve_campaigns(client, live.campaigns.len(), &unmet_names),
        resolve_accounts(client, live.accounts.len(), &unmet_emails),
    )?;
    live.warnings.extend(campaign_warnings);
    live.warnings.extend(account_warnings);
    add_campaigns(&mut live, campaigns);
    add_accounts(&mut live, accounts);
    Ok(live)
}

/// Finds the campaigns named `names`: a `search` each while there are no
/// more of them than the campaign list has pages at least (by the
/// campaigns met already), else the whole list — never more requests than
/// the list. (A list cut short cannot stand in for searches: a name met on
/// its first pages may be shared by a campaign on a later one.)
async fn resolve_campaigns(
    client: &Client,
    known: usize,
    names: &[String],
) -> Result<(Vec<Campaign>, Vec<String>), ApiError> {
    let mut warnings = Vec::new();
    if names.is_empty() {
        return Ok((Vec::new(), warnings));
    }
    let none: &[(&str, String)] = &[];
    if !read_strategy::look_up(names.len(), read_strategy::pages_at_least(known)) {
        let all = client.list::<Campaign>("/campaigns", none).await?;
        let all = unique(all, "/campaigns", campaign_id, &mut warnings);
        return Ok((all, warnings));
    }
    let searches = names.iter().map(|n| async move {
        let q = [("search", n.clone())];
        client.list::<Campaign>("/campaigns", &q).await
    });
    let found = futures_util::future::try_join_all(searches).await?;
    Ok((found.into_iter().flatten().collect(), warnings))
}

/// Finds the sending accounts `emails`: a GET each (by the folded address)
/// while there are no more of them than the account list has pages at
/// least (by the `known` accounts met already), else the account list page
/// by page, until every one is met or the ones still unmet are no more
/// than the pages still to come — then a GET each. Either way, never more
/// requests than the whole list.
async fn resolve_accounts(
    client: &Client,
    known: usize,
    emails: &[Email],
) -> Result<(Vec<Account>, Vec<String>), ApiError> {
    let mut warnings = Vec::new();
    if emails.is_empty() {
        return Ok((Vec::new(), warnings));
    }
    let none: &[(&str, String)] = &[];
    let known_pages = read_strategy::pages_at_least(known);
    let mut unmet: Vec<&Email> = emails.iter().collect();
    let mut found = Vec::new();
    if !read_strategy::look_up(emails.len(), known_pages) {
        let wanted: HashSet<&Email> = emails.iter().collect();
        // Items already checked against `wanted`, and which were met.
        let (mut checked, mut met) = (0, HashSet::new());
        let (listed, _) = client
            .list_while("/accounts", none, |pages, items: &[Account]| {
                if items.len() < checked {
                    // The walk started over (a repeated cursor).
                    (checked, met) = (0, HashSet::new());
                }
                for a in &items[checked..] {
                    if wanted.contains(&a.email) {
                        met.insert(a.email.clone());
                    }
                }
                checked = items.len();
                let left = wanted.len() - met.len();
                // More follow (or this is the first page): the list has at
                // least this many pages still to read.
                let to_come = known_pages.max(pages + 1) - pages;
                pages == 0 || (left > 0 && !read_strategy::look_up(left, to_come))
            })
            .await?;
        found = unique(listed, "/accounts", account_id, &mut warnings);
        let listed: HashSet<&Email> = found.iter().map(|a| &a.email).collect();
        unmet.retain(|e| !listed.contains(e));
        if unmet.is_empty() {
            return Ok((found, warnings));
        }
    }
    let lookups = unmet.into_iter().map(|e| async move {
        match client
            .get::<Account>(&format!("/accounts/{}", encode_segment(e.key())), &[])
            .await
        {
            Ok(a) => Ok(Some(a)),
            Err(err) if err.status() == Some(404) => Ok(None),
            Err(err) => Err(err),
        }
    });
    let looked_up = futures_util::future::try_join_all(lookups).await?;
    found.extend(looked_up.into_iter().flatten());
    Ok((found, warnings))
}

/// The ids (or addresses) of what a list holds, kept as it grows: adding
/// one at a time stays linear (`add_campaigns` builds its set per call).
struct Known<K>(HashSet<K>);

impl Known<String> {
    fn of_campaigns(live: &Live) -> Self {
        Known(live.campaigns.iter().map(|c| c.id.clone()).collect())
    }
    fn add(&mut self, to: &mut Vec<Campaign>, c: Campaign) {
        if self.0.insert(c.id.clone()) {
            to.push(c);
        }
    }
}

impl Known<Email> {
    fn of_accounts(live: &Live) -> Self {
        Known(live.accounts.iter().map(|a| a.email.clone()).collect())
    }
    fn add(&mut self, to: &mut Vec<Account>, a: Account) {
        if self.0.insert(a.email.clone()) {
            to.push(a);
        }
    }
}

/// `items` with each id once (the first answer kept), and a warning for
/// each id the API listed more than once: an object listed twice must not
/// be planned twice, nor counted twice toward the deletion limits.
fn unique<T>(
    items: Vec<T>,
    path: &str,
    id: impl Fn(&T) -> (String, String),
    warnings: &mut Vec<String>,
) -> Vec<T> {
    let mut seen: std::collections::HashMap<String, usize> = std::collections::HashMap::new();
    let mut twice: Vec<(String, String)> = Vec::new();
    let mut out = Vec::with_capacity(items.len());
    for item in items {
        let (key, _) = id(&item);
        let n = seen.entry(key).or_insert(0);
        *n += 1;
        if *n == 1 {
            out.push(item);
        } else if *n == 2 {
            twice.push(id(&item));
        }
    }
    for (key, shown) in twice {
        warnings.push(format!(
            "GET {path} listed {shown} {} times; it is counted once",
            seen[&key]
        ));
    }
    out
}

/// An object's identity in a list answer, and how a warning names it.
fn member_id(m: &Member) -> (String, String) {
    (m.id.clone(), format!("member {} (id {})", m.email, m.id))
}
fn key_id(k: &ApiKey) -> (String, String) {
    (k.id.clone(), format!("API key `{}` (id {})", k.name, k.id))
}
fn tag_id(t: &Tag) -> (String, String) {
    (t.id.clone(), format!("tag `{}` (id {})", t.label, t.id))
}
fn mapping_id(m: &TagMapping) -> (String, String) {
    (
        m.id.clone(),
        format!(
            "the assignment of tag {} to {} (id {})",
            m.tag_id, m.resource_id, m.id
        ),
    )
}
fn campaign_id(c: &Campaign) -> (String, String) {
    (c.id.clone(), format!("campaign `{}` (id {})", c.name, c.id))
}
fn account_id(a: &Account) -> (String, String) {
    (a.email.key().to_owned(), format!("account {}", a.email))
}

/// Adds the campaigns not known yet (by id); linear, for lists of
/// thousands.
fn add_campaigns(live: &mut Live, found: impl IntoIterator<Item = Campaign>) {
    let mut known: HashSet<String> = live.campaigns.iter().map(|c| c.id.clone()).collect();
    for c in found {
        if known.insert(c.id.clone()) {
            live.campaigns.push(c);
        }
    }
}

/// Adds the accounts not known yet (emails compare by the one folding
/// rule); linear.
fn add_accounts(live: &mut Live, found: impl IntoIterator<Item = Account>) {
    let mut known: HashSet<Email> = live.accounts.iter().map(|a| a.email.clone()).collect();
    for a in found {
        if known.insert(a.email.clone()) {
            live.accounts.push(a);
        }
    }
}

fn mapping(tag_id: &str, resource_type: ResourceType, resource_id: &str) -> TagMapping {
    TagMapping {
        id: String::new(),
        tag_id: tag_id.to_owned(),
        resource_id: resource_id.to_owned(),
        resource_type,
        timestamp_created: String::new(),
        organization_id: String::new(),
    }
}

/// Percent-encodes a path segment (an account's email).
fn encode_segment(s: &str) -> String {
    s.bytes()
        .map(|b| match b {
            b'A'..=b'Z' | b'a'..=b'z' | b'0'..=b'9' | b'-' | b'.' | b'_' | b'~' | b'@' => {
                (b as char).to_string()
            }
            _ => format!("%{b:02X}"),
        })
        .collect()
}
