//! The proxy's address policy as a pure function on address values: every
//! special-purpose range, IPv6 forms that wrap an IPv4 address, and the
//! verdict for each trust level. No packet is sent anywhere.

use std::net::IpAddr;

use layerlens::serve::{check_address, classify, AddressClass, Trust};

fn ip(s: &str) -> IpAddr {
    s.parse().unwrap()
}

#[test]
fn address_classes() {
    let cases = [
        ("127.0.0.1", AddressClass::Loopback),
        ("127.255.1.2", AddressClass::Loopback),
        ("::1", AddressClass::Loopback),
        ("10.0.0.1", AddressClass::Private),
        ("172.16.0.1", AddressClass::Private),
        ("172.31.255.254", AddressClass::Private),
        ("192.168.1.1", AddressClass::Private),
        ("fec0::1", AddressClass::Private),
        ("100.64.0.1", AddressClass::SharedAddressSpace),
        ("100.127.255.254", AddressClass::SharedAddressSpace),
        ("169.254.1.1", AddressClass::LinkLocal),
        ("fe80::1", AddressClass::LinkLocal),
        ("febf::1", AddressClass::LinkLocal),
        ("169.254.169.254", AddressClass::CloudMetadata),
        ("fd00:ec2::254", AddressClass::CloudMetadata),
        ("168.63.129.16", AddressClass::CloudMetadata),
        ("fc00::1", AddressClass::UniqueLocal),
        ("fd12:3456::1", AddressClass::UniqueLocal),
        ("0.0.0.0", AddressClass::Unspecified),
        ("0.1.2.3", AddressClass::Unspecified),
        ("::", AddressClass::Unspecified),
        ("224.0.0.1", AddressClass::Multicast),
        ("239.255.255.250", AddressClass::Multicast),
        ("ff02::1", AddressClass::Multicast),
        ("255.255.255.255", AddressClass::Broadcast),
        ("192.0.2.1", AddressClass::Documentation),
        ("198.51.100.7", AddressClass::Documentation),
        ("203.0.113.9", AddressClass::Documentation),
        ("2001:db8::1", AddressClass::Documentation),
        ("240.0.0.1", AddressClass::Reserved),
        ("198.18.0.1", AddressClass::Reserved),
        ("192.0.0.170", AddressClass::Reserved),
        ("2001::1", AddressClass::Reserved),
        ("100::1", AddressClass::Reserved),
        // Public neighbours of the ranges above.
        ("8.8.8.8", AddressClass::Public),
        ("1.1.1.1", AddressClass::Public),
        ("172.32.0.1", AddressClass::Public),
        ("172.15.255.255", AddressClass::Public),
        ("100.128.0.1", AddressClass::Public),
        ("169.253.1.1", AddressClass::Public),
        ("11.0.0.1", AddressClass::Public),
        ("2606:4700:4700::1111", AddressClass::Public),
        ("2a00:1450:4001::1", AddressClass::Public),
    ];
    for (addr, class) in cases {
        assert_eq!(classify(ip(addr)), class, "{addr}");
    }
}

#[test]
fn ipv6_wrapped_ipv4_is_unwrapped() {
    let cases = [
        ("::ffff:10.0.0.1", AddressClass::Private),
        ("::ffff:169.254.169.254", AddressClass::CloudMetadata),
        ("::ffff:127.0.0.1", AddressClass::Loopback),
        ("::ffff:8.8.8.8", AddressClass::Public),
        ("::10.0.0.1", AddressClass::Private),
        ("::169.254.169.254", AddressClass::CloudMetadata),
        ("::127.0.0.1", AddressClass::Loopback),
        ("64:ff9b::a9fe:a9fe", AddressClass::CloudMetadata),
        ("64:ff9b::808:808", AddressClass::Public),
        ("2002:a00:1::1", AddressClass::Private),
        ("2002:7f00:1::", AddressClass::Loopback),
        ("2002:808:808::1", AddressClass::Public),
    ];
    for (addr, class) in cases {
        assert_eq!(classify(ip(addr)), class, "{addr}");
    }
}

#[test]
fn address_verdicts_by_trust() {
    for a in ["8.8.8.8", "2606:4700:4700::1111"] {
        assert_eq!(check_address(ip(a), Trust::Public), Ok(()));
        assert_eq!(check_address(ip(a), Trust::Operator), Ok(()));
    }
    for a in [
        "127.0.0.1",
        "::1",
        "10.0.0.1",
        "100.64.0.1",
        "fd12::1",
        "::ffff:10.0.0.1",
    ] {
        assert!(check_address(ip(a), Trust::Public).is_err(), "{a}");
        assert_eq!(check_address(ip(a), Trust::Operator), Ok(()), "{a}");
    }
    // Never, whoever asks.
    for a in [
        "169.254.169.254",
        "::ffff:169.254.169.254",
        "fd00:ec2::254",
        "169.254.10.10",
        "fe80::1",
        "0.0.0.0",
        "::",
        "224.0.0.1",
        "255.255.255.255",
        "192.0.2.1",
        "240.0.0.1",
    ] {
        assert!(check_address(ip(a), Trust::Public).is_err(), "{a}");
        assert!(check_address(ip(a), Trust::Operator).is_err(), "{a}");
    }
}
