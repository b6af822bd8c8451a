//! Where a stream may connect: never to loopback, link-local, private, shared (CGNAT),
//! unspecified, multicast or broadcast addresses unless the operator allows private destinations
//! (`streams.allow_private_destinations`). The check runs when connecting — on the addresses DNS
//! answered at that moment, and on address literals — so a name that later resolves to an
//! internal address cannot reach it.

use std::net::{IpAddr, SocketAddr};
use std::sync::Arc;

/// Whether an address is one a stream may not reach by default: anything not public
/// ([`crate::addresses::is_public`]).
pub fn is_private(ip: IpAddr) -> bool {
    !crate::addresses::is_public(ip)
}

/// The operator setting that allows private destinations (named in every refusal).
pub const PRIVATE_SETTING: &str = "streams.allow_private_destinations";

/// The refusal, naming the address.
pub fn refusal(ip: IpAddr) -> String {
    format!(
        "the destination address {ip} is loopback, link-local or private; the operator must set \
         {PRIVATE_SETTING} to allow it"
    )
}

/// `Err` naming the address when it may not be reached.
pub fn check(ip: IpAddr, allow_private: bool) -> Result<(), String> {
    if !allow_private && is_private(ip) {
        return Err(refusal(ip));
    }
    Ok(())
}

/// Resolves `host:port` now and keeps only the addresses a stream may reach; `Err` when none is.
pub async fn resolve(
    host: &str,
    port: u16,
    allow_private: bool,
) -> Result<Vec<SocketAddr>, String> {
    let host = host.trim_start_matches('[').trim_end_matches(']');
    let found: Vec<SocketAddr> = match host.parse::<IpAddr>() {
        Ok(ip) => vec![SocketAddr::new(ip, port)],
        Err(_) => tokio::net::lookup_host((host, port))
            .await
            .map_err(|e| format!("cannot resolve {host}: {e}"))?
            .collect(),
    };
    let mut refused = None;
    let allowed: Vec<SocketAddr> = found
        .into_iter()
        .filter(|addr| match check(addr.ip(), allow_private) {
            Ok(()) => true,
            Err(e) => {
                refused = Some(e);
                false
            }
        })
        .collect();
    match (allowed.is_empty(), refused) {
        (true, Some(refusal)) => Err(refusal),
        (true, None) => Err(format!("{host} has no address")),
        (false, _) => Ok(allowed),
    }
}

/// reqwest's resolver for stream requests: DNS answers filtered by [`resolve`].
pub struct SafeResolver {
    pub allow_private: bool,
}

impl reqwest::dns::Resolve for SafeResolver {
    fn resolve(&self, name: reqwest::dns::Name) -> reqwest::dns::Resolving {
        let host = name.as_str().to_owned();
        let allow_private = self.allow_private;
        Box::pin(async move {
            let addrs = resolve(&host, 0, allow_private).await?;
            Ok(Box::new(addrs.into_iter()) as reqwest::dns::Addrs)
        })
    }
}

/// An HTTP client for streams: the safe resolver, no proxy from the environment, the timeout.
pub fn http_client(
    allow_private: bool,
    timeout: std::time::Duration,
) -> Result<reqwest::Client, String> {
    reqwest::Client::builder()
        .dns_resolver(Arc::new(SafeResolver { allow_private }))
        .no_proxy()
        .timeout(timeout)
        .connect_timeout(timeout.min(std::time::Duration::from_secs(10)))
        .redirect(reqwest::redirect::Policy::none())
        .user_agent(concat!("Trail/", env!("CARGO_PKG_VERSION")))
        .build()
        .map_err(|e| format!("cannot build the HTTP client: {e}"))
}

/// Checks an HTTP URL whose host is an address literal (the resolver sees only names).
pub fn check_url(url: &reqwest::Url, allow_private: bool) -> Result<(), String> {
    let host = url.host_str().unwrap_or("");
    match host
        .trim_start_matches('[')
        .trim_end_matches(']')
        .parse::<IpAddr>()
    {
        Ok(ip) => check(ip, allow_private),
        Err(_) => Ok(()),
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use rstest::rstest;

    #[rstest]
    #[case("127.0.0.1", true)]
    #[case("10.1.2.3", true)]
    #[case("172.16.0.1", true)]
    #[case("192.168.1.1", true)]
    #[case("169.254.169.254", true)]
    #[case("100.64.0.1", true)]
    #[case("0.0.0.0", true)]
    #[case("::1", true)]
    #[case("fe80::1", true)]
    #[case("fd00::1", true)]
    #[case("::ffff:127.0.0.1", true)]
    #[case("::ffff:10.0.0.1", true)]
    #[case("8.8.8.8", false)]
    #[case("2606:4700::1111", false)]
    fn private_addresses_are_refused(#[case] ip: &str, #[case] private: bool) {
        let ip: IpAddr = ip.parse().unwrap();
        assert_eq!(is_private(ip), private, "{ip}");
        assert_eq!(check(ip, false).is_err(), private);
        assert!(check(ip, true).is_ok());
    }

    #[tokio::test]
    async fn names_are_checked_on_what_they_resolve_to() {
        let refused = resolve("localhost", 80, false).await.unwrap_err();
        assert!(refused.contains("private"), "{refused}");
        assert!(!resolve("localhost", 80, true).await.unwrap().is_empty());
        assert!(resolve("127.0.0.1", 80, false).await.is_err());
    }
}
