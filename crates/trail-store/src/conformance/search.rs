//! Conformance: the string fields (dictionary-like, actor, resource, target) with each kind of
//! matcher and negation, over the five events of [`dataset`](super::fixtures::dataset).

use trail_core::query::{Field, Matcher};

use super::fixtures::{ALL, assert_matches, cidr, cond, contains, eq, org_with_dataset, prefix};
use crate::Store;

pub async fn search_dictionary_fields(store: &dyn Store) {
    let org = org_with_dataset(store).await;
    let s = store;
    assert_matches(
        s,
        &org,
        cond(Field::Action, false, vec![eq("member.invited")]),
        &["e1"],
    )
    .await;
    assert_matches(
        s,
        &org,
        cond(Field::Action, false, vec![eq("MEMBER.Invited")]),
        &["e1"],
    )
    .await;
    assert_matches(
        s,
        &org,
        cond(Field::Action, false, vec![prefix("member.")]),
        &["e1", "e2"],
    )
    .await;
    assert_matches(
        s,
        &org,
        cond(Field::Action, false, vec![contains("KEY")]),
        &["e5"],
    )
    .await;
    let either = vec![eq("member.invited"), eq("user.login")];
    assert_matches(s, &org, cond(Field::Action, false, either), &["e1", "e4"]).await;
    assert_matches(
        s,
        &org,
        cond(Field::Action, false, vec![Matcher::Exists]),
        &ALL,
    )
    .await;
    assert_matches(s, &org, cond(Field::Action, false, vec![eq("nope")]), &[]).await;
    assert_matches(
        s,
        &org,
        cond(Field::Area, false, vec![eq("members")]),
        &["e1", "e2"],
    )
    .await;
    assert_matches(
        s,
        &org,
        cond(Field::Outcome, false, vec![eq("failure")]),
        &["e2", "e4"],
    )
    .await;
    assert_matches(
        s,
        &org,
        cond(Field::Source, false, vec![eq("WEB_UI")]),
        &["e1", "e4"],
    )
    .await;
    assert_matches(
        s,
        &org,
        cond(Field::Source, false, vec![prefix("back")]),
        &["e5"],
    )
    .await;
    assert_matches(
        s,
        &org,
        cond(Field::ActorType, false, vec![eq("service")]),
        &["e3"],
    )
    .await;
    assert_matches(
        s,
        &org,
        cond(Field::ActorRole, false, vec![eq("admin")]),
        &["e1"],
    )
    .await;
    assert_matches(
        s,
        &org,
        cond(Field::Country, false, vec![eq("de")]),
        &["e1", "e4"],
    )
    .await;
    assert_matches(
        s,
        &org,
        cond(Field::Country, false, vec![Matcher::Exists]),
        &["e1", "e2", "e4"],
    )
    .await;
    let member = vec![eq("member")];
    assert_matches(
        s,
        &org,
        cond(Field::ResourceType, false, member),
        &["e1", "e2"],
    )
    .await;
}

pub async fn search_negation_includes_missing_fields(store: &dyn Store) {
    let org = org_with_dataset(store).await;
    let s = store;
    let not_api = cond(Field::Source, true, vec![eq("api")]);
    assert_matches(s, &org, not_api, &["e1", "e3", "e4", "e5"]).await;
    let not_admin = cond(Field::ActorRole, true, vec![eq("admin")]);
    assert_matches(s, &org, not_admin, &["e2", "e3", "e4", "e5"]).await;
    assert_matches(
        s,
        &org,
        cond(Field::Country, true, vec![eq("DE")]),
        &["e2", "e3", "e5"],
    )
    .await;
    let neither = cond(
        Field::Action,
        true,
        vec![eq("member.invited"), prefix("user.")],
    );
    assert_matches(s, &org, neither, &["e2", "e3", "e5"]).await;
    assert_matches(
        s,
        &org,
        cond(Field::ActorEmail, true, vec![Matcher::Exists]),
        &["e3", "e5"],
    )
    .await;
    let not_alice = cond(Field::Actor, true, vec![eq("alice")]);
    assert_matches(s, &org, not_alice, &["e2", "e3", "e5"]).await;
    let no_plan = cond(Field::Metadata("plan".into()), true, vec![eq("free")]);
    assert_matches(s, &org, no_plan, &["e1", "e3", "e4", "e5"]).await;
    assert_matches(
        s,
        &org,
        cond(Field::Ip, true, vec![cidr("10.0.0.0/8")]),
        &["e1", "e3", "e5"],
    )
    .await;
    assert_matches(
        s,
        &org,
        cond(Field::Target, true, vec![eq("platform")]),
        &["e2", "e3", "e4"],
    )
    .await;
    assert_matches(
        s,
        &org,
        cond(Field::Text, true, vec![contains("alice")]),
        &["e3", "e5"],
    )
    .await;
}

pub async fn search_actor_fields(store: &dyn Store) {
    let org = org_with_dataset(store).await;
    let s = store;
    assert_matches(
        s,
        &org,
        cond(Field::Actor, false, vec![eq("usr_1")]),
        &["e1", "e4"],
    )
    .await;
    assert_matches(
        s,
        &org,
        cond(Field::Actor, false, vec![eq("alice")]),
        &["e1", "e4"],
    )
    .await;
    assert_matches(
        s,
        &org,
        cond(Field::Actor, false, vec![eq("alice kim")]),
        &["e1", "e4"],
    )
    .await;
    let email = vec![eq("Carol@Example.org")];
    assert_matches(s, &org, cond(Field::Actor, false, email), &["e2"]).await;
    assert_matches(s, &org, cond(Field::Actor, false, vec![eq("ali")]), &[]).await;
    assert_matches(
        s,
        &org,
        cond(Field::Actor, false, vec![prefix("car")]),
        &["e2"],
    )
    .await;
    assert_matches(
        s,
        &org,
        cond(Field::Actor, false, vec![prefix("svc_")]),
        &["e3"],
    )
    .await;
    assert_matches(
        s,
        &org,
        cond(Field::ActorId, false, vec![eq("USR_2")]),
        &["e2"],
    )
    .await;
    assert_matches(s, &org, cond(Field::ActorId, false, vec![eq("alice")]), &[]).await;
    assert_matches(
        s,
        &org,
        cond(Field::ActorName, false, vec![prefix("ci")]),
        &["e5"],
    )
    .await;
    let org_mail = vec![contains("EXAMPLE.ORG")];
    assert_matches(s, &org, cond(Field::ActorEmail, false, org_mail), &["e2"]).await;
    let emails = vec![Matcher::Exists];
    assert_matches(
        s,
        &org,
        cond(Field::ActorEmail, false, emails),
        &["e1", "e2", "e4"],
    )
    .await;
}

pub async fn search_resource_and_target_fields(store: &dyn Store) {
    let org = org_with_dataset(store).await;
    let s = store;
    assert_matches(
        s,
        &org,
        cond(Field::Resource, false, vec![eq("alice kim")]),
        &["e2"],
    )
    .await;
    assert_matches(
        s,
        &org,
        cond(Field::Resource, false, vec![eq("usr_77")]),
        &["e1"],
    )
    .await;
    assert_matches(
        s,
        &org,
        cond(Field::ResourceId, false, vec![prefix("scan")]),
        &["e3"],
    )
    .await;
    let named = vec![Matcher::Exists];
    assert_matches(
        s,
        &org,
        cond(Field::ResourceName, false, named),
        &["e1", "e2", "e5"],
    )
    .await;
    assert_matches(
        s,
        &org,
        cond(Field::ResourceName, false, vec![eq("deploy")]),
        &["e5"],
    )
    .await;
    assert_matches(
        s,
        &org,
        cond(Field::Target, false, vec![eq("platform")]),
        &["e1", "e5"],
    )
    .await;
    assert_matches(
        s,
        &org,
        cond(Field::Target, false, vec![eq("svc_1")]),
        &["e5"],
    )
    .await;
    assert_matches(
        s,
        &org,
        cond(Field::Target, false, vec![prefix("BILL")]),
        &["e5"],
    )
    .await;
    assert_matches(
        s,
        &org,
        cond(Field::Target, false, vec![contains("eam_")]),
        &["e1", "e5"],
    )
    .await;
    assert_matches(
        s,
        &org,
        cond(Field::Target, false, vec![Matcher::Exists]),
        &["e1", "e5"],
    )
    .await;
}
