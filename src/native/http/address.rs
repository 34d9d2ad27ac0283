//! The address policy: which IP addresses the proxy may connect to.
//!
//! A pure function on [`IpAddr`] values, applied to every address a host name
//! resolves to, before connecting — and the connection then goes to the very
//! address that was checked, so DNS cannot answer differently twice
//! (rebinding). The ranges come from the IANA special-purpose registries
//! (RFC 6890 and its updates) plus the cloud metadata endpoints.

use std::fmt;
use std::net::{IpAddr, Ipv4Addr, Ipv6Addr};

/// What kind of network an address belongs to.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum AddressClass {
    /// A globally routable unicast address.
    Public,
    /// `127.0.0.0/8`, `::1` (RFC 1122 §3.2.1.3, RFC 4291 §2.5.3).
    Loopback,
    /// `10/8`, `172.16/12`, `192.168/16` (RFC 1918), deprecated site-local `fec0::/10`.
    Private,
    /// `100.64.0.0/10`, carrier-grade NAT (RFC 6598).
    SharedAddressSpace,
    /// `169.254.0.0/16`, `fe80::/10` (RFC 3927, RFC 4291 §2.5.6).
    LinkLocal,
    /// Cloud instance metadata: `169.254.169.254`, `fd00:ec2::254`, Azure's
    /// `168.63.129.16`. Never reachable through the proxy.
    CloudMetadata,
    /// `fc00::/7` (RFC 4193).
    UniqueLocal,
    /// `0.0.0.0/8`, `::` — "this host", which reaches the local machine.
    Unspecified,
    /// `224.0.0.0/4`, `ff00::/8`.
    Multicast,
    /// `255.255.255.255`.
    Broadcast,
    /// `192.0.2/24`, `198.51.100/24`, `203.0.113/24` (RFC 5737), `2001:db8::/32` (RFC 3849).
    Documentation,
    /// Other special-purpose ranges: `192.0.0/24`, `198.18/15`, `240/4`,
    /// `100::/64`, Teredo `2001::/32`, the rest of `::/8`.
    Reserved,
}

impl AddressClass {
    /// Whether a registry the operator named itself (`--allow-registry`,
    /// `--insecure-registry`) may live at such an address: loopback, private
    /// and unique-local networks are where self-hosted registries are.
    pub fn operator_may_allow(self) -> bool {
        matches!(
            self,
            AddressClass::Public
                | AddressClass::Loopback
                | AddressClass::Private
                | AddressClass::SharedAddressSpace
                | AddressClass::UniqueLocal
        )
    }
}

impl fmt::Display for AddressClass {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(match self {
            AddressClass::Public => "public",
            AddressClass::Loopback => "loopback",
            AddressClass::Private => "private",
            AddressClass::SharedAddressSpace => "shared address space (CGNAT)",
            AddressClass::LinkLocal => "link-local",
            AddressClass::CloudMetadata => "cloud metadata",
            AddressClass::UniqueLocal => "unique-local",
            AddressClass::Unspecified => "unspecified",
            AddressClass::Multicast => "multicast",
            AddressClass::Broadcast => "broadcast",
            AddressClass::Documentation => "documentation",
            AddressClass::Reserved => "reserved",
        })
    }
}

/// How far a destination is trusted, which decides the addresses it may have.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash)]
pub enum Trust {
    /// The built-in registries, redirect targets (blob storage), realms named
    /// by them: public addresses only.
    Public,
    /// Hosts the operator named on the command line, and realms their
    /// challenges name: also loopback and private networks.
    Operator,
}

/// Classifies an address. IPv4-mapped (`::ffff:a.b.c.d`), IPv4-compatible
/// (`::a.b.c.d`), NAT64 (`64:ff9b::/96`) and 6to4 (`2002::/16`) IPv6
/// addresses are classified by the IPv4 address inside them, because that is
/// where the packets end up.
pub fn classify(ip: IpAddr) -> AddressClass {
    match ip {
        IpAddr::V4(v4) => classify_v4(v4),
        IpAddr::V6(v6) => classify_v6(v6),
    }
}

/// The verdict for connecting to `ip` on behalf of a destination trusted `trust`.
pub fn check_address(ip: IpAddr, trust: Trust) -> Result<(), AddressClass> {
    let class = classify(ip);
    let ok = match trust {
        Trust::Public => class == AddressClass::Public,
        Trust::Operator => class.operator_may_allow(),
    };
    if ok {
        Ok(())
    } else {
        Err(class)
    }
}

fn classify_v4(ip: Ipv4Addr) -> AddressClass {
    let [a, b, c, d] = ip.octets();
    match (a, b, c, d) {
        (169, 254, 169, 254) | (168, 63, 129, 16) => AddressClass::CloudMetadata,
        (0, ..) => AddressClass::Unspecified,
        (127, ..) => AddressClass::Loopback,
        (10, ..) => AddressClass::Private,
        (172, 16..=31, ..) => AddressClass::Private,
        (192, 168, ..) => AddressClass::Private,
        (100, 64..=127, ..) => AddressClass::SharedAddressSpace,
        (169, 254, ..) => AddressClass::LinkLocal,
        (192, 0, 2, _) | (198, 51, 100, _) | (203, 0, 113, _) => AddressClass::Documentation,
        (192, 0, 0, _) | (198, 18..=19, ..) => AddressClass::Reserved,
        (255, 255, 255, 255) => AddressClass::Broadcast,
        (224..=239, ..) => AddressClass::Multicast,
        (240..=255, ..) => AddressClass::Reserved,
        _ => AddressClass::Public,
    }
}

fn classify_v6(ip: Ipv6Addr) -> AddressClass {
    let s = ip.segments();
    if ip.is_unspecified() {
        return AddressClass::Unspecified;
    }
    if ip.is_loopback() {
        return AddressClass::Loopback;
    }
    if let Some(v4) = ip.to_ipv4_mapped() {
        return classify_v4(v4);
    }
    let embedded = |hi: u16, lo: u16| {
        let [a, b] = hi.to_be_bytes();
        let [c, d] = lo.to_be_bytes();
        Ipv4Addr::new(a, b, c, d)
    };
    // IPv4-compatible `::a.b.c.d` (RFC 4291 §2.5.5.1, deprecated but routable on some stacks).
    if s[..6] == [0; 6] {
        return classify_v4(embedded(s[6], s[7]));
    }
    // NAT64 well-known prefix `64:ff9b::/96` (RFC 6052).
    if s[..6] == [0x64, 0xff9b, 0, 0, 0, 0] {
        return classify_v4(embedded(s[6], s[7]));
    }
    // 6to4 `2002:V4::/48` (RFC 3056).
    if s[0] == 0x2002 {
        return classify_v4(embedded(s[1], s[2]));
    }
    if ip == Ipv6Addr::new(0xfd00, 0xec2, 0, 0, 0, 0, 0, 0x254) {
        return AddressClass::CloudMetadata;
    }
    match s[0] {
        0xfc00..=0xfdff => AddressClass::UniqueLocal,
        0xfe80..=0xfebf => AddressClass::LinkLocal,
        0xfec0..=0xfeff => AddressClass::Private,
        0xff00..=0xffff => AddressClass::Multicast,
        0x2001 if s[1] == 0x0db8 => AddressClass::Documentation,
        // Teredo: the client's IPv4 address is obfuscated inside; refuse it.
        0x2001 if s[1] == 0 => AddressClass::Reserved,
        // NAT64 local-use prefix `64:ff9b:1::/48` (RFC 8215).
        0x64 if s[1] == 0xff9b => AddressClass::Reserved,
        0x0100 if s[1..4] == [0, 0, 0] => AddressClass::Reserved,
        0x0000..=0x00ff => AddressClass::Reserved,
        _ => AddressClass::Public,
    }
}
