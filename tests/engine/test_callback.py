"""Callback data: what encode makes decodes back; what it could never make is refused, and
the parses kept for the buttons pressed again and again cannot be filled with junk."""

from __future__ import annotations

from engine import callback


def test_encoded_data_decodes_back_into_the_callers_own_args():
    data = callback.encode("add", {"product": "p:1 &x", "n": 2})
    first = callback.decode(data)
    assert first == ("add", {"n": "2", "product": "p:1 &x"})
    first[1]["n"] = "changed"  # the caller's own dict: the kept parse is not touched
    assert callback.decode(data) == ("add", {"n": "2", "product": "p:1 &x"})


def test_data_longer_than_telegrams_64_bytes_is_refused_and_not_kept():
    """A crafted client can press with any data; encode never makes more than 64 bytes, so
    longer data is not ours, and keeping its parse would let it fill memory."""
    callback._decode.cache_clear()
    long = "1:add:" + "x" * 1000
    assert callback.decode(long) is None
    assert callback._decode.cache_info().currsize == 0
    assert callback.decode("1:add:n=1") == ("add", {"n": "1"})
