//! Streaming a search out as a file: the matching events are read page by page with the keyset
//! cursor and encoded as they arrive, so a download of any size holds one page in memory.

use std::sync::Arc;

use axum::body::Body;
use bytes::Bytes;
use futures_util::{Stream, StreamExt, stream};
use trail_core::catalogue::compiled::Catalogue;
use trail_core::event::Event;
use trail_core::export::{Encoder, ExportFormat};
use trail_core::query::Search;
use trail_store::{Store, StoreError};

/// Events read per store query while streaming.
pub const PAGE_SIZE: usize = 2_000;

/// Every event matching `search` from its cursor on, one page at a time, in the search's order.
/// `limit` is the page size; the stream ends after the last page.
pub fn pages(
    store: Arc<dyn Store>,
    organization_id: String,
    mut search: Search,
) -> impl Stream<Item = Result<Vec<Event>, StoreError>> + Send + 'static {
    search.limit = PAGE_SIZE;
    stream::unfold(Some(search), move |next| {
        let store = store.clone();
        let organization_id = organization_id.clone();
        async move {
            let mut search = next?;
            match store.search(&organization_id, &search).await {
                Ok(page) => {
                    let more = page.next_cursor.is_some();
                    search.cursor = page.next_cursor;
                    Some((Ok(page.events), more.then_some(search)))
                }
                Err(err) => Some((Err(err), None)),
            }
        }
    })
}

/// The response body of a download: the file's start, each page encoded (each event with its
/// `display` from `catalogue`), the file's end. A store
/// failure part-way ends the body with an error, which aborts the transfer (a client never takes
/// a cut file for a whole one).
pub fn body(
    format: ExportFormat,
    pages: impl Stream<Item = Result<Vec<Event>, StoreError>> + Send + 'static,
    catalogue: Arc<Catalogue>,
) -> Body {
    let mut encoder = Encoder::new(format);
    let mut head = Vec::new();
    encoder.begin(&mut head);
    let mut tail = Vec::new();
    encoder.end(&mut tail);
    let events = pages.map(move |page| {
        let page = page.map_err(|err| {
            tracing::error!(error = %err, "A streaming export stopped: the store failed");
            std::io::Error::other(err.to_string())
        })?;
        let mut out = Vec::with_capacity(page.len() * 512);
        for event in &page {
            encoder.shown(&mut out, event, Some(&catalogue.display(&event.data)));
        }
        metrics::counter!("trail_export_streamed_events_total").increment(page.len() as u64);
        Ok::<_, std::io::Error>(Bytes::from(out))
    });
    let whole = stream::once(async move { Ok(Bytes::from(head)) })
        .chain(events)
        .chain(stream::once(async move { Ok(Bytes::from(tail)) }))
        .filter(|chunk| std::future::ready(!matches!(chunk, Ok(b) if b.is_empty())));
    Body::from_stream(whole)
}
