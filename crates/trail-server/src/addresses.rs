//! Which IP addresses are public: the one classification behind locations (a private address is
//! never looked up, `crate::locations`) and stream destinations (a private one is refused unless
//! the operator allows it, `crate::streams::safety`).

use std::net::{IpAddr, Ipv4Addr, Ipv6Addr};

/// Whether `ip` is a globally routed unicast address: not private, loopback, link-local,
/// shared (CGNAT), documentation, benchmarking, multicast, broadcast or otherwise reserved.
pub fn is_public(ip: IpAddr) -> bool {
    match ip {
        IpAddr::V4(v4) => is_public_v4(v4),
        IpAddr::V6(v6) => match v6.to_ipv4_mapped() {
            Some(v4) => is_public_v4(v4),
            None => is_public_v6(v6),
        },
    }
}

fn is_public_v4(ip: Ipv4Addr) -> bool {
    let [a, b, c, _] = ip.octets();
    !(ip.is_private()
        || ip.is_loopback()
        || ip.is_link_local()
        || ip.is_broadcast()
        || ip.is_documentation()
        || ip.is_unspecified()
        || ip.is_multicast()
        || a == 0
        || (a == 100 && (64..128).contains(&b)) // 100.64.0.0/10 shared address space
        || (a == 192 && b == 0 && c == 0) // 192.0.0.0/24 protocol assignments
        || (a == 198 && (b == 18 || b == 19)) // 198.18.0.0/15 benchmarking
        || a >= 240) // 240.0.0.0/4 reserved
}

fn is_public_v6(ip: Ipv6Addr) -> bool {
    let first = ip.segments()[0];
    !(ip.is_loopback()
        || ip.is_unspecified()
        || ip.is_multicast()
        || (first & 0xfe00) == 0xfc00 // fc00::/7 unique local
        || (first & 0xffc0) == 0xfe80 // fe80::/10 link-local
        || (first == 0x2001 && ip.segments()[1] == 0x0db8) // 2001:db8::/32 documentation
        || first == 0x0064 && ip.segments()[1] == 0xff9b && ip.segments()[2] == 1 // 64:ff9b:1::/48
        || first == 0x0100 && ip.segments()[1..4] == [0, 0, 0] // 100::/64 discard
        || (first & 0xffc0) == 0xfec0) // fec0::/10 site-local (deprecated)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn public_means_globally_routed_unicast() {
        for private in [
            "10.1.2.3",
            "172.16.0.1",
            "192.168.1.1",
            "127.0.0.1",
            "169.254.1.1",
            "100.64.0.1",
            "192.0.2.10",
            "198.51.100.1",
            "203.0.113.5",
            "198.18.0.1",
            "0.0.0.0",
            "224.0.0.1",
            "240.0.0.1",
            "255.255.255.255",
            "::1",
            "::",
            "fc00::1",
            "fd12:3456::1",
            "fe80::1",
            "2001:db8::1",
            "ff02::1",
            "::ffff:10.0.0.1",
            "::ffff:127.0.0.1",
            "fec0::1",
        ] {
            assert!(!is_public(private.parse().unwrap()), "{private}");
        }
        for public in [
            "81.2.69.142",
            "8.8.8.8",
            "2a02:ff0::1",
            "::ffff:81.2.69.142",
        ] {
            assert!(is_public(public.parse().unwrap()), "{public}");
        }
    }
}
