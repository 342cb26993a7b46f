"""Timecode (issue 26): frame-exact at 25, 29.97 drop-frame and 50 fps."""

from __future__ import annotations

from fractions import Fraction

import pytest
from hypothesis import given
from hypothesis import strategies as st

from newsvoice.timecode import FrameRate, format_tc, parse, samples, seconds

R25, R2997, R50 = FrameRate(Fraction(25)), FrameRate(Fraction(30000, 1001)), FrameRate(Fraction(50))
DAY = {
    R25: 25 * 86400,
    R50: 50 * 86400,
    R2997: 2589408,
}  # 29.97 DF: 24 h of labels is 2 589 408 frames


@pytest.mark.parametrize("rate", [R25, R2997, R50], ids=["25", "29.97df", "50"])
@given(n=st.integers(0, 2589407))
def test_frames_round_trip_through_timecode(rate, n):
    n %= DAY[rate]
    assert parse(format_tc(n, rate), rate) == n


@given(n=st.integers(0, 2589406))
def test_drop_frame_labels_advance_by_one_frame_and_skip_only_the_dropped_ones(n):
    a, b = format_tc(n, R2997), format_tc(n + 1, R2997)
    h, m, s, f = int(a[:2]), int(a[3:5]), int(a[6:8]), int(a[9:])
    h2, m2, s2, f2 = int(b[:2]), int(b[3:5]), int(b[6:8]), int(b[9:])
    if f < 29:
        assert (h2, m2, s2, f2) == (h, m, s, f + 1)
    else:
        assert f2 == (2 if s2 == 0 and m2 % 10 else 0)


def test_known_broadcast_values():
    assert parse("10:00:00:00", R25) == 900_000
    assert parse("10:00:00:00", R50) == 1_800_000
    assert parse("10:00:00;00", R2997) == 1_078_920  # 36 000 s of labels, 35 999.964 s of media
    assert parse("10:00:00:00", R2997) == 1_078_920  # ':' accepted in drop-frame too
    assert format_tc(1_078_920, R2997) == "10:00:00;00"
    assert format_tc(1800, R2997) == "00:01:00;02"  # the first dropped labels: ;00 and ;01
    assert format_tc(17982, R2997) == "00:10:00;00"  # every tenth minute keeps them
    assert seconds(900_000, R25) == 36000
    assert samples(900_000, R25, 48000) == 1_728_000_000
    assert samples(1_078_920, R2997, 48000) == 1_727_998_272  # 1601.6 samples a frame, exact here


@pytest.mark.parametrize(
    "bad", ["10:00:00", "24:00:00:00", "10:61:00:00", "1:00:00:00", "10:00:00:25", "00:01:00;01"]
)
def test_bad_timecodes_are_refused(bad):
    rate = R2997 if ";" in bad else R25
    with pytest.raises(ValueError):
        parse(bad, rate)


def test_fifty_fps_has_frames_up_to_49():
    assert parse("00:00:01:49", R50) == 99
    with pytest.raises(ValueError):
        parse("00:00:01:50", R50)
