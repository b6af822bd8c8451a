//! Conformance: IPs and CIDR blocks, metadata, free text, ids, seqs and times, over the five
//! events of [`dataset`](super::fixtures::dataset).

use trail_core::query::{CmpOp, Field, Matcher, Scalar};

use super::fixtures::{
    ALL, T0, assert_matches, cidr, cond, contains, eq, matching_ids, org_with_dataset, prefix,
    search_for,
};
use crate::Store;

pub async fn search_ip_and_cidr(store: &dyn Store) {
    let org = org_with_dataset(store).await;
    let s = store;
    assert_matches(
        s,
        &org,
        cond(Field::Ip, false, vec![eq("10.1.2.3")]),
        &["e2"],
    )
    .await;
    assert_matches(
        s,
        &org,
        cond(Field::Ip, false, vec![eq("2001:DB8::5")]),
        &["e3"],
    )
    .await;
    assert_matches(
        s,
        &org,
        cond(Field::Ip, false, vec![cidr("10.0.0.0/8")]),
        &["e2", "e4"],
    )
    .await;
    assert_matches(
        s,
        &org,
        cond(Field::Ip, false, vec![cidr("10.1.0.0/16")]),
        &["e2"],
    )
    .await;
    assert_matches(
        s,
        &org,
        cond(Field::Ip, false, vec![cidr("2001:db8::/32")]),
        &["e3"],
    )
    .await;
    let v4 = vec![cidr("0.0.0.0/0")];
    assert_matches(s, &org, cond(Field::Ip, false, v4), &["e1", "e2", "e4"]).await;
    assert_matches(s, &org, cond(Field::Ip, false, vec![cidr("::/0")]), &["e3"]).await;
    assert_matches(
        s,
        &org,
        cond(Field::Ip, false, vec![prefix("203.")]),
        &["e1"],
    )
    .await;
    let any = vec![Matcher::Exists];
    assert_matches(
        s,
        &org,
        cond(Field::Ip, false, any),
        &["e1", "e2", "e3", "e4"],
    )
    .await;
}

pub async fn search_metadata(store: &dyn Store) {
    let org = org_with_dataset(store).await;
    let s = store;
    let key = |k: &str| Field::Metadata(k.into());
    assert_matches(
        s,
        &org,
        cond(key("plan"), false, vec![eq("enterprise")]),
        &["e1"],
    )
    .await;
    assert_matches(
        s,
        &org,
        cond(key("plan"), false, vec![eq("ENTERPRISE")]),
        &["e1"],
    )
    .await;
    assert_matches(
        s,
        &org,
        cond(key("plan"), false, vec![prefix("ent")]),
        &["e1"],
    )
    .await;
    assert_matches(
        s,
        &org,
        cond(key("plan"), false, vec![Matcher::Exists]),
        &["e1", "e2"],
    )
    .await;
    assert_matches(s, &org, cond(key("seats"), false, vec![eq("10")]), &["e1"]).await;
    let more = vec![Matcher::Cmp(CmpOp::Gt, Scalar::Int(5))];
    assert_matches(s, &org, cond(key("seats"), false, more), &["e1"]).await;
    let fewer = vec![Matcher::Cmp(CmpOp::Lt, Scalar::Int(5))];
    assert_matches(s, &org, cond(key("seats"), false, fewer), &[]).await;
    assert_matches(
        s,
        &org,
        cond(key("trial"), false, vec![eq("false")]),
        &["e1"],
    )
    .await;
    assert_matches(s, &org, cond(key("mfa"), false, vec![eq("true")]), &["e4"]).await;
    assert_matches(
        s,
        &org,
        cond(key("missing"), false, vec![Matcher::Exists]),
        &[],
    )
    .await;
    let quoted = cond(key("pl\"an"), false, vec![eq("enterprise")]);
    assert_matches(s, &org, quoted, &[]).await;
}

pub async fn search_free_text(store: &dyn Store) {
    let org = org_with_dataset(store).await;
    let s = store;
    let text = |v: &str| cond(Field::Text, false, vec![contains(v)]);
    assert_matches(s, &org, text("bob ray"), &["e1"]).await;
    assert_matches(s, &org, text("role changed"), &["e2"]).await;
    assert_matches(s, &org, text("changed role"), &[]).await;
    assert_matches(s, &org, text("ALICE"), &["e1", "e2", "e4"]).await;
    assert_matches(s, &org, text("enterpr"), &["e1"]).await;
    assert_matches(s, &org, text("scan.start"), &["e3"]).await;
    assert_matches(s, &org, text("password"), &["e4"]).await;
    assert_matches(s, &org, text("carol@example"), &["e2"]).await;
    assert_matches(s, &org, text("zebra"), &[]).await;
    assert_matches(s, &org, text("\"quoted\" OR x*"), &[]).await;
    let both = vec![text("alice"), text("failed")];
    let ids = matching_ids(s, &org, &search_for(both)).await;
    assert_eq!(ids, ["e4"]);
}

pub async fn search_id_seq_and_times(store: &dyn Store) {
    let org = org_with_dataset(store).await;
    let s = store;
    assert_matches(s, &org, cond(Field::Id, false, vec![eq("e3")]), &["e3"]).await;
    assert_matches(s, &org, cond(Field::Id, false, vec![prefix("e")]), &ALL).await;
    assert_matches(s, &org, cond(Field::Seq, false, vec![eq("0")]), &["e1"]).await;
    let from_three = vec![Matcher::Cmp(CmpOp::Gte, Scalar::Int(3))];
    assert_matches(s, &org, cond(Field::Seq, false, from_three), &["e4", "e5"]).await;
    let one_to_three = vec![Matcher::Range(Scalar::Int(1), Scalar::Int(3))];
    assert_matches(
        s,
        &org,
        cond(Field::Seq, false, one_to_three),
        &["e2", "e3"],
    )
    .await;
    let before = vec![Matcher::Cmp(CmpOp::Lt, Scalar::Time(T0.plus_ms(3000)))];
    assert_matches(s, &org, cond(Field::Occurred, false, before), &["e1", "e2"]).await;
    let upto = vec![Matcher::Cmp(CmpOp::Lte, Scalar::Time(T0.plus_ms(3000)))];
    assert_matches(
        s,
        &org,
        cond(Field::Occurred, false, upto),
        &["e1", "e2", "e3"],
    )
    .await;
    let window = vec![Matcher::Range(
        Scalar::Time(T0.plus_ms(2000)),
        Scalar::Time(T0.plus_ms(4000)),
    )];
    assert_matches(s, &org, cond(Field::Occurred, false, window), &["e2", "e3"]).await;
    let received = vec![Matcher::Cmp(CmpOp::Gt, Scalar::Time(T0.plus_ms(2010)))];
    assert_matches(
        s,
        &org,
        cond(Field::Received, false, received),
        &["e3", "e4", "e5"],
    )
    .await;
}

pub async fn search_time_range_and_conjunction(store: &dyn Store) {
    let org = org_with_dataset(store).await;
    let mut search = search_for(vec![]);
    search.from = Some(T0.plus_ms(2000));
    search.to = Some(T0.plus_ms(4000));
    assert_eq!(matching_ids(store, &org, &search).await, ["e2", "e3"]);
    assert_eq!(store.count(&org, &search).await.unwrap(), 2);
    let both = search_for(vec![
        cond(Field::Action, false, vec![prefix("member.")]),
        cond(Field::Outcome, false, vec![eq("failure")]),
    ]);
    assert_eq!(matching_ids(store, &org, &both).await, ["e2"]);
}
