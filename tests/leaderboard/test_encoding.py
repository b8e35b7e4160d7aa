from leaderboard import encoding


def test_more_points_always_rank_higher():
    assert encoding.encode(11, encoding.EPOCH + 10**9) > encoding.encode(10, encoding.EPOCH)


def test_equal_points_earlier_ranks_higher_and_roundtrips():
    early, late = encoding.encode(500, 1_800_000_000), encoding.encode(500, 1_800_000_001)
    assert early > late
    assert encoding.decode_points(early) == encoding.decode_points(late) == 500
    assert encoding.reached_at(early) == 1_800_000_000


def test_exact_in_a_double_up_to_the_documented_maximum():
    top = encoding.encode(encoding.MAX_POINTS, encoding.EPOCH)
    assert float(top) == top and top < 2**53
    assert encoding.decode_points(float(top)) == encoding.MAX_POINTS
