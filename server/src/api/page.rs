//! The pagination convention every list endpoint follows: `?limit=` (1 to 200, default 50) and
//! `?cursor=` (opaque, from the previous page's `next_cursor`). Pages are ordered by creation.

use base64::Engine;
use base64::engine::general_purpose::URL_SAFE_NO_PAD;
use serde::Serialize;
use utoipa::ToSchema;
use uuid::Uuid;

use super::error::{ApiError, FieldError};
use crate::store::PageRequest;

pub const DEFAULT_LIMIT: u32 = 50;
pub const MAX_LIMIT: u32 = 200;

/// One page of a list.
#[derive(Debug, Serialize, ToSchema)]
pub struct Page<T> {
    pub items: Vec<T>,
    /// Pass as `cursor` to get the next page; absent on the last page.
    pub next_cursor: Option<String>,
}

impl<T> Page<T> {
    pub fn new((items, next): (Vec<T>, Option<Uuid>)) -> Page<T> {
        Page {
            items,
            next_cursor: next.map(|id| URL_SAFE_NO_PAD.encode(id.as_bytes())),
        }
    }
}

/// Read `limit` and `cursor` from a list endpoint's query.
pub fn page_request(limit: Option<u32>, cursor: Option<&str>) -> Result<PageRequest, ApiError> {
    let limit = limit.unwrap_or(DEFAULT_LIMIT);
    if !(1..=MAX_LIMIT).contains(&limit) {
        return Err(ApiError::BadParameter(FieldError::new(
            "limit",
            format!("must be between 1 and {MAX_LIMIT}"),
        )));
    }
    let after = cursor
        .filter(|c| !c.is_empty())
        .map(|c| {
            URL_SAFE_NO_PAD
                .decode(c)
                .ok()
                .and_then(|b| Uuid::from_slice(&b).ok())
                .ok_or_else(|| {
                    ApiError::BadParameter(FieldError::new(
                        "cursor",
                        "is not a cursor this API returned",
                    ))
                })
        })
        .transpose()?;
    Ok(PageRequest {
        limit: i64::from(limit),
        after,
    })
}

/// A search term as an `ilike` pattern matching it anywhere, with `%`, `_` and `\` escaped.
pub fn contains_pattern(term: Option<&str>) -> Option<String> {
    let term = term?.trim();
    if term.is_empty() {
        return None;
    }
    let mut p = String::with_capacity(term.len() + 2);
    p.push('%');
    for c in term.chars() {
        if matches!(c, '%' | '_' | '\\') {
            p.push('\\');
        }
        p.push(c);
    }
    p.push('%');
    Some(p)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_cursor_round_trips_and_garbage_is_refused() {
        let id = Uuid::now_v7();
        let page = Page::new((vec![1], Some(id)));
        let cursor = page.next_cursor.expect("cursor");
        assert_eq!(
            page_request(None, Some(&cursor)).expect("parse").after,
            Some(id)
        );
        assert!(page_request(None, Some("not-a-cursor")).is_err());
        assert!(page_request(Some(0), None).is_err());
        assert!(page_request(Some(201), None).is_err());
        assert_eq!(page_request(None, None).expect("default").limit, 50);
    }

    #[test]
    fn search_terms_are_escaped() {
        assert_eq!(
            contains_pattern(Some("50%_a\\")),
            Some("%50\\%\\_a\\\\%".into())
        );
        assert_eq!(contains_pattern(Some("  ")), None);
    }
}
