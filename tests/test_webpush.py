"""Web Push on the wire: what the server sends decrypts on the device (RFC 8291) and carries a VAPID
token push services accept (RFC 8292); subscriptions no browser would give are refused."""

from __future__ import annotations

import time

import pytest
from cryptography.exceptions import InvalidTag

from chatroom.store.records import PushSubscription
from chatroom.webpush import EndpointError, VapidKey, check_subscription, encrypt, new_private_key, shown

from .push_receiver import Device, PushReceiver, b64url


def subscription_of(device: Device) -> PushSubscription:
    keys = device.subscription()["keys"]
    return PushSubscription(device.endpoint, 1, keys["p256dh"], keys["auth"])


def test_a_payload_decrypts_on_the_device_and_never_twice_the_same_bytes() -> None:
    """The device's own keys decrypt the body; the same payload encrypts differently each time."""
    device = Device("https://push.example.net/send/abc")
    first = encrypt(subscription_of(device), b'{"text":"hello"}')
    second = encrypt(subscription_of(device), b'{"text":"hello"}')
    assert device.decrypt(first) == device.decrypt(second) == b'{"text":"hello"}'
    assert first != second


def test_another_devices_keys_cannot_decrypt_it() -> None:
    """Encrypted for one device, the body is noise to another (the AEAD tag fails)."""
    mine, other = Device("https://push.example.net/a"), Device("https://push.example.net/b")
    body = encrypt(subscription_of(mine), b"for my eyes")
    with pytest.raises(InvalidTag):
        other.decrypt(body)


def test_the_vapid_token_is_signed_for_the_push_services_origin_with_the_published_key() -> None:
    """``vapid t=..,k=..``: an ES256 JWT for the endpoint's origin, valid for hours, with the contact."""
    key = VapidKey(new_private_key(), "mailto:ops@example.com")
    receiver = PushReceiver()
    try:
        receiver.server_key = key.public_key
        claims = receiver.check_vapid(key.authorization(receiver.origin + "/push/x"))
        assert claims["aud"] == receiver.origin
        assert claims["sub"] == "mailto:ops@example.com"
        assert claims["exp"] > time.time() + 11 * 3600
        assert key.authorization(receiver.origin + "/push/y") == key.authorization(
            receiver.origin + "/push/x"
        )
    finally:
        receiver.close()


def test_the_same_stored_key_gives_the_same_public_key() -> None:
    """Two nodes reading one stored private key publish one public key; a new key is another."""
    private = new_private_key()
    assert VapidKey(private, "mailto:a@b.c").public_key == VapidKey(private, "mailto:a@b.c").public_key
    assert (
        VapidKey(new_private_key(), "mailto:a@b.c").public_key != VapidKey(private, "mailto:a@b.c").public_key
    )


def test_a_browsers_subscription_passes_and_private_addresses_need_the_flag() -> None:
    """An https endpoint with real keys passes; 127.0.0.1 over http passes only with allow_private."""
    device = Device("https://fcm.googleapis.com/fcm/send/abc")
    keys = device.subscription()["keys"]
    check_subscription(device.endpoint, keys["p256dh"], keys["auth"], allow_private=False)
    with pytest.raises(EndpointError, match="https://"):
        check_subscription("http://127.0.0.1:9/push", keys["p256dh"], keys["auth"], allow_private=False)
    with pytest.raises(EndpointError, match="loopback"):
        check_subscription("https://[::1]/push", keys["p256dh"], keys["auth"], allow_private=False)
    check_subscription("http://127.0.0.1:9/push", keys["p256dh"], keys["auth"], allow_private=True)
    with pytest.raises(EndpointError, match=r"keys\.auth"):
        check_subscription(device.endpoint, keys["p256dh"], b64url(b"short"), allow_private=False)


def test_logs_show_an_endpoint_by_its_scheme_and_host_only() -> None:
    """The path, which names the device, and any query never reach the log."""
    assert shown("https://fcm.googleapis.com:443/fcm/send/device-token?x=1") == "https://fcm.googleapis.com"
