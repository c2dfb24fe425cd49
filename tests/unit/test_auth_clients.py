"""The client address login throttling counts under: the peer's, or behind a trusted
proxy the forwarded one — and a forged X-Forwarded-For from anyone else is ignored."""

from __future__ import annotations

import pytest

from auth.clients import client_address, parse_networks
from auth.lockout import LOCAL_CLIENT, client_key

PROXY = parse_networks("10.0.0.2, 172.18.0.0/16")


@pytest.mark.parametrize(
    ("peer", "forwarded", "expected"),
    [
        # No trusted proxy in front: the header is the client's own word, ignored.
        ("203.0.113.9", "1.2.3.4", "203.0.113.9"),
        ("203.0.113.9", "1.2.3.4, 10.0.0.2", "203.0.113.9"),
        ("203.0.113.9", None, "203.0.113.9"),
        (None, "1.2.3.4", "127.0.0.1"),  # this machine (Streamlit reports no address)
        ("::ffff:203.0.113.9", "1.2.3.4", "203.0.113.9"),
        ("2001:db8::7", "1.2.3.4", "2001:db8::7"),
        # Through a trusted proxy: the hop it appended, read from the right.
        ("10.0.0.2", "198.51.100.7", "198.51.100.7"),
        ("172.18.0.5", "198.51.100.7", "198.51.100.7"),
        ("10.0.0.2", "6.6.6.6, 198.51.100.7", "198.51.100.7"),  # a forged left entry
        ("10.0.0.2", "198.51.100.7, 172.18.0.9", "198.51.100.7"),  # two trusted hops
        ("10.0.0.2", "2001:db8::9", "2001:db8::9"),
        ("10.0.0.2", " 198.51.100.7 ", "198.51.100.7"),
        ("10.0.0.2", None, "10.0.0.2"),
        ("10.0.0.2", "", "10.0.0.2"),
        ("10.0.0.2", "not-an-ip", "10.0.0.2"),  # malformed: the proxy itself
        ("10.0.0.2", "198.51.100.7, garbage", "10.0.0.2"),
        ("10.0.0.2", "172.18.0.9", "172.18.0.9"),  # only proxies: the farthest one
        ("10.0.0.3", "198.51.100.7", "10.0.0.3"),  # not in the list
    ],
)
def test_client_address(peer: str | None, forwarded: str | None, expected: str) -> None:
    assert client_address(peer, forwarded, PROXY) == expected


def test_no_trusted_proxies_means_the_peer_always() -> None:
    assert client_address("10.0.0.2", "198.51.100.7", ()) == "10.0.0.2"


@pytest.mark.parametrize("text", ["10.0.0.300", "proxy.local", "10.0.0.0/40"])
def test_a_bad_proxy_list_is_refused(text: str) -> None:
    with pytest.raises(ValueError):
        parse_networks(text)


def test_the_client_key_is_bounded_and_never_empty() -> None:
    assert client_key(None) == client_key("") == client_key("  ") == LOCAL_CLIENT
    assert len(client_key("x" * 500)) == 64
    assert client_key(" 2001:DB8::1 ") == "2001:db8::/64"


@pytest.mark.parametrize(
    ("client", "key"),
    [
        # One IPv6 host owns its /64 and can take any address in it: one client.
        ("2001:db8:1:2::1", "2001:db8:1:2::/64"),
        ("2001:db8:1:2:ffff:ffff:ffff:ffff", "2001:db8:1:2::/64"),
        ("2001:DB8:1:2:dead:beef:0:1", "2001:db8:1:2::/64"),
        ("2001:0db8:0001:0002:0000:0000:0000:0009", "2001:db8:1:2::/64"),
        ("2001:db8:1:3::1", "2001:db8:1:3::/64"),
        ("fe80::1", "fe80::/64"),
        ("::1", "::/64"),
        # IPv4 (also written IPv4-mapped) stays one address; anything else as it is.
        ("203.0.113.9", "203.0.113.9"),
        ("::ffff:203.0.113.9", "::ffff:203.0.113.9"),
        ("local", "local"),
        ("not-an-ip", "not-an-ip"),
    ],
)
def test_an_ipv6_client_is_counted_as_its_64(client: str, key: str) -> None:
    assert client_key(client) == key


def test_settings_refuse_a_bad_trusted_proxy_and_keep_short_session_defaults(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    from backend.config import load_settings
    from backend.errors import SettingsError

    settings = load_settings()
    assert settings.auth_session_idle_minutes == 120 and settings.auth_session_max_hours == 12
    assert settings.auth_cookie_secure == "auto" and settings.trusted_proxies == ""
    monkeypatch.setenv("TRUSTED_PROXIES", "10.0.0.2, proxy.local")
    with pytest.raises(SettingsError, match="TRUSTED_PROXIES"):
        load_settings()
