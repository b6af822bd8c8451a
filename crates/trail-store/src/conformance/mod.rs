//! The storage conformance suite: one `pub async fn` per behaviour of the [`Store`](crate::Store)
//! contract, generic over the backend, and [`conformance_tests!`](crate::conformance_tests), which
//! turns them into one `#[tokio::test]` each for a backend's factory.
//!
//! ```ignore
//! trail_store::conformance_tests!(async {
//!     let dir = tempfile::tempdir().unwrap();
//!     let store = SqliteStore::open(dir.path(), SqliteOptions::default()).unwrap();
//!     (store, dir) // the second element lives as long as the test (a temp dir, a schema guard)
//! });
//! ```

mod access;
mod admin;
mod append;
mod audited;
mod event_types;
mod exports;
pub mod fixtures;
mod idempotency;
mod integrity;
mod model;
mod pages;
pub mod postgres_db;
mod retention;
mod search;
mod search_values;
mod streams;
mod views;

pub use access::*;
pub use admin::*;
pub use append::*;
pub use audited::*;
pub use event_types::*;
pub use exports::*;
pub use idempotency::*;
pub use integrity::*;
pub use model::*;
pub use pages::*;
pub use retention::*;
pub use search::*;
pub use search_values::*;
pub use streams::*;
pub use views::*;

/// The integrity part of the suite (tree nodes, proofs, checkpoints), separate so that a backend
/// can adopt it once it implements those methods. Same factory as [`conformance_tests!`].
#[macro_export]
macro_rules! integrity_conformance_tests {
    ($factory:expr) => {
        $crate::conformance_tests!(@each $factory;
            tree_nodes_form_the_root_at_every_size,
            tree_survives_a_failed_batch,
            proofs_from_the_store_verify,
            checkpoints_round_trip,
        );
    };
}

/// Expands to one `#[tokio::test]` per conformance test. `$factory` is an expression of a future
/// that yields `(store, guard)`; it is evaluated afresh for every test, and the store is closed
/// at the end.
#[macro_export]
macro_rules! conformance_tests {
    ($factory:expr) => {
        $crate::conformance_tests!(@each $factory;
            organizations_crud,
            idempotent_answers_are_kept_per_scope_and_expire,
            api_keys_lifecycle,
            api_keys_are_isolated_per_organization,
            instance_settings,
            append_chains_seq_prev_and_hash,
            appended_events_round_trip,
            append_to_unknown_organization_is_not_found,
            batch_is_all_or_nothing,
            idempotent_repeat_returns_original,
            id_conflict_rejects_whole_batch,
            defaulted_occurred_at_repeat_is_idempotent,
            duplicate_ids_within_one_batch,
            concurrent_appends_are_gap_free,
            tenants_are_isolated,
            close_makes_store_unavailable,
            search_dictionary_fields,
            search_negation_includes_missing_fields,
            search_actor_fields,
            search_resource_and_target_fields,
            search_ip_and_cidr,
            search_metadata,
            search_free_text,
            search_id_seq_and_times,
            search_time_range_and_conjunction,
            pages_walk_every_event_once,
            pages_are_stable_while_appending,
            count_agrees_with_search,
            facets_most_frequent_first,
            events_by_seq_in_order,
            users_are_unique_by_email,
            members_belong_to_several_organizations,
            an_organization_keeps_an_active_owner,
            concurrent_demotions_keep_one_owner,
            custom_roles_lifecycle,
            sessions_lifecycle,
            search_actor_id_or_email,
            org_settings_default_and_round_trip,
            export_jobs_lifecycle,
            a_lease_has_one_holder_until_it_expires,
            retention_removes_a_prefix_and_keeps_proofs,
            retention_can_remove_every_event,
            audited_change_commits_with_its_event,
            a_refused_audit_event_rolls_the_change_back,
            a_failed_audit_append_rolls_the_change_back,
            a_failed_change_records_nothing,
            saved_views_lifecycle,
            streams_lifecycle,
            stream_delivery_is_guarded_by_generation,
            event_type_versions,
            event_type_import_is_all_or_nothing,
            action_stats_count_first_and_last_seen,
            validation_mode_and_trail_added_fields_round_trip,
            search_count_and_facets_match_a_model,
        );
    };
    (@each $factory:expr; $($name:ident),* $(,)?) => {
        $(
            #[tokio::test(flavor = "multi_thread", worker_threads = 4)]
            async fn $name() {
                let (store, guard) = ($factory).await;
                let store: ::std::sync::Arc<dyn $crate::Store> = ::std::sync::Arc::new(store);
                $crate::conformance::$name(&*store).await;
                store.close().await;
                drop(guard);
            }
        )*
    };
}
